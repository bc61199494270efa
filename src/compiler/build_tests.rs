//! Unit tests for `build`: what protoc's CLI cannot show because option interpretation rewrites
//! it (the parser's `UninterpretedOption`s and their locations), read from protoc's parser.cc.
//! Everything else is checked against protoc itself by tests/compile_oracle.rs.

use prost::Message;

use super::build::build;
use super::descriptor::*;

fn built(src: &str) -> (FileDescriptorProto, SourceCodeInfo) {
    build(&super::parse("t.proto", src.as_bytes()).expect("parses"))
}

fn paths(info: &SourceCodeInfo) -> Vec<(Vec<i32>, Vec<i32>)> {
    info.location
        .iter()
        .map(|l| (l.path.to_vec(), l.span.to_vec()))
        .collect()
}

#[test]
fn option_values_are_uninterpreted_like_protoc() {
    let (fd, info) = built(
        "syntax = \"proto2\";\n\
         option a = IDENT;\n\
         option b = 18446744073709551615;\n\
         option c = -9223372036854775808;\n\
         option d = 1.5;\n\
         option e = -inf;\n\
         option f = \"x\\377\";\n\
         option (g.h).i = { k: [1, 2] };\n\
         option j = 18446744073709551616;\n",
    );
    let u = &fd.options.unwrap().uninterpreted;
    assert_eq!(u[0].identifier_value.as_deref(), Some("IDENT"));
    assert_eq!(u[1].positive_int_value, Some(u64::MAX));
    assert_eq!(u[2].negative_int_value, Some(i64::MIN));
    assert_eq!(u[3].double_value, Some(1.5));
    assert_eq!(u[4].double_value, Some(f64::NEG_INFINITY));
    assert_eq!(u[5].string_value.as_deref(), Some(&b"x\xff"[..]));
    // protoc keeps the gaps between tokens as spaces, the braces excluded.
    assert_eq!(u[6].aggregate_value.as_deref(), Some(&b" k: [1, 2] "[..]));
    assert_eq!(u[7].double_value, Some(18446744073709551616.0));
    let names: Vec<_> = u[6]
        .name
        .iter()
        .map(|p| (p.name_part.as_str(), p.is_extension))
        .collect();
    assert_eq!(names, [("g.h", true), ("i", false)]);

    let locs = paths(&info);
    // `option e = -inf;` (line 5): the value location starts at '-' and is recorded as an
    // identifier (3) although the value is a double.
    assert!(locs.contains(&(vec![8, 999, 4, 3], vec![5, 11, 15])));
    // `option (g.h).i = ...` (line 7): part 0 spans the parentheses, its name_part does not.
    let at = locs
        .iter()
        .position(|l| l.0 == [8, 999, 6])
        .expect("option 6");
    assert_eq!(
        &locs[at - 1..at + 7],
        &[
            (vec![8], vec![7, 0, 31]),
            (vec![8, 999, 6], vec![7, 0, 31]),
            (vec![8, 999, 6, 2], vec![7, 7, 14]),
            (vec![8, 999, 6, 2, 0], vec![7, 7, 12]),
            (vec![8, 999, 6, 2, 0, 1], vec![7, 8, 11]),
            (vec![8, 999, 6, 2, 1], vec![7, 13, 14]),
            (vec![8, 999, 6, 2, 1, 1], vec![7, 13, 14]),
            (vec![8, 999, 6, 8], vec![7, 17, 30]),
        ][..]
    );
}

#[test]
fn empty_rpc_body_gives_present_empty_options() {
    let (fd, _) = built(
        "syntax = \"proto3\";\nmessage M {}\nservice S {\n  rpc A(M) returns (M) {}\n  rpc B(M) returns (M);\n}\n",
    );
    let m = &fd.service[0].method;
    assert_eq!(m[0].options, Some(RawOptions::default()));
    assert_eq!(m[1].options, None);
    assert!(m[0].encode_to_vec().ends_with(b"\x22\x00"));
}

#[test]
fn map_entry_copies_features_and_string_enforce_utf8() {
    let (fd, _) = built(
        "syntax = \"proto3\";\nmessage M {\n  map<string, int32> my_map_ = 1 [features.x = A, enforce_utf8 = false, (c) = 1];\n}\n",
    );
    let m = &fd.message_type[0];
    assert_eq!(m.field[0].type_name.as_deref(), Some("MyMapEntry"));
    assert_eq!(m.field[0].label, Some(label::REPEATED));
    let entry = &m.nested_type[0];
    assert_eq!(entry.name.as_deref(), Some("MyMapEntry"));
    assert_eq!(entry.options.as_ref().unwrap().raw, [0x38, 0x01]);
    let names = |f: &FieldDescriptorProto| -> Vec<String> {
        f.options
            .iter()
            .flat_map(|o| &o.uninterpreted)
            .map(|u| u.name[0].name_part.clone())
            .collect()
    };
    assert_eq!(names(&entry.field[0]), ["features", "enforce_utf8"]);
    assert_eq!(names(&entry.field[1]), ["features"]);
    assert_eq!(entry.field[0].r#type, Some(9));
    assert_eq!(entry.field[1].r#type, Some(5));
}

#[test]
fn extension_range_options_are_copied_to_every_range() {
    let (fd, info) =
        built("syntax = \"proto2\";\nmessage M {\n  extensions 1, 5 to max [x = 1];\n}\n");
    let ranges = &fd.message_type[0].extension_range;
    assert_eq!(ranges[1].end, Some(536_870_912));
    assert_eq!(ranges[0].options, ranges[1].options);
    let under: Vec<_> = paths(&info)
        .into_iter()
        .filter(|(p, _)| p.len() > 5 && p[..3] == [4, 0, 5] && p[4] == 3)
        .map(|(p, _)| p)
        .collect();
    let copy = |i| {
        vec![
            vec![4, 0, 5, i, 3, 999, 0],
            vec![4, 0, 5, i, 3, 999, 0, 2],
            vec![4, 0, 5, i, 3, 999, 0, 2, 0],
            vec![4, 0, 5, i, 3, 999, 0, 2, 0, 1],
            vec![4, 0, 5, i, 3, 999, 0, 4],
        ]
    };
    assert_eq!(under, [copy(0), copy(1)].concat());
}
