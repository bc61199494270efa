//! protoc's insertion-point rule as a pure function: where plugin content goes inside an earlier file.

use thiserror::Error;

/// Why an insertion could not be made.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InsertError {
    /// The target holds no `@@protoc_insertion_point(NAME)` for the requested point.
    #[error("insertion point not found")]
    PointNotFound,
}

/// Where an insertion landed, in bytes of the original target; the output tree needs it to
/// shift `.pb.meta` annotations the way protoc does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Placement {
    /// Offset in the original target where the inserted bytes start.
    pub offset: usize,
    /// Number of bytes inserted, indentation included.
    pub length: usize,
    /// Length of the indent prepended to each inserted line.
    pub indent: usize,
}

/// Inserts `content` at the insertion point `point` of `target`, exactly as protoc 36 does for a
/// `CodeGeneratorResponse.File` with an `insertion_point`.
pub fn insert(target: &str, point: &str, content: &str) -> Result<String, InsertError> {
    let (bytes, _) = insert_bytes(target.as_bytes(), point.as_bytes(), content.as_bytes())?;
    // Every splice happens at an ASCII position ('\n' + 1, '/' or offset 0) and the indent is
    // ASCII, so UTF-8 in gives UTF-8 out; the fallback only exists to avoid a panic path.
    Ok(String::from_utf8(bytes)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

/// Byte-level form of [`insert`]: targets in the output tree are bytes (a `.pb.meta` need not be
/// UTF-8), and the placement is reported for metadata shifting.
pub(crate) fn insert_bytes(
    target: &[u8],
    point: &[u8],
    content: &[u8],
) -> Result<(Vec<u8>, Placement), InsertError> {
    let mut data = content.to_vec();
    if data.last().is_some_and(|&b| b != b'\n') {
        data.push(b'\n');
    }

    let mut marker = b"@@protoc_insertion_point(".to_vec();
    marker.extend_from_slice(point);
    marker.push(b')');
    let marker_pos = find(target, &marker).ok_or(InsertError::PointNotFound)?;

    // protoc tests `pos > 3`; at exactly 3 the marker's line starts at 0 with no indent, so
    // both forms give the same result there.
    let pos = if marker_pos > 3 && &target[marker_pos - 3..marker_pos - 1] == b"/*" {
        marker_pos - 3
    } else {
        // The start of the marker's line: inserting there pushes the marker down, so repeated
        // insertions at one point come out in the order they were made.
        target[..marker_pos]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |nl| nl + 1)
    };

    let indent_len = target[pos..]
        .iter()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count();
    let indent = &target[pos..pos + indent_len];

    let mut inserted = Vec::with_capacity(data.len());
    if indent.is_empty() {
        inserted = data;
    } else {
        // `data` ends in '\n' whenever it is non-empty, so splitting after each '\n' yields
        // whole lines; every one gets the indent, empty lines too (protoc does the same).
        for line in data.split_inclusive(|&b| b == b'\n') {
            inserted.extend_from_slice(indent);
            inserted.extend_from_slice(line);
        }
    }

    let mut out = Vec::with_capacity(target.len() + inserted.len());
    out.extend_from_slice(&target[..pos]);
    out.extend_from_slice(&inserted);
    out.extend_from_slice(&target[pos..]);
    let placement = Placement {
        offset: pos,
        length: inserted.len(),
        indent: indent_len,
    };
    Ok((out, placement))
}

/// How insertions are made: protoc's rule, or buf's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InsertionStyle {
    /// [`insert_bytes`].
    #[default]
    Protoc,
    /// [`insert_bytes_as_buf`].
    Buf,
}

/// The lines of `bytes` as Go's `bufio.ScanLines` gives them: split at `\n`, no empty line
/// after a final `\n`, a `\r` before the `\n` dropped.
fn scan_lines(bytes: &[u8]) -> Vec<&[u8]> {
    let mut lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    if bytes.last() == Some(&b'\n') || bytes.is_empty() {
        lines.pop();
    }
    lines
        .into_iter()
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .collect()
}

/// Inserts as buf 1.75 does (bufprotoplugin's response writer): the target's lines are joined
/// again with `\n` (so it loses a final newline, and `\r\n` becomes `\n`), and before every line
/// that holds the marker go the content's lines, each with that line's leading whitespace and a
/// `\n`. The placement is the first insertion's.
pub(crate) fn insert_bytes_as_buf(
    target: &[u8],
    point: &[u8],
    content: &[u8],
) -> Result<(Vec<u8>, Placement), InsertError> {
    let mut marker = b"@@protoc_insertion_point(".to_vec();
    marker.extend_from_slice(point);
    marker.push(b')');
    let content_lines = scan_lines(content);
    let mut out = Vec::with_capacity(target.len() + content.len() + 64);
    let mut placement = None;
    for (i, line) in scan_lines(target).into_iter().enumerate() {
        if i > 0 {
            out.push(b'\n');
        }
        if find(line, &marker).is_some() {
            let text = String::from_utf8_lossy(line);
            let indent_len: usize = text
                .chars()
                .take_while(|c| c.is_whitespace())
                .map(char::len_utf8)
                .sum();
            let indent = &line[..indent_len.min(line.len())];
            let start = out.len();
            for c in &content_lines {
                out.extend_from_slice(indent);
                out.extend_from_slice(c);
                out.push(b'\n');
            }
            placement.get_or_insert(Placement {
                offset: start,
                length: out.len() - start,
                indent: indent.len(),
            });
        }
        out.extend_from_slice(line);
    }
    let placement = placement.ok_or(InsertError::PointNotFound)?;
    Ok((out, placement))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.len() > haystack.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        // (case, target, point, content, expected)
        let cases: &[(&str, &str, &str, &str, &str)] = &[
            (
                "plain line",
                "a\n// @@protoc_insertion_point(p)\nb\n",
                "p",
                "x\n",
                "a\nx\n// @@protoc_insertion_point(p)\nb\n",
            ),
            (
                "indented with spaces, every line gets the indent",
                "a\n    // @@protoc_insertion_point(p)\n",
                "p",
                "x\ny\n",
                "a\n    x\n    y\n    // @@protoc_insertion_point(p)\n",
            ),
            (
                "tabs and mixed indent are copied verbatim",
                "\t \t# @@protoc_insertion_point(p)\n",
                "p",
                "x\n",
                "\t \tx\n\t \t# @@protoc_insertion_point(p)\n",
            ),
            (
                "inline /* */ form inserts before the comment without indent",
                "  int a; /* @@protoc_insertion_point(p) */ int b;\n",
                "p",
                "x",
                "  int a; x\n/* @@protoc_insertion_point(p) */ int b;\n",
            ),
            (
                "inline comment at the very start: inline and line form agree",
                "/* @@protoc_insertion_point(p) */\n",
                "p",
                "x\n",
                "x\n/* @@protoc_insertion_point(p) */\n",
            ),
            (
                "inline comment just past offset 3 is inline",
                "a/* @@protoc_insertion_point(p) */\n",
                "p",
                "x\n",
                "ax\n/* @@protoc_insertion_point(p) */\n",
            ),
            (
                "content without trailing newline gets one",
                "// @@protoc_insertion_point(p)\n",
                "p",
                "x",
                "x\n// @@protoc_insertion_point(p)\n",
            ),
            (
                "empty content changes nothing",
                "  // @@protoc_insertion_point(p)\n",
                "p",
                "",
                "  // @@protoc_insertion_point(p)\n",
            ),
            (
                "empty lines in content are indented too",
                "  // @@protoc_insertion_point(p)\n",
                "p",
                "x\n\ny\n",
                "  x\n  \n  y\n  // @@protoc_insertion_point(p)\n",
            ),
            (
                "marker on the first line, no trailing newline in target",
                "  @@protoc_insertion_point(p)",
                "p",
                "x",
                "  x\n  @@protoc_insertion_point(p)",
            ),
            (
                "the first of two markers is used",
                "// @@protoc_insertion_point(p)\n// @@protoc_insertion_point(p)\n",
                "p",
                "x\n",
                "x\n// @@protoc_insertion_point(p)\n// @@protoc_insertion_point(p)\n",
            ),
            (
                "a name that is a prefix of another point does not match it",
                "// @@protoc_insertion_point(pq)\n// @@protoc_insertion_point(p)\n",
                "p",
                "x\n",
                "// @@protoc_insertion_point(pq)\nx\n// @@protoc_insertion_point(p)\n",
            ),
            (
                "indent is the run at line start, not before the marker",
                "  code(); // @@protoc_insertion_point(p)\n",
                "p",
                "x\n",
                "  x\n  code(); // @@protoc_insertion_point(p)\n",
            ),
            (
                "CRLF content is copied as is; only '\\n' ends a line",
                " // @@protoc_insertion_point(p)\r\n",
                "p",
                "x\r\ny",
                " x\r\n y\n // @@protoc_insertion_point(p)\r\n",
            ),
        ];
        for (case, target, point, content, expected) in cases {
            assert_eq!(
                insert(target, point, content).as_deref(),
                Ok(*expected),
                "case: {case}"
            );
        }
    }

    #[test]
    fn multiple_insertions_keep_order() {
        let mut t = String::from("x {\n  // @@protoc_insertion_point(p)\n}\n");
        for c in ["one", "two", "three"] {
            t = insert(&t, "p", c).unwrap();
        }
        assert_eq!(
            t,
            "x {\n  one\n  two\n  three\n  // @@protoc_insertion_point(p)\n}\n"
        );
    }

    #[test]
    fn buf_joins_lines_and_inserts_at_every_marker() {
        let target = b"a\r\n  // @@protoc_insertion_point(p)\nb\n// @@protoc_insertion_point(p)\n";
        let (out, placement) = insert_bytes_as_buf(target, b"p", b"x\ny").unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "a\n  x\n  y\n  // @@protoc_insertion_point(p)\nb\nx\ny\n// @@protoc_insertion_point(p)"
        );
        assert_eq!(
            (placement.offset, placement.length, placement.indent),
            (2, 8, 2)
        );
        assert_eq!(
            insert_bytes_as_buf(b"nothing\n", b"p", b"x"),
            Err(InsertError::PointNotFound)
        );
    }

    #[test]
    fn not_found() {
        assert_eq!(
            insert("// @@protoc_insertion_point(q)\n", "p", "x"),
            Err(InsertError::PointNotFound)
        );
        assert_eq!(insert("", "p", "x"), Err(InsertError::PointNotFound));
        // An unterminated marker is not a marker.
        assert_eq!(
            insert("@@protoc_insertion_point(p", "p", "x"),
            Err(InsertError::PointNotFound)
        );
    }

    #[test]
    fn placement_reports_offset_length_and_indent() {
        let (out, p) = insert_bytes(b"ab\n  @@protoc_insertion_point(p)\n", b"p", b"x\ny").unwrap();
        assert_eq!(
            p,
            Placement {
                offset: 3,
                length: 8,
                indent: 2
            }
        );
        assert_eq!(&out[3..11], b"  x\n  y\n");
    }

    #[test]
    fn non_utf8_target_bytes_survive() {
        let (out, _) = insert_bytes(b"\xff\n@@protoc_insertion_point(p)\n", b"p", b"x").unwrap();
        assert_eq!(out, b"\xff\nx\n@@protoc_insertion_point(p)\n");
    }
}
