//! Where buf's compiler gives other descriptors than protoc for the same source, so that the
//! buf front-end can send what buf sends: emptied options messages left out, trailing
//! comments without their newline, and the spans of `default` and `json_name`.

use crate::compiler::descriptor::{
    DescriptorProto, EnumDescriptorProto, FieldDescriptorProto, FileDescriptorProto, RawOptions,
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
/// (protoc's the value alone); `json_name` has one location, not protoc's two; a field whose brackets hold nothing but
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
