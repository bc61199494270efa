//! Option interpretation on small files (the oracle test compares whole corpora with protoc).

use super::descriptor::FileDescriptorProto;
use super::set;

fn compile(src: &str) -> FileDescriptorProto {
    let resolver = |n: &str| match n {
        "t.proto" => Some(src.as_bytes().to_vec()),
        "google/protobuf/descriptor.proto" => {
            Some(include_bytes!(concat!(env!("OUT_DIR"), "/descriptor.proto")).to_vec())
        }
        _ => None,
    };
    let files = set::compile(&["t.proto"], &resolver).expect("compiles");
    files.last().unwrap().clone()
}

#[test]
fn known_options_are_written_in_field_order() {
    let f = compile(
        "syntax = \"proto2\";\noption optimize_for = CODE_SIZE;\noption java_package = \"p\";\n",
    );
    let o = f.options.unwrap();
    assert!(o.uninterpreted.is_empty());
    // java_package (1) before optimize_for (9), whatever the source order.
    assert_eq!(o.raw, b"\x0a\x01p\x48\x02");
}

#[test]
fn custom_options_follow_known_ones_in_source_order() {
    let f = compile(
        "syntax = \"proto2\";\nimport \"google/protobuf/descriptor.proto\";\n\
         extend google.protobuf.MessageOptions { optional sint32 b = 50001; repeated int32 a = 50000; }\n\
         message M { option (b) = -1; option (a) = 2; option (a) = 3; option deprecated = true; }\n",
    );
    let m = &f.message_type[0];
    let o = m.options.as_ref().unwrap();
    assert_eq!(
        o.raw,
        b"\x18\x01\x88\xb5\x18\x01\x80\xb5\x18\x02\x80\xb5\x18\x03"
    );
    // [4, 0, 7, 999, k] became the option's path, repeated ones indexed.
    let paths: Vec<_> = f
        .source_code_info
        .unwrap()
        .location
        .into_iter()
        .map(|l| l.path.into_vec())
        .filter(|p| p.starts_with(&[4, 0, 7]) && p.len() > 3)
        .collect();
    assert_eq!(
        paths,
        vec![
            vec![4, 0, 7, 50001],
            vec![4, 0, 7, 50000, 0],
            vec![4, 0, 7, 50000, 1],
            vec![4, 0, 7, 3]
        ]
    );
}

#[test]
fn aggregate_values_serialize_in_field_number_order() {
    let f = compile(
        "syntax = \"proto3\";\nimport \"google/protobuf/descriptor.proto\";\n\
         message V { repeated int32 xs = 2; string s = 1; }\n\
         extend google.protobuf.FileOptions { V v = 50000; }\n\
         option (v) = { xs: [1, 2] s: \"a\" };\n",
    );
    // s first, then xs packed (proto3).
    assert_eq!(
        f.options.unwrap().raw,
        b"\x82\xb5\x18\x07\x0a\x01a\x12\x02\x01\x02"
    );
}
