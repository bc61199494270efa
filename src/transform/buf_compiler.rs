//! Where buf's compiler gives other descriptors than protoc for the same source, so that the
//! buf front-end can send what buf sends: emptied options messages left out, trailing
//! comments without their newline, and the spans of `default` and `json_name`.

use crate::compiler::descriptor::{DescriptorProto, FileDescriptorProto, RawOptions};

/// Removes every options message that holds nothing. protoc sends one where removing
/// source-retention options emptied it (`extensions 1 to 2 [declaration = ...]` in
/// descriptor.proto gives `options {}`); buf's compiler leaves it out. Returns whether
/// anything was removed.
pub fn drop_empty_options(file: &mut FileDescriptorProto) -> bool {
    fn empty(options: &mut Option<RawOptions>) -> bool {
        let is_empty = options
            .as_ref()
            .is_some_and(|o| o.raw.is_empty() && o.uninterpreted.is_empty());
        if is_empty {
            *options = None;
        }
        is_empty
    }
    fn message(m: &mut DescriptorProto) -> bool {
        let mut changed = empty(&mut m.options);
        for f in m.field.iter_mut().chain(m.extension.iter_mut()) {
            changed |= empty(&mut f.options);
        }
        for n in &mut m.nested_type {
            changed |= message(n);
        }
        for e in &mut m.enum_type {
            changed |= empty(&mut e.options);
            for v in &mut e.value {
                changed |= empty(&mut v.options);
            }
        }
        for r in &mut m.extension_range {
            changed |= empty(&mut r.options);
        }
        for o in &mut m.oneof_decl {
            changed |= empty(&mut o.options);
        }
        changed
    }
    let mut changed = empty(&mut file.options);
    for m in &mut file.message_type {
        changed |= message(m);
    }
    for e in &mut file.enum_type {
        changed |= empty(&mut e.options);
        for v in &mut e.value {
            changed |= empty(&mut v.options);
        }
    }
    for f in &mut file.extension {
        changed |= empty(&mut f.options);
    }
    for s in &mut file.service {
        changed |= empty(&mut s.options);
        for m in &mut s.method {
            changed |= empty(&mut m.options);
        }
    }
    changed
}

/// Drops the newline that ends each trailing comment, as buf 1.75's compiler does: its lexer
/// keeps a line comment's newline out of the comment (protoc keeps it in). Returns whether
/// anything changed.
pub fn trailing_comments_as_buf(file: &mut FileDescriptorProto) -> bool {
    let Some(info) = &mut file.source_code_info else {
        return false;
    };
    let mut changed = false;
    for location in &mut info.location {
        let Some(comments) = &mut location.comments else {
            continue;
        };
        if let Some(trailing) = &mut comments.trailing {
            if trailing.last() == Some(&b'\n') {
                trailing.pop();
                changed = true;
            }
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
