//! Unit tests for the lexer and parser, with expectations taken from protoc 36.2's output.

use super::ast::*;
use super::lexer::{Lexer, TokenKind};
use super::literals::{self, simple_dtoa};
use super::parse;

fn tokens(src: &[u8]) -> Vec<(TokenKind, String, i32, i32, i32)> {
    let mut lx = Lexer::new(src);
    let mut out = Vec::new();
    while lx.next() {
        let t = &lx.current;
        out.push((t.kind, t.text_str(), t.line, t.col, t.end_col));
    }
    out
}

fn unescape(lit: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    literals::unescape_append(lit, &mut out);
    out
}

fn sp(l0: i32, c0: i32, l1: i32, c1: i32) -> Span {
    Span {
        start: Pos { line: l0, col: c0 },
        end: Pos { line: l1, col: c1 },
    }
}

#[test]
fn tab_advances_to_next_multiple_of_eight() {
    let t = tokens(b"a\tb\n  \tc d\t\te");
    assert_eq!(t[0], (TokenKind::Identifier, "a".into(), 0, 0, 1));
    assert_eq!(t[1], (TokenKind::Identifier, "b".into(), 0, 8, 9));
    assert_eq!(t[2], (TokenKind::Identifier, "c".into(), 1, 8, 9));
    assert_eq!(t[3].3, 10);
    assert_eq!(t[4].3, 24);
}

#[test]
fn numbers_and_symbols() {
    let kinds: Vec<_> = tokens(b"0 017 0x1F 123 1.5 1e5 .5 5. 1E-3 - inf")
        .into_iter()
        .map(|t| t.0)
        .collect();
    use TokenKind::*;
    assert_eq!(
        kinds,
        [
            Integer, Integer, Integer, Integer, Float, Float, Float, Float, Float, Symbol,
            Identifier
        ]
    );
    assert_eq!(literals::parse_integer(b"017", u64::MAX), Some(15));
    assert_eq!(literals::parse_integer(b"0x1F", u64::MAX), Some(31));
    assert_eq!(
        literals::parse_integer(b"18446744073709551616", u64::MAX),
        None
    );
    assert_eq!(literals::parse_float(b"5."), Some(5.0));
    assert_eq!(literals::parse_float(b".5"), Some(0.5));
    assert_eq!(literals::parse_float(b"1e"), Some(1.0));
}

#[test]
fn every_escape_decodes_to_bytes() {
    assert_eq!(
        unescape(br#""\a\b\f\n\r\t\v\\\'\"\?""#),
        b"\x07\x08\x0c\n\r\t\x0b\\'\"?"
    );
    assert_eq!(unescape(br#"'\0\12\101\777x'"#), b"\x00\x0aA\xffx");
    assert_eq!(unescape(br#""\x41\xf\xFFz""#), b"A\x0f\xffz");
    assert_eq!(unescape(br#""\u00e9\U0001F600""#), "é😀".as_bytes());
    assert_eq!(unescape(br#""\ud83d\ude00""#), "😀".as_bytes());
    assert_eq!(unescape(b"\"\xff\xfe\""), b"\xff\xfe");
}

#[test]
fn dtoa_matches_protoc() {
    assert_eq!(simple_dtoa(1e10), "10000000000");
    assert_eq!(simple_dtoa(1e15), "1e+15");
    assert_eq!(simple_dtoa(0.1), "0.1");
    assert_eq!(simple_dtoa(1.5), "1.5");
    assert_eq!(simple_dtoa(100.0), "100");
    assert_eq!(simple_dtoa(1e-5), "1e-05");
    assert_eq!(simple_dtoa(123456789012345680.0), "1.2345678901234568e+17");
    assert_eq!(simple_dtoa(f64::INFINITY), "inf");
    assert_eq!(literals::c_escape(b"a\n\x01\"\xff"), b"a\\n\\001\\\"\\377");
}

/// The comment file checked against `protoc --include_source_info`.
const COMMENTS: &[u8] = b"// detached file\n\n// leading syntax\nsyntax = \"proto3\"; // trailing syntax\n\n/* detached\n * block */\n\n// leading A\n//   second line\nmessage A { // trailing A\n  /*\n   * leading x\n   */\n  int32 x = 1; /* trailing x\n  continues */\n  // detached in A\n\n  // leading y\n\tstring y = 2;\n  // trailing y\n\n  // orphan before brace\n}\n";

fn c(s: &str) -> Option<Vec<u8>> {
    Some(s.as_bytes().to_vec())
}

#[test]
fn comments_attach_like_protoc() {
    let f = parse("cm.proto", COMMENTS).unwrap();
    let syntax = f.syntax.unwrap();
    assert_eq!(syntax.span, sp(3, 0, 3, 18));
    assert_eq!(syntax.comments.leading, c(" leading syntax\n"));
    assert_eq!(syntax.comments.trailing, c(" trailing syntax\n"));
    assert_eq!(syntax.comments.detached, vec![b" detached file\n".to_vec()]);
    let FileItem::Message(m) = &f.items[0] else {
        panic!()
    };
    assert_eq!(m.span, sp(10, 0, 23, 1));
    assert_eq!(m.name.span, sp(10, 8, 10, 9));
    assert_eq!(m.comments.leading, c(" leading A\n   second line\n"));
    assert_eq!(m.comments.trailing, c(" trailing A\n"));
    assert_eq!(m.comments.detached, vec![b" detached\n block ".to_vec()]);
    let MessageItem::Field(x) = &m.body[0] else {
        panic!()
    };
    assert_eq!(x.span, sp(14, 2, 14, 14));
    assert_eq!(x.comments.leading, c("\n leading x\n"));
    assert_eq!(x.comments.trailing, c(" trailing x\ncontinues "));
    let MessageItem::Field(y) = &m.body[1] else {
        panic!()
    };
    assert_eq!(y.span, sp(19, 8, 19, 21));
    assert_eq!(y.comments.leading, c(" leading y\n"));
    assert_eq!(y.comments.trailing, c(" trailing y\n"));
    assert_eq!(y.comments.detached, vec![b" detached in A\n".to_vec()]);
}

#[test]
fn same_line_comment_between_tokens_is_detached() {
    // Checked with protoc: ` x ` leads B; ` y ` (same line as C's `}` and D) is detached.
    let src = b"syntax = \"proto3\";\nmessage A {}\n/* x */ message B {}\nmessage C {} /* y */ message D {}\n";
    let f = parse("a.proto", src).unwrap();
    let FileItem::Message(b) = &f.items[1] else {
        panic!()
    };
    assert_eq!(b.comments.leading, c(" x "));
    let FileItem::Message(d) = &f.items[3] else {
        panic!()
    };
    assert_eq!(d.comments.leading, None);
    assert_eq!(d.comments.detached, vec![b" y ".to_vec()]);
}

#[test]
fn field_spans_and_options() {
    let src = b"syntax = \"proto2\";\nmessage A {\n  optional int32 a = 1 [default = -5, json_name = \"x\", (my.opt).b = -inf];\n  map<string, A> m = 2;\n  repeated group G = 3 { }\n}\n";
    let f = parse("f.proto", src).unwrap();
    let FileItem::Message(m) = &f.items[0] else {
        panic!()
    };
    let MessageItem::Field(a) = &m.body[0] else {
        panic!()
    };
    assert_eq!(a.label.unwrap().1, sp(2, 2, 2, 10));
    assert_eq!(a.type_span, sp(2, 11, 2, 16));
    assert_eq!(a.number_span, sp(2, 21, 2, 22));
    assert_eq!(a.span, sp(2, 2, 2, 74));
    let opts = a.options.as_ref().unwrap();
    assert_eq!(opts.span, sp(2, 23, 2, 73));
    assert!(
        matches!(&opts.entries[0], FieldOption::Default { value, span } if value == b"-5" && *span == sp(2, 34, 2, 36))
    );
    let FieldOption::Option(o) = &opts.entries[2] else {
        panic!()
    };
    assert_eq!(o.name[0].name, "my.opt");
    assert!(o.name[0].is_extension);
    assert_eq!(o.name[0].span, sp(2, 55, 2, 63));
    assert_eq!(o.name[0].name_part_span, sp(2, 56, 2, 62));
    assert_eq!(o.value_field, 3);
    assert_eq!(o.value_span, sp(2, 68, 2, 72));
    let MessageItem::Field(mf) = &m.body[1] else {
        panic!()
    };
    assert!(matches!(
        &mf.ty,
        FieldType::Map {
            key: TypeName::Scalar(ScalarType::String),
            ..
        }
    ));
    assert_eq!(mf.type_span, sp(3, 2, 3, 16));
    let MessageItem::Field(g) = &m.body[2] else {
        panic!()
    };
    assert_eq!(g.name.name, "g");
    assert_eq!(g.ty, FieldType::Group);
    assert_eq!(g.span, sp(4, 2, 4, 26));
}

#[test]
fn aggregate_value_text() {
    let src = b"syntax = \"proto3\";\noption (x) = { a: 1 // c\n    b: [\"s\"]  c {d:-2} };\n";
    let f = parse("g.proto", src).unwrap();
    let FileItem::Option(o) = &f.items[0] else {
        panic!()
    };
    let OptionValue::Aggregate(v) = &o.option.value else {
        panic!()
    };
    assert_eq!(
        String::from_utf8_lossy(v),
        " a: 1 \n    b: [\"s\"]  c {d:-2} "
    );
}

#[test]
fn services_imports_ranges() {
    let src = b"syntax = \"proto2\";\nimport public \"a.proto\";\nimport weak \"b.proto\";\nservice S {\n  rpc A(stream X) returns (.p.Y) {}\n  rpc B(X) returns (stream Y);\n}\nmessage M {\n  extensions 100 to max, 5 [declaration = { number: 5 }];\n  reserved 1, 3 to 4;\n  reserved \"a\", \"b\";\n}\nenum E { V = -1 [deprecated = true]; reserved -3 to max; }\n";
    let f = parse("s.proto", src).unwrap();
    let FileItem::Import(i) = &f.items[0] else {
        panic!()
    };
    assert_eq!(
        (i.kind, i.modifier_span),
        (ImportKind::Public, Some(sp(1, 7, 1, 13)))
    );
    let FileItem::Service(s) = &f.items[2] else {
        panic!()
    };
    let ServiceItem::Method(a) = &s.items[0] else {
        panic!()
    };
    assert_eq!(a.body, Some(vec![]));
    assert_eq!(a.client_streaming, Some(sp(4, 8, 4, 14)));
    assert_eq!(a.output_type, ".p.Y");
    let ServiceItem::Method(b) = &s.items[1] else {
        panic!()
    };
    assert_eq!(b.body, None);
    assert!(b.server_streaming.is_some());
    let FileItem::Message(m) = &f.items[3] else {
        panic!()
    };
    let MessageItem::Extensions(e) = &m.body[0] else {
        panic!()
    };
    assert_eq!(e.ranges[0].end, RangeEnd::Max);
    assert_eq!(e.ranges[1].end, RangeEnd::Single);
    assert_eq!(e.ranges[1].end_span, e.ranges[1].start_span);
    assert_eq!(
        e.options.as_ref().unwrap().options[0].name[0].name,
        "declaration"
    );
    let MessageItem::Reserved(r) = &m.body[2] else {
        panic!()
    };
    assert!(matches!(&r.kind, ReservedKind::Names(n) if n.len() == 2));
    let FileItem::Enum(en) = &f.items[4] else {
        panic!()
    };
    let EnumItem::Value(v) = &en.body[0] else {
        panic!()
    };
    assert_eq!((v.number, v.number_span), (-1, sp(12, 13, 12, 15)));
}

#[test]
fn editions_syntax() {
    let src = b"edition = \"2024\";\nimport option \"o.proto\";\nexport message A { reserved foo, bar; }\nlocal enum E { X = 0; }\n";
    let f = parse("e.proto", src).unwrap();
    assert_eq!(f.syntax.unwrap().kind, SyntaxKind::Edition("2024".into()));
    let FileItem::Message(m) = &f.items[1] else {
        panic!()
    };
    assert_eq!(m.visibility, Some(Visibility::Export));
    assert_eq!(m.span.start, Pos { line: 2, col: 7 });
    assert!(matches!(&f.items[2], FileItem::Enum(e) if e.visibility == Some(Visibility::Local)));
}

#[test]
fn first_error_matches_protoc() {
    let mut failures = Vec::new();
    for (name, src, expected) in ERROR_CASES {
        let file = format!("{name}.proto");
        let got = match parse(&file, src) {
            Ok(_) => String::new(),
            Err(e) => e[0].render(&file),
        };
        if got != *expected {
            failures.push(format!("{name}:\n  ours:   {got}\n  protoc: {expected}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// (case, source, protoc 36.2's first error line or "" when protoc's parser accepts it)
const ERROR_CASES: &[(&str, &[u8], &str)] = &[
    ("missing_semi", b"syntax = \"proto3\";\nmessage A { int32 a = 1 }\n", "missing_semi.proto:2:25: Expected \";\"."),
    ("top_level", b"syntax = \"proto3\";\nfoo bar;\n", "top_level.proto:2:1: Expected top-level statement (e.g. \"message\")."),
    ("unterminated", b"syntax = \"proto3\";\noption x = \"abc\n", "unterminated.proto:2:16: Multiline strings are not allowed. Did you miss a \"?."),
    ("eof_string", b"syntax = \"proto3\";\noption x = \"abc", "eof_string.proto:2:16: Unexpected end of string."),
    ("tab_col", b"syntax = \"proto3\";\nmessage A {\n\x09int32 a = 1\n}\n", "tab_col.proto:4:1: Expected \";\"."),
    ("bad_syntax", b"syntax = \"proto4\";\n", "bad_syntax.proto:1:10: Unrecognized syntax identifier \"proto4\".  This parser only recognizes \"proto2\" and \"proto3\"."),
    ("bad_edition", b"edition = \"2022\";\n", "bad_edition.proto:1:11: Unknown edition \"2022\"."),
    ("no_label", b"syntax = \"proto2\";\nmessage A { int32 a = 1; }\n", "no_label.proto:2:13: Expected \"required\", \"optional\", or \"repeated\"."),
    ("group_lower", b"syntax = \"proto2\";\nmessage A { optional group foo = 1 {} }\n", "group_lower.proto:2:28: Group names must start with a capital letter."),
    ("map_oneof", b"syntax = \"proto3\";\nmessage A { oneof o { map<int32,int32> m = 1; } }\n", "map_oneof.proto:2:26: Map fields are not allowed in oneofs."),
    ("unmatched", b"syntax = \"proto3\";\n}\n", "unmatched.proto:2:1: Expected top-level statement (e.g. \"message\")."),
    ("eof_message", b"syntax = \"proto3\";\nmessage A {\n", "eof_message.proto:3:1: Reached end of input in message definition (missing '}')."),
    ("empty_oneof", b"syntax = \"proto3\";\nmessage A { oneof o {} }\n", "empty_oneof.proto:2:22: Expected type name."),
    ("empty_extend", b"syntax = \"proto2\";\nextend A {}\n", "empty_extend.proto:2:11: Expected \"required\", \"optional\", or \"repeated\"."),
    ("int_range", b"syntax = \"proto3\";\nmessage A { int32 a = 99999999999; }\n", "int_range.proto:2:23: Integer out of range."),
    ("octal", b"syntax = \"proto3\";\nmessage A { int32 a = 09; }\n", "octal.proto:2:24: Numbers starting with leading zero must be in octal."),
    ("hex_empty", b"syntax = \"proto3\";\nmessage A { int32 a = 0x; }\n", "hex_empty.proto:2:25: \"0x\" must be followed by hex digits."),
    ("num_ident", b"syntax = \"proto3\";\nmessage A { int32 a = 1a; }\n", "num_ident.proto:2:24: Need space between number and identifier."),
    ("bad_escape", b"syntax = \"proto3\";\noption x = \"\\q\";\n", "bad_escape.proto:2:14: Invalid escape sequence in string literal."),
    ("bad_hex_escape", b"syntax = \"proto3\";\noption x = \"\\xg\";\n", "bad_hex_escape.proto:2:15: Expected hex digits for escape sequence."),
    ("nested_comment", b"syntax = \"proto3\";\n/* a /* b */\n", "nested_comment.proto:2:7: \"/*\" inside block comment.  Block comments cannot be nested."),
    ("eof_comment", b"syntax = \"proto3\";\n/* abc\n", "eof_comment.proto:3:1: End-of-file inside block comment."),
    ("control", b"syntax = \"proto3\";\n\x01\n", "control.proto:2:1: Invalid control characters encountered in text."),
    ("nonascii", b"syntax = \"proto3\";\nmessage \xc3\xa9 {}\n", "nonascii.proto:2:9: Interpreting non ascii codepoint 195."),
    ("neg_ident", b"syntax = \"proto3\";\noption x = -foo;\n", "neg_ident.proto:2:16: Identifier after '-' symbol must be inf or nan."),
    ("neg_string", b"syntax = \"proto3\";\noption x = -\"a\";\n", "neg_string.proto:2:13: Invalid '-' symbol before string."),
    ("allow_alias_false", b"syntax = \"proto3\";\nenum E { option allow_alias = false; A = 0; }\n", "allow_alias_false.proto:3:1: \"E\" declares 'option allow_alias = false;' which has no effect. Please remove the declaration."),
    ("allow_alias_nodup", b"syntax = \"proto3\";\nenum E { option allow_alias = true; A = 0; B = 1; }\n", "allow_alias_nodup.proto:3:1: \"E\" declares support for enum aliases but no enum values share field numbers. Please remove the unnecessary 'option allow_alias = true;' declaration."),
    ("map_entry", b"syntax = \"proto3\";\nmessage A { option map_entry = true; }\n", "map_entry.proto:2:20: map_entry should not be set explicitly. Use map<KeyType, ValueType> instead."),
    ("default_msg", b"syntax = \"proto2\";\nmessage A { optional group G = 1 [default = 1] {} }\n", "default_msg.proto:2:45: Messages can't have default values."),
    ("dup_default", b"syntax = \"proto2\";\nmessage A { optional int32 a = 1 [default = 1, default = 2]; }\n", "dup_default.proto:2:48: Already set option \"default\"."),
    ("unsigned_neg", b"syntax = \"proto2\";\nmessage A { optional uint32 a = 1 [default = -1]; }\n", "unsigned_neg.proto:2:47: Unsigned field can't have negative default value."),
    ("expected_msg_type", b"syntax = \"proto3\";\nservice S { rpc M(int32) returns (A); }\n", "expected_msg_type.proto:2:19: Expected message type."),
    ("oneof_label", b"syntax = \"proto3\";\nmessage A { oneof o { optional int32 a = 1; } }\n", "oneof_label.proto:2:23: Fields in oneofs must not have labels (required / optional / repeated)."),
    ("reserved_ident_proto3", b"syntax = \"proto3\";\nmessage A { reserved foo; }\n", "reserved_ident_proto3.proto:2:22: Reserved names must be string literals. (Only editions supports identifiers.)"),
    ("reserved_str_editions", b"edition = \"2023\";\nmessage A { reserved \"foo\"; }\n", "reserved_str_editions.proto:2:22: Reserved names must be identifiers in editions, not string literals."),
    ("opt_editions", b"edition = \"2023\";\nmessage A { optional int32 a = 1; }\n", "opt_editions.proto:2:13: Label \"optional\" is not supported in editions. By default, all singular fields have presence unless features.field_presence is set."),
    ("option_import", b"syntax = \"proto3\";\nimport option \"a.proto\";\n", "option_import.proto:2:8: option import is not supported before edition 2024."),
    ("agg_eof", b"syntax = \"proto3\";\noption x = { a: 1\n", "agg_eof.proto:3:1: Unexpected end of stream while parsing aggregate value."),
    ("ident_dot", b"syntax = \"proto3\";\noption x = a.5;\n", "ident_dot.proto:2:13: Need space between identifier and decimal point."),
    ("double_dot", b"syntax = \"proto3\";\noption x = 1.5.3;\n", "double_dot.proto:2:15: Already saw decimal point or exponent; can't have another one."),
    ("float_f", b"syntax = \"proto3\";\noption x = 1.5f;\n", "float_f.proto:2:15: Need space between number and identifier."),
    ("exp_missing", b"syntax = \"proto3\";\noption x = 1e;\n", "exp_missing.proto:2:14: \"e\" must be followed by exponent."),
    ("bom_bad", b"\xef\xbb syntax = \"proto3\";\n", "bom_bad.proto:1:3: Proto file starts with 0xEF but not UTF-8 BOM. Only UTF-8 is accepted for proto file."),
    ("max_start", b"syntax = \"proto2\";\nmessage A { extensions 2147483647; }\n", "max_start.proto:2:34: Field number out of bounds."),
    ("enum_eof", b"syntax = \"proto3\";\nenum E { A = 0;\n", "enum_eof.proto:3:1: Reached end of input in enum definition (missing '}')."),
    ("missing_field_number", b"syntax = \"proto3\";\nmessage A { int32 a; }\n", "missing_field_number.proto:2:20: Missing field number."),
    ("slash", b"syntax = \"proto3\";\nmessage A / {}\n", "slash.proto:2:11: Expected \"{\"."),
    ("u_escape", b"syntax = \"proto3\";\noption x = \"\\u12\";\n", "u_escape.proto:2:17: Expected four hex digits for \\u escape sequence."),
    ("U_escape", b"syntax = \"proto3\";\noption x = \"\\U00110000\";\n", ""),
    ("visibility_2023", b"edition = \"2023\";\nexport message A {}\n", "visibility_2023.proto:2:1: Expected top-level statement (e.g. \"message\")."),
    ("visibility_bad", b"edition = \"2024\";\nexport service A {}\n", "visibility_bad.proto:2:8: 'local' and 'export' visibility modifiers are valid only on 'message' and 'enum'"),
    ("group_editions", b"edition = \"2023\";\nmessage A { group G = 1 {} }\n", "group_editions.proto:2:13: Group syntax is no longer supported in editions. To get group behavior you can specify features.message_encoding = DELIMITED on a message field."),
    ("multi_pkg", b"syntax = \"proto3\";\npackage a;\npackage b;\n", "multi_pkg.proto:3:1: Multiple package definitions."),
    ("nul_in_string", b"syntax = \"proto3\";\noption x = \"a\x00b\";\n", "nul_in_string.proto:2:14: Unexpected end of string."),
    ("nul_in_comment", b"syntax = \"proto3\";\n/* a\x00 */\n", "nul_in_comment.proto:2:5: End-of-file inside block comment."),
    ("deep", b"syntax = \"proto3\";\nmessage A {message A {message A {message A {message A {message A {message A {message A {message A {message A {message A {message A {message A {message A {message A {message A {message A {message A {message A {message A {message A {message A {message A {message A {message A {message A {message A {message A {message A {message A {message A {message A {message A {}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}\n", "deep.proto:2:342: Reached maximum recursion limit for nested messages."),
];
