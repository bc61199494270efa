//! Table tests for the codec; each expectation was checked against protoc 36.2.

use super::schema::Schema;
use super::*;
use crate::compiler::descriptor::{
    DescriptorProto, EnumDescriptorProto, EnumValueDescriptorProto, FieldDescriptorProto,
    FileDescriptorProto,
};

fn field(
    name: &str,
    number: i32,
    label: i32,
    ty: i32,
    type_name: Option<&str>,
) -> FieldDescriptorProto {
    FieldDescriptorProto {
        name: Some(name.into()),
        number: Some(number),
        label: Some(label),
        r#type: Some(ty),
        type_name: type_name.map(str::to_string),
        ..Default::default()
    }
}

/// proto2 `t.M { optional int32 a = 1; repeated string s = 2; optional E e = 3;
/// required M child = 4 (optional here) ; required int32 r = 5; }`, enum `E { X = 1; }`.
fn schema() -> Schema {
    let file = FileDescriptorProto {
        name: Some("t.proto".into()),
        package: Some("t".into()),
        message_type: vec![DescriptorProto {
            name: Some("M".into()),
            field: vec![
                field("a", 1, 1, 5, None),
                field("s", 2, 3, 9, None),
                field("e", 3, 1, 14, Some(".t.E")),
                field("child", 4, 1, 11, Some(".t.M")),
                field("r", 5, 2, 5, None),
            ],
            ..Default::default()
        }],
        enum_type: vec![EnumDescriptorProto {
            name: Some("E".into()),
            value: vec![EnumValueDescriptorProto {
                name: Some("X".into()),
                number: Some(1),
                ..Default::default()
            }],
            ..Default::default()
        }],
        ..Default::default()
    };
    Schema::new([&file])
}

fn stdout(o: &Outcome) -> &str {
    std::str::from_utf8(&o.stdout).unwrap()
}

#[test]
fn decode_raw_prints_every_wire_type() {
    let o = decode_raw(b"\x08\x96\x01\x0a\x03abc\x0a\x02\x08\x01\x0d\x01\x02\x03\x04\x11\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x08\x01\x0c");
    assert!(o.ok);
    assert_eq!(
        stdout(&o),
        "1: 150\n1: \"abc\"\n1 {\n  1: 1\n}\n1: 0x04030201\n2: 0x0807060504030201\n1 {\n  1: 1\n}\n"
    );
}

#[test]
fn decode_raw_rejects_what_protoc_rejects() {
    for bad in [
        &b"\x08"[..],
        b"\x00",
        b"\x0c",
        b"\x0f",
        b"\x0b\x08\x01\x14",
        b"\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",
        b"\xf8\xff\xff\xff\xff\x01",
    ] {
        let o = decode_raw(bad);
        assert!(!o.ok, "{bad:?}");
        assert_eq!(o.stderr, "Failed to parse input.\n");
    }
    // Empty input is an empty message.
    assert!(decode_raw(b"").ok);
}

#[test]
fn unknown_bytes_nest_ten_levels_then_print_as_strings() {
    let mut x = b"\x08\x01".to_vec();
    for _ in 0..12 {
        x = [vec![0x0a, x.len() as u8], x].concat();
    }
    let text = String::from_utf8(decode_raw(&x).stdout).unwrap();
    assert_eq!(text.matches('{').count(), 10);
    assert!(text.contains("1: \"\\n\\002\\010\\001\"\n"));
    // Not a valid set: a string, octal escapes for what is not printable ASCII.
    assert_eq!(
        stdout(&decode_raw(b"\x0a\x05\xff\xfe\x01\x02\x03")),
        "1: \"\\377\\376\\001\\002\\003\"\n"
    );
}

#[test]
fn decode_prints_known_fields_then_unknown_ones() {
    let s = schema();
    // a=3 twice (last wins), s twice, e=7 (unknown to a closed enum), an unknown field 9, r=1.
    let o = decode(
        &s,
        "t.M",
        b"\x08\x02\x12\x01x\x18\x07\x48\x05\x08\x03\x12\x02\"y\x28\x01",
    );
    assert!(o.ok, "{o:?}");
    assert_eq!(
        stdout(&o),
        "a: 3\ns: \"x\"\ns: \"\\\"y\"\nr: 1\n3: 7\n9: 5\n"
    );
    assert_eq!(o.stderr, "");
}

#[test]
fn decode_warns_about_missing_required_fields_with_their_paths() {
    let s = schema();
    let o = decode(&s, "t.M", b"\x22\x02\x08\x01");
    assert!(o.ok && o.warned);
    assert_eq!(
        o.stderr,
        "warning:  Input message is missing required fields:  r, child.r\n"
    );
    assert_eq!(stdout(&o), "child {\n  a: 1\n}\n");
}

#[test]
fn decode_errors() {
    let s = schema();
    assert_eq!(
        decode(&s, "t.Nope", b"").stderr,
        "Type not defined: t.Nope\n"
    );
    // A length past the end.
    assert_eq!(
        decode(&s, "t.M", b"\x22\x05\x08").stderr,
        "Failed to parse input.\n"
    );
}

#[test]
fn serializer_writes_fields_by_number_then_unknown_ones() {
    let s = schema();
    let mt = s.message("t.M").unwrap();
    let m = wire::parse_message(&s, mt, b"\x28\x01\x08\x02\x48\x05").unwrap();
    assert_eq!(
        write::message(&s, mt, &m, false).bytes,
        b"\x08\x02\x28\x01\x48\x05"
    );
}

fn encode_text(text: &str, format: ErrorFormat) -> Outcome {
    let options = Options {
        deterministic: false,
        error_format: format,
    };
    encode(&schema(), "t.M", text.as_bytes(), options)
}

#[test]
fn encode_writes_fields_by_number_and_warns_of_missing_required_ones() {
    let o = encode_text(
        "s: 'x' \"y\" # joined\na: -1, child < r: 2 >;",
        ErrorFormat::Gcc,
    );
    assert!(o.ok);
    assert_eq!(
        o.stdout,
        b"\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01\x12\x02xy\x22\x02\x28\x02"
    );
    assert_eq!(
        o.stderr,
        "warning:  Input message is missing required fields:  r\n"
    );
}

#[test]
fn encode_stops_at_the_first_parser_error_after_the_tokenizer_errors() {
    let o = encode_text("a: 08 a: 1", ErrorFormat::Gcc);
    assert!(!o.ok && o.stdout.is_empty());
    assert_eq!(
        o.stderr,
        "input:1:5: Numbers starting with leading zero must be in octal.\n\
         input:1:4: Integer out of range (08)\nFailed to parse input.\n"
    );
    let o = encode_text("\ta: 1 a: 2", ErrorFormat::Msvs);
    assert_eq!(
        o.stderr,
        "input(1) : error in column=15: Non-repeated field \"a\" is specified multiple times.\n\
         Failed to parse input.\n"
    );
}

#[test]
fn encode_names_unknown_fields_and_enum_values() {
    let o = encode_text("e: Y", ErrorFormat::Gcc);
    assert_eq!(
        o.stderr,
        "input:1:5: Unknown enumeration value of \"Y\" for field \"e\".\nFailed to parse input.\n"
    );
    let o = encode_text("child { b: 1 }", ErrorFormat::Gcc);
    assert_eq!(
        o.stderr,
        "input:1:10: Message type \"t.M\" has no field named \"b\".\nFailed to parse input.\n"
    );
}
