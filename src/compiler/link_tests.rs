//! Linker unit tests: protoc's json names, float formatting and scope walking on in-memory
//! files (the protoc comparisons live in tests/compile_oracle.rs).

use super::link::to_json_name;
use super::literals::simple_ftoa;
use super::set::compile;

#[test]
fn json_names_follow_protoc() {
    assert_eq!(to_json_name("a_b_c"), "aBC");
    assert_eq!(to_json_name("foo__bar_"), "fooBar");
    assert_eq!(to_json_name("_x"), "X");
    assert_eq!(to_json_name("Already"), "Already");
}

#[test]
fn float_defaults_use_simple_ftoa() {
    assert_eq!(simple_ftoa(9e9), "9e+09");
    assert_eq!(simple_ftoa(0.1), "0.1");
    assert_eq!(simple_ftoa(f32::NEG_INFINITY), "-inf");
    assert_eq!(simple_ftoa(16777217.0), "16777216");
    assert_eq!(simple_ftoa(3.4028235e38), "3.40282347e+38");
    // Subnormals: glibc's strtof reports ERANGE, so protoc always prints nine digits.
    assert_eq!(simple_ftoa(f32::from_bits(6652)), "9.32143738e-42");
}

#[test]
fn stored_defaults_are_reprinted_as_protoc_reprints_them() {
    use super::literals::stored_default;
    let s = |ty, t: &str| stored_default(ty, t.as_bytes()).map(|v| String::from_utf8(v).unwrap());
    // Past FLT_MAX by less than half an ulp: FLT_MAX; further: infinity.
    assert_eq!(
        s(2, "3.40282347183919e+38").as_deref(),
        Some("3.40282347e+38")
    );
    assert_eq!(s(2, "3.4028236e+38").as_deref(), Some("inf"));
    assert_eq!(
        s(2, "-3.40282347183919e+38").as_deref(),
        Some("-3.40282347e+38")
    );
    assert_eq!(s(1, "-nan").as_deref(), Some("nan"));
    assert_eq!(s(2, "-nan").as_deref(), Some("nan"));
    assert_eq!(s(1, "-0").as_deref(), Some("-0"));
    assert_eq!(s(5, "-0").as_deref(), Some("0"));
    assert_eq!(s(5, "-12").as_deref(), None);
    assert_eq!(s(9, "-0").as_deref(), None);
}

fn files<'a>(srcs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<Vec<u8>> + 'a {
    move |n| {
        srcs.iter()
            .find(|(k, _)| *k == n)
            .map(|(_, v)| v.as_bytes().to_vec())
    }
}

#[test]
fn partial_match_skips_non_aggregates() {
    // `x.Y` from inside `p.M`: `p.M.x` is a field, so the walk continues to `p.x`.
    let src = "syntax = \"proto2\"; package p;\
               message x { message Y {} }\
               message M { optional int32 x = 1; optional x.Y y = 2; }";
    let out = compile(&["a.proto"], &files(&[("a.proto", src)])).unwrap();
    let f = &out[0].message_type[1].field[1];
    assert_eq!(f.type_name.as_deref(), Some(".p.x.Y"));
    assert_eq!(f.r#type, Some(11));
}

#[test]
fn public_imports_are_visible_transitively() {
    let srcs = [
        (
            "a.proto",
            "syntax = \"proto3\"; import \"b.proto\"; message A { C c = 1; }",
        ),
        ("b.proto", "syntax = \"proto3\"; import public \"c.proto\";"),
        (
            "c.proto",
            "syntax = \"proto3\"; import public \"d.proto\"; message C { D d = 1; }",
        ),
        ("d.proto", "syntax = \"proto3\"; message D {}"),
    ];
    let out = compile(&["a.proto"], &files(&srcs)).unwrap();
    let names: Vec<_> = out.iter().map(|f| f.name().to_string()).collect();
    assert_eq!(names, ["d.proto", "c.proto", "b.proto", "a.proto"]);
    assert_eq!(
        out[3].message_type[0].field[0].type_name.as_deref(),
        Some(".C")
    );
}

#[test]
fn private_import_of_an_import_is_not_visible() {
    let srcs = [
        (
            "a.proto",
            "syntax = \"proto3\";\nimport \"b.proto\";\nmessage A { D d = 1; }",
        ),
        ("b.proto", "syntax = \"proto3\"; import \"d.proto\";"),
        ("d.proto", "syntax = \"proto3\"; message D {}"),
    ];
    let err = compile(&["a.proto"], &files(&srcs)).unwrap_err();
    assert_eq!(
        err[0],
        "a.proto:3:13: \"D\" seems to be defined in \"d.proto\", which is not imported by \
         \"a.proto\".  To use it here, please add the necessary import."
    );
}
