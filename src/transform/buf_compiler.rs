//! Where buf's compiler gives other descriptors than protoc for the same source, so that the
//! buf front-end can send what buf sends: emptied options messages left out, trailing
//! comments without their newline, and the spans of `default` and `json_name`.

use crate::compiler::descriptor::{
    source_code_info, DescriptorProto, EnumDescriptorProto, FieldDescriptorProto,
    FileDescriptorProto, RawOptions,
};

/// Removes each options message that removing source-retention options emptied: protoc sends
/// it empty (`extensions 1 to 2 [declaration = ...]` in descriptor.proto gives `options {}`),
/// buf leaves it out. An options message that was empty to begin with (`rpc X(A) returns (B)
/// {}`) stays, in both. `original` is the file before stripping. Returns whether anything was
/// removed.
pub fn drop_emptied_options(
    file: &mut FileDescriptorProto,
    original: &FileDescriptorProto,
) -> bool {
    fn emptied(options: &mut Option<RawOptions>, before: &Option<RawOptions>) -> bool {
        let empty = |o: &Option<RawOptions>| {
            o.as_ref()
                .is_some_and(|o| o.raw.is_empty() && o.uninterpreted.is_empty())
        };
        let was_set = before.is_some() && !empty(before);
        if empty(options) && was_set {
            *options = None;
            return true;
        }
        false
    }
    fn enums(now: &mut [EnumDescriptorProto], before: &[EnumDescriptorProto]) -> bool {
        let mut changed = false;
        for (e, b) in now.iter_mut().zip(before) {
            changed |= emptied(&mut e.options, &b.options);
            for (v, bv) in e.value.iter_mut().zip(&b.value) {
                changed |= emptied(&mut v.options, &bv.options);
            }
        }
        changed
    }
    fn fields(now: &mut [FieldDescriptorProto], before: &[FieldDescriptorProto]) -> bool {
        let mut changed = false;
        for (f, b) in now.iter_mut().zip(before) {
            changed |= emptied(&mut f.options, &b.options);
        }
        changed
    }
    fn message(m: &mut DescriptorProto, b: &DescriptorProto) -> bool {
        let mut changed = emptied(&mut m.options, &b.options);
        changed |= fields(&mut m.field, &b.field);
        changed |= fields(&mut m.extension, &b.extension);
        for (n, bn) in m.nested_type.iter_mut().zip(&b.nested_type) {
            changed |= message(n, bn);
        }
        changed |= enums(&mut m.enum_type, &b.enum_type);
        for (r, br) in m.extension_range.iter_mut().zip(&b.extension_range) {
            changed |= emptied(&mut r.options, &br.options);
        }
        for (o, bo) in m.oneof_decl.iter_mut().zip(&b.oneof_decl) {
            changed |= emptied(&mut o.options, &bo.options);
        }
        changed
    }
    let mut changed = emptied(&mut file.options, &original.options);
    for (m, b) in file.message_type.iter_mut().zip(&original.message_type) {
        changed |= message(m, b);
    }
    changed |= enums(&mut file.enum_type, &original.enum_type);
    changed |= fields(&mut file.extension, &original.extension);
    for (s, b) in file.service.iter_mut().zip(&original.service) {
        changed |= emptied(&mut s.options, &b.options);
        for (m, bm) in s.method.iter_mut().zip(&b.method) {
            changed |= emptied(&mut m.options, &bm.options);
        }
    }
    changed
}

/// Drops the newline that ends a trailing comment that starts on the line of the code it
/// trails, as buf 1.75's compiler does (its lexer keeps a line comment's newline out of the
/// comment); a trailing comment on the lines below keeps it, in both. `source` is the file's
/// text. Returns whether anything changed.
pub fn trailing_comments_as_buf(file: &mut FileDescriptorProto, source: &[u8]) -> bool {
    let Some(info) = &mut file.source_code_info else {
        return false;
    };
    let lines: Vec<&[u8]> = source
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .collect();
    let mut changed = false;
    for location in &mut info.location {
        let Some(comments) = &mut location.comments else {
            continue;
        };
        let Some(trailing) = &mut comments.trailing else {
            continue;
        };
        if trailing.last() != Some(&b'\n') {
            continue;
        }
        let first = trailing.split(|&b| b == b'\n').next().unwrap_or_default();
        let mut marker = b"//".to_vec();
        marker.extend_from_slice(first);
        let from = usize::try_from(location.span.first().copied().unwrap_or(0)).unwrap_or(0);
        let same_line = lines.iter().skip(from).find_map(|line| {
            let at = line.len().checked_sub(marker.len())?;
            (line[at..] == marker[..]).then(|| line[..at].iter().any(|b| !b.is_ascii_whitespace()))
        });
        if same_line == Some(true) {
            trailing.pop();
            changed = true;
        }
    }
    changed
}

/// Source locations as buf's compiler records them: `default`'s span covers `default = VALUE`
/// (protoc's the value alone); `json_name` has one location, not protoc's two; `reserved` one
/// per message or enum and kind, not one per statement; a field whose brackets hold nothing but
/// these pseudo-options has no `options` location; and a tab moves a column to the next
/// multiple of 4 (protoc: of 8). `source` is the file's text. Returns whether anything
/// changed.
pub fn pseudo_option_spans_as_buf(file: &mut FileDescriptorProto, source: &[u8]) -> bool {
    let mut fields_without_options: Vec<Vec<i32>> = Vec::new();
    collect_fields(file, &mut fields_without_options);
    let Some(info) = &mut file.source_code_info else {
        return false;
    };
    let lines: Vec<&[u8]> = source.split(|&b| b == b'\n').collect();
    let mut changed = false;
    let before = info.location.len();
    let mut json_names: Vec<Box<[i32]>> = Vec::new();
    let mut reserved: Vec<Box<[i32]>> = Vec::new();
    info.location.retain(|l| {
        let parent = || &l.path[..l.path.len() - 1];
        match l.path.last() {
            Some(8) => !fields_without_options.iter().any(|f| f[..] == *parent()),
            // protoc records `json_name = "x"` and then the value alone; buf only the first.
            Some(10) if is_field_path(parent()) => {
                let first = !json_names.contains(&l.path);
                json_names.push(l.path.clone());
                first
            }
            // protoc records each `reserved` statement; buf only a message's or enum's first
            // of each kind (ranges, names).
            _ if is_reserved_list(&l.path) => {
                let first = !reserved.contains(&l.path);
                reserved.push(l.path.clone());
                first
            }
            _ => true,
        }
    });
    changed |= info.location.len() != before;
    for location in &mut info.location {
        let keyword: &[u8] = match location.path.last() {
            Some(7) => b"default",
            _ => continue,
        };
        if !is_field_path(&location.path[..location.path.len() - 1]) || location.span.len() < 3 {
            continue;
        }
        let (line, col) = (location.span[0], location.span[1]);
        let Some(text) = usize::try_from(line).ok().and_then(|l| lines.get(l)) else {
            continue;
        };
        if let Some(start) = keyword_column(text, col, keyword) {
            if start != col {
                location.span[1] = start;
                changed = true;
            }
        }
    }
    // Last, as the spans above are found with protoc's columns.
    for location in &mut info.location {
        changed |= tab_columns_as_buf(&mut location.span, &lines);
    }
    changed
}

/// Columns on a line with tabs as buf's compiler counts them: a tab moves to the next multiple
/// of 4 (protoc's, of 8).
fn tab_columns_as_buf(span: &mut [i32], lines: &[&[u8]]) -> bool {
    let (start_line, end_line, start, end) = match *span {
        [l, s, e] => (l, l, s, e),
        [l1, s, l2, e] => (l1, l2, s, e),
        _ => return false,
    };
    let convert = |line: i32, col: i32| -> Option<i32> {
        let text = lines.get(usize::try_from(line).ok()?)?;
        if !text.contains(&b'\t') {
            return None;
        }
        let (mut protoc, mut buf) = (0i32, 0i32);
        for &b in text.iter() {
            if protoc >= col {
                break;
            }
            (protoc, buf) = match b {
                b'\t' => (protoc + 8 - protoc % 8, buf + 4 - buf % 4),
                _ => (protoc + 1, buf + 1),
            };
        }
        Some(buf + (col - protoc).max(0))
    };
    let mut changed = false;
    if let Some(c) = convert(start_line, start) {
        changed |= c != start;
        span[1] = c;
    }
    if let Some(c) = convert(end_line, end) {
        changed |= c != end;
        let last = span.len() - 1;
        span[last] = c;
    }
    changed
}

/// The column of `keyword` in `keyword = VALUE`, where VALUE starts at column `value_col` of
/// `line` (columns as protoc counts them: a tab moves to the next multiple of 8).
fn keyword_column(line: &[u8], value_col: i32, keyword: &[u8]) -> Option<i32> {
    // Byte offset and column of each byte.
    let mut cols = Vec::with_capacity(line.len());
    let mut col = 0i32;
    for &b in line {
        cols.push(col);
        col = if b == b'\t' {
            col + 8 - col % 8
        } else {
            col + 1
        };
    }
    let value = cols.iter().position(|&c| c == value_col)?;
    let mut i = value;
    let skip_space = |i: &mut usize| {
        while *i > 0 && matches!(line[*i - 1], b' ' | b'\t' | b'\r') {
            *i -= 1;
        }
    };
    skip_space(&mut i);
    if i == 0 || line[i - 1] != b'=' {
        return None;
    }
    i -= 1;
    skip_space(&mut i);
    let start = i.checked_sub(keyword.len())?;
    (&line[start..i] == keyword).then(|| cols[start])
}

/// Whether `path` is a message's reserved ranges or names (`[4, i, 9]`, `[4, i, 10]`), or an
/// enum's (`[5, i, 4]`, `[5, i, 5]`), nested ones too.
fn is_reserved_list(path: &[i32]) -> bool {
    fn in_message(rest: &[i32]) -> bool {
        match rest {
            [9 | 10] => true,
            [3, _, more @ ..] => in_message(more),
            [4, _, 4 | 5] => true,
            _ => false,
        }
    }
    match path {
        [5, _, 4 | 5] => true,
        [4, _, rest @ ..] => in_message(rest),
        _ => false,
    }
}

/// Whether `path` is a field's or an extension's.
fn is_field_path(path: &[i32]) -> bool {
    match path {
        [7, _] => true,
        [4, _, rest @ ..] => message_member_is_field(rest),
        _ => false,
    }
}

fn message_member_is_field(rest: &[i32]) -> bool {
    match rest {
        [2 | 6, _] => true,
        [3, _, more @ ..] => message_member_is_field(more),
        _ => false,
    }
}

/// The paths of the fields and extensions that have no options.
fn collect_fields(file: &FileDescriptorProto, out: &mut Vec<Vec<i32>>) {
    fn message(m: &DescriptorProto, path: Vec<i32>, out: &mut Vec<Vec<i32>>) {
        for (tag, fields) in [(2, &m.field), (6, &m.extension)] {
            for (i, f) in fields.iter().enumerate() {
                if f.options.is_none() {
                    let mut p = path.clone();
                    p.extend([tag, i as i32]);
                    out.push(p);
                }
            }
        }
        for (i, n) in m.nested_type.iter().enumerate() {
            let mut p = path.clone();
            p.extend([3, i as i32]);
            message(n, p, out);
        }
    }
    for (i, m) in file.message_type.iter().enumerate() {
        message(m, vec![4, i as i32], out);
    }
    for (i, f) in file.extension.iter().enumerate() {
        if f.options.is_none() {
            out.push(vec![7, i as i32]);
        }
    }
}

/// Message types and extensions of a set of files, for reading option values.
pub struct Types<'a> {
    messages: std::collections::HashMap<String, &'a DescriptorProto>,
    /// `(extendee, number)` to the extension.
    extensions: std::collections::HashMap<(String, i32), &'a FieldDescriptorProto>,
}

impl<'a> Types<'a> {
    pub fn new(files: &'a [FileDescriptorProto]) -> Types<'a> {
        fn message<'a>(scope: &str, m: &'a DescriptorProto, t: &mut Types<'a>) {
            let full = format!("{scope}.{}", m.name.as_deref().unwrap_or(""));
            for x in &m.extension {
                t.extension(x);
            }
            for n in &m.nested_type {
                message(&full, n, t);
            }
            t.messages.insert(full, m);
        }
        let mut t = Types {
            messages: Default::default(),
            extensions: Default::default(),
        };
        for f in files {
            let scope = match f.package.as_deref() {
                Some(p) if !p.is_empty() => format!(".{p}"),
                _ => String::new(),
            };
            for m in &f.message_type {
                message(&scope, m, &mut t);
            }
            for x in &f.extension {
                t.extension(x);
            }
        }
        t
    }

    fn extension(&mut self, x: &'a FieldDescriptorProto) {
        if let (Some(e), Some(n)) = (&x.extendee, x.number) {
            self.extensions.insert((e.clone(), n), x);
        }
    }

    /// The field `number` of message `type_name` (`.pkg.Msg`), or the extension of it.
    fn field(&self, type_name: &str, number: i32) -> Option<&'a FieldDescriptorProto> {
        if let Some(f) = self
            .messages
            .get(type_name)
            .and_then(|m| m.field.iter().find(|f| f.number == Some(number)))
        {
            return Some(f);
        }
        self.extensions
            .get(&(type_name.to_string(), number))
            .copied()
    }
}

/// The options message an element's options path holds, and where the option's own path
/// starts: `[6, 0, 2, 0, 4, N, ...]` is a method's `MethodOptions`, from index 5.
fn options_of(path: &[i32]) -> Option<(&'static str, usize)> {
    #[derive(Clone, Copy)]
    enum S {
        File,
        Message,
        Field,
        Enum,
        EnumValue,
        Service,
        Method,
        Oneof,
        Range,
    }
    let mut state = S::File;
    let mut i = 0;
    loop {
        let tag = *path.get(i)?;
        let (next, options) = match (state, tag) {
            (S::File, 8) => (None, Some(".google.protobuf.FileOptions")),
            (S::File, 4) | (S::Message, 3) => (Some(S::Message), None),
            (S::File, 5) | (S::Message, 4) => (Some(S::Enum), None),
            (S::File, 7) | (S::Message, 2 | 6) => (Some(S::Field), None),
            (S::File, 6) => (Some(S::Service), None),
            (S::Message, 7) => (None, Some(".google.protobuf.MessageOptions")),
            (S::Message, 8) => (Some(S::Oneof), None),
            (S::Message, 5) => (Some(S::Range), None),
            (S::Field, 8) => (None, Some(".google.protobuf.FieldOptions")),
            (S::Oneof, 2) => (None, Some(".google.protobuf.OneofOptions")),
            (S::Range, 3) => (None, Some(".google.protobuf.ExtensionRangeOptions")),
            (S::Enum, 2) => (Some(S::EnumValue), None),
            (S::Enum, 3) => (None, Some(".google.protobuf.EnumOptions")),
            (S::EnumValue, 3) => (None, Some(".google.protobuf.EnumValueOptions")),
            (S::Service, 2) => (Some(S::Method), None),
            (S::Service, 3) => (None, Some(".google.protobuf.ServiceOptions")),
            (S::Method, 4) => (None, Some(".google.protobuf.MethodOptions")),
            _ => return None,
        };
        if let Some(o) = options {
            return Some((o, i + 1));
        }
        state = next?;
        // An element's index follows its tag (but a file's options follow at once).
        i += 2;
    }
}

/// Line starts of a text, and conversions between byte offsets and protoc's (line, column).
struct Text<'s> {
    source: &'s [u8],
    starts: Vec<usize>,
}

impl<'s> Text<'s> {
    fn new(source: &'s [u8]) -> Text<'s> {
        let mut starts = vec![0];
        starts.extend(
            source
                .iter()
                .enumerate()
                .filter(|(_, &b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Text { source, starts }
    }

    fn offset(&self, line: i32, col: i32) -> Option<usize> {
        let start = *self.starts.get(usize::try_from(line).ok()?)?;
        let mut c = 0;
        let mut i = start;
        while c < col {
            let b = *self.source.get(i)?;
            if b == b'\n' {
                return None;
            }
            c = if b == b'\t' { c + 8 - c % 8 } else { c + 1 };
            i += 1;
        }
        Some(i)
    }

    fn position(&self, offset: usize) -> (i32, i32) {
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let mut col = 0;
        for &b in &self.source[self.starts[line]..offset] {
            col = if b == b'\t' {
                col + 8 - col % 8
            } else {
                col + 1
            };
        }
        (line as i32, col)
    }

    fn span(&self, from: usize, to: usize) -> Box<[i32]> {
        let ((l1, c1), (l2, c2)) = (self.position(from), self.position(to));
        if l1 == l2 {
            vec![l1, c1, c2].into()
        } else {
            vec![l1, c1, l2, c2].into()
        }
    }

    /// Past whitespace and comments from `i`.
    fn skip(&self, mut i: usize) -> usize {
        let s = self.source;
        loop {
            while i < s.len() && s[i].is_ascii_whitespace() {
                i += 1;
            }
            if s[i..].starts_with(b"//") {
                while i < s.len() && s[i] != b'\n' {
                    i += 1;
                }
            } else if s[i..].starts_with(b"/*") {
                i += 2;
                while i < s.len() && !s[i..].starts_with(b"*/") {
                    i += 1;
                }
                i = (i + 2).min(s.len());
            } else {
                return i;
            }
        }
    }

    /// The end of the value that starts at `i`: a string run, a bracketed value, or a token.
    fn value_end(&self, i: usize) -> usize {
        let s = self.source;
        match s.get(i) {
            Some(b'{' | b'<' | b'[') => self.bracket_end(i),
            Some(b'"' | b'\'') => {
                // Adjacent strings concatenate.
                let mut end = self.string_end(i);
                loop {
                    let next = self.skip(end);
                    if matches!(s.get(next), Some(b'"' | b'\'')) {
                        end = self.string_end(next);
                    } else {
                        return end;
                    }
                }
            }
            _ => {
                let mut j = i;
                if matches!(s.get(j), Some(b'-')) {
                    j = self.skip(j + 1);
                }
                while j < s.len()
                    && (s[j].is_ascii_alphanumeric() || matches!(s[j], b'_' | b'.' | b'+' | b'-'))
                {
                    j += 1;
                }
                j
            }
        }
    }

    fn string_end(&self, i: usize) -> usize {
        let s = self.source;
        let quote = s[i];
        let mut j = i + 1;
        while j < s.len() && s[j] != quote && s[j] != b'\n' {
            j += if s[j] == b'\\' { 2 } else { 1 };
        }
        (j + 1).min(s.len())
    }

    fn bracket_end(&self, i: usize) -> usize {
        let s = self.source;
        let mut depth = 0;
        let mut j = i;
        while j < s.len() {
            match s[j] {
                b'{' | b'<' | b'[' => depth += 1,
                b'}' | b'>' | b']' => {
                    depth -= 1;
                    if depth == 0 {
                        return j + 1;
                    }
                }
                b'"' | b'\'' => {
                    j = self.string_end(j);
                    continue;
                }
                b'/' if s[j..].starts_with(b"//") || s[j..].starts_with(b"/*") => {
                    j = self.skip(j);
                    continue;
                }
                _ => {}
            }
            j += 1;
        }
        s.len()
    }
}

/// The locations buf's compiler records for an option set to a message literal (`option
/// (google.api.http) = { get: "/v1/x" additional_bindings { ... } };`): the option's own
/// location spans from its name to the end of the literal (protoc's, the whole statement),
/// and each field set at the literal's top level gets one (`[..., 72295728, 2]`, and for a
/// repeated field its index among the literal's: `[..., 11, 0]`). Returns whether anything
/// changed.
pub fn literal_option_locations_as_buf(
    file: &mut FileDescriptorProto,
    source: &[u8],
    types: &Types,
) -> bool {
    let Some(info) = &mut file.source_code_info else {
        return false;
    };
    let text = Text::new(source);
    let mut added: Vec<(usize, source_code_info::Location)> = Vec::new();
    for (index, location) in info.location.iter_mut().enumerate() {
        let Some((options, start)) = options_of(&location.path) else {
            continue;
        };
        if location.path.len() <= start || location.span.len() < 3 {
            continue;
        }
        // The option's type: each number of its name path in turn.
        let mut type_name = options.to_string();
        let mut field = None;
        for &number in &location.path[start..] {
            let Some(f) = types.field(&type_name, number) else {
                field = None;
                break;
            };
            field = Some(f);
            type_name = f.type_name.clone().unwrap_or_default();
        }
        let Some(field) = field else { continue };
        if field.r#type != Some(11) || field.label == Some(3) {
            continue;
        }
        let (l, c) = (location.span[0], location.span[1]);
        let Some(from) = text.offset(l, c) else {
            continue;
        };
        let end = match location.span[..] {
            [_, _, e] => text.offset(l, e),
            [_, _, l2, e] => text.offset(l2, e),
            _ => None,
        };
        let Some(end) = end else { continue };
        // `option NAME = {` or, in brackets, `NAME = {`.
        let mut i = from;
        if source[i..].starts_with(b"option")
            && source
                .get(i + 6)
                .is_some_and(|b| !b.is_ascii_alphanumeric() && *b != b'_')
        {
            i = text.skip(i + 6);
        }
        let name_start = i;
        let Some(eq) = source[i..end]
            .iter()
            .position(|&b| b == b'=')
            .map(|p| i + p)
        else {
            continue;
        };
        let brace = text.skip(eq + 1);
        if source.get(brace) != Some(&b'{') {
            continue;
        }
        let literal_end = text.bracket_end(brace);
        let new_span = text.span(name_start, literal_end);
        let changed_span = new_span != location.span;
        location.span = new_span;
        // The literal's top-level fields.
        let Some(message) = types.messages.get(&type_name) else {
            if changed_span {
                added.push((index, source_code_info::Location::default()));
            }
            continue;
        };
        let mut counts: std::collections::HashMap<i32, i32> = Default::default();
        let mut j = text.skip(brace + 1);
        while j < literal_end - 1 {
            let entry_start = j;
            if source[j] == b'[' {
                // An extension or Any name: not recorded here.
                j = text.bracket_end(j);
            } else {
                while j < source.len() && (source[j].is_ascii_alphanumeric() || source[j] == b'_') {
                    j += 1;
                }
            }
            if j == entry_start {
                break;
            }
            let name = std::str::from_utf8(&source[entry_start..j]).unwrap_or("");
            let mut k = text.skip(j);
            if source.get(k) == Some(&b':') {
                k = text.skip(k + 1);
            }
            let value_end = text.value_end(k);
            let field = message
                .field
                .iter()
                .find(|f| f.name.as_deref() == Some(name));
            if let (Some(f), Some(number)) = (field, field.and_then(|f| f.number)) {
                let is_list = source.get(k) == Some(&b'[');
                if !is_list {
                    let mut path = location.path.to_vec();
                    path.push(number);
                    if f.label == Some(3) {
                        let n = counts.entry(number).or_insert(0);
                        path.push(*n);
                        *n += 1;
                    }
                    added.push((
                        index,
                        source_code_info::Location {
                            path: path.into(),
                            span: text.span(entry_start, value_end),
                            comments: None,
                        },
                    ));
                }
            }
            j = text.skip(value_end);
            if matches!(source.get(j), Some(b',' | b';')) {
                j = text.skip(j + 1);
            }
        }
    }
    let changed = !added.is_empty();
    // After the option's location, in order.
    for (index, location) in added.into_iter().rev() {
        if !location.path.is_empty() {
            info.location.insert(index + 1, location);
        }
    }
    changed
}

/// The value of each message-typed custom option re-encoded in the field order buf's Go
/// runtime writes: extensions first, then the fields outside any oneof by number, then the
/// members of each oneof (in oneof order), unknown fields last. protoc writes them by field
/// number; a plugin that embeds an option it does not know (protoc-gen-go with
/// `google.api.http`) copies these bytes as they are. Returns whether anything changed.
pub fn option_values_in_go_order(file: &mut FileDescriptorProto, types: &Types) -> bool {
    let mut changed = false;
    let mut fix = |options: &mut Option<RawOptions>, kind: &str| {
        let Some(options) = options else { return };
        let name = format!(".google.protobuf.{kind}");
        let Some(fields) = super::wire::split(&options.raw) else {
            return;
        };
        let mut out = Vec::with_capacity(options.raw.len());
        for (number, whole, payload) in fields {
            let ext = types.extensions.get(&(name.clone(), number as i32));
            match (ext, payload) {
                (Some(x), Some(payload)) if x.r#type == Some(11) => {
                    let value = go_order(payload, x.type_name.as_deref().unwrap_or(""), types, 0);
                    out.extend(super::wire::length_delimited(number, &value));
                }
                _ => out.extend_from_slice(whole),
            }
        }
        if out != options.raw {
            options.raw = out;
            changed = true;
        }
    };
    fix(&mut file.options, "FileOptions");
    fn message(m: &mut DescriptorProto, fix: &mut impl FnMut(&mut Option<RawOptions>, &str)) {
        fix(&mut m.options, "MessageOptions");
        for f in m.field.iter_mut().chain(m.extension.iter_mut()) {
            fix(&mut f.options, "FieldOptions");
        }
        for o in &mut m.oneof_decl {
            fix(&mut o.options, "OneofOptions");
        }
        for r in &mut m.extension_range {
            fix(&mut r.options, "ExtensionRangeOptions");
        }
        for e in &mut m.enum_type {
            enumeration(e, fix);
        }
        for n in &mut m.nested_type {
            message(n, fix);
        }
    }
    fn enumeration(
        e: &mut EnumDescriptorProto,
        fix: &mut impl FnMut(&mut Option<RawOptions>, &str),
    ) {
        fix(&mut e.options, "EnumOptions");
        for v in &mut e.value {
            fix(&mut v.options, "EnumValueOptions");
        }
    }
    for m in &mut file.message_type {
        message(m, &mut fix);
    }
    for e in &mut file.enum_type {
        enumeration(e, &mut fix);
    }
    for x in &mut file.extension {
        fix(&mut x.options, "FieldOptions");
    }
    for s in &mut file.service {
        fix(&mut s.options, "ServiceOptions");
        for m in &mut s.method {
            fix(&mut m.options, "MethodOptions");
        }
    }
    changed
}

/// `payload`, a message of type `type_name`, with its fields in Go's order (see
/// [`option_values_in_go_order`]), nested messages too.
fn go_order(payload: &[u8], type_name: &str, types: &Types, depth: usize) -> Vec<u8> {
    let Some(message) = types.messages.get(type_name) else {
        return payload.to_vec();
    };
    let Some(fields) = super::wire::split(payload) else {
        return payload.to_vec();
    };
    if depth > 64 {
        return payload.to_vec();
    }
    let mut keyed: Vec<((u8, i32, u32), Vec<u8>)> = Vec::with_capacity(fields.len());
    for (number, whole, value) in fields {
        let field = message
            .field
            .iter()
            .find(|f| f.number == Some(number as i32));
        let extension = types
            .extensions
            .get(&(type_name.to_string(), number as i32));
        let (key, descriptor) = match (field, extension) {
            (Some(f), _) => {
                let oneof = f.oneof_index.filter(|_| f.proto3_optional != Some(true));
                match oneof {
                    Some(i) => ((2, i, number), Some(f)),
                    None => ((1, 0, number), Some(f)),
                }
            }
            (None, Some(x)) => ((0, 0, number), Some(*x)),
            (None, None) => ((3, 0, 0), None),
        };
        let bytes = match (descriptor, value) {
            (Some(d), Some(v)) if d.r#type == Some(11) => {
                let inner = go_order(v, d.type_name.as_deref().unwrap_or(""), types, depth + 1);
                super::wire::length_delimited(number, &inner)
            }
            _ => whole.to_vec(),
        };
        keyed.push((key, bytes));
    }
    // Stable: repeated values keep their order, unknown fields theirs.
    keyed.sort_by_key(|(k, _)| *k);
    keyed.into_iter().flat_map(|(_, b)| b).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_keyword_before_a_value() {
        assert_eq!(
            keyword_column(b"  optional int32 a = 1 [default = 5];", 34, b"default"),
            Some(24)
        );
        assert_eq!(keyword_column(b"x [default=5]", 11, b"default"), Some(3));
        assert_eq!(
            keyword_column(b"\tx [default\t= \"a\"]", 26, b"default"),
            Some(11)
        );
        assert_eq!(
            keyword_column(b"x [deprecated = true]", 16, b"default"),
            None
        );
    }
}
