//! Tests for the output tree: protoc's response rules, unit cases and comparisons with protoc.

use super::*;
use prost_types::compiler::code_generator_response::File;
use prost_types::generated_code_info::Annotation;

fn file(name: &str, point: &str, content: &str) -> File {
    File {
        name: (!name.is_empty()).then(|| name.to_string()),
        insertion_point: (!point.is_empty()).then(|| point.to_string()),
        content: Some(content.to_string()),
        generated_code_info: None,
    }
}

fn response(files: Vec<File>) -> CodeGeneratorResponse {
    CodeGeneratorResponse {
        file: files,
        ..Default::default()
    }
}

fn text(tree: &OutputTree, location: &str, name: &str) -> String {
    let loc = tree.location(location).expect("location");
    String::from_utf8(loc.files()[name].clone()).expect("utf-8")
}

#[test]
fn locations_are_normalised_like_protoc() {
    assert_eq!(normalize_location("out"), "out/");
    assert_eq!(normalize_location("out/"), "out/");
    assert_eq!(normalize_location("./out"), "./out/");
    assert_eq!(normalize_location("x.zip"), "x.zip");
    assert_eq!(normalize_location("x.jar"), "x.jar");
    assert_eq!(normalize_location("x.srcjar"), "x.srcjar");
    assert_eq!(normalize_location("x.zip/"), "x.zip/");
    assert_eq!(normalize_location(""), "");
}

#[test]
fn continuation_chunks_append_to_the_open_file() {
    let mut t = OutputTree::new();
    let r = response(vec![
        file("a.txt", "", "one "),
        file("", "", "two "),
        file("b.txt", "", "b"),
        file("", "", "three"),
    ]);
    t.apply("out", "protoc-gen-x", &r).unwrap();
    assert_eq!(text(&t, "out", "a.txt"), "one two ");
    assert_eq!(text(&t, "out", "b.txt"), "bthree");
}

#[test]
fn insertion_chunks_continue_and_apply_in_order() {
    let mut t = OutputTree::new();
    let r = response(vec![
        file("a.txt", "", "{\n  // @@protoc_insertion_point(p)\n}\n"),
        file("a.txt", "p", "x"),
        file("", "", "y"),
        file("a.txt", "p", "z\n"),
    ]);
    t.apply("out", "protoc-gen-x", &r).unwrap();
    assert_eq!(
        text(&t, "out", "a.txt"),
        "{\n  xy\n  z\n  // @@protoc_insertion_point(p)\n}\n"
    );
}

#[test]
fn out_and_out_slash_share_a_context_but_dot_out_does_not() {
    let mut t = OutputTree::new();
    let base = response(vec![file("a.txt", "", "// @@protoc_insertion_point(p)\n")]);
    t.apply("out", "protoc-gen-a", &base).unwrap();
    t.apply(
        "out/",
        "protoc-gen-b",
        &response(vec![file("a.txt", "p", "x")]),
    )
    .unwrap();
    assert_eq!(
        text(&t, "out", "a.txt"),
        "x\n// @@protoc_insertion_point(p)\n"
    );

    let err = t
        .apply(
            "./out",
            "protoc-gen-c",
            &response(vec![file("a.txt", "p", "y")]),
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "a.txt: Tried to insert into file that doesn't exist."
    );
    assert!(t.location("out").unwrap().errors().is_empty());
    assert_eq!(t.location("./out").unwrap().errors().len(), 1);
    assert!(t.has_errors());
}

#[test]
fn first_chunk_without_name() {
    let mut t = OutputTree::new();
    let err = t
        .apply(
            "out",
            "protoc-gen-x",
            &response(vec![file("", "", "x"), file("a", "", "")]),
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "protoc-gen-x: First file chunk returned by plugin did not specify a file name."
    );
    assert!(err.errors[0].is_plugin_failure());
    // protoc stops at that chunk: the later file was never opened.
    assert!(t.location("out").unwrap().files().is_empty());
}

#[test]
fn every_error_is_collected_in_order() {
    let mut t = OutputTree::new();
    t.apply(
        "out",
        "protoc-gen-a",
        &response(vec![file("a", "", "//@@protoc_insertion_point(p)")]),
    )
    .unwrap();
    let r = response(vec![
        file("a", "", "again"),
        file("missing", "p", "x"),
        file("a", "q", "x"),
        file("a", "p", "ok"),
        file("missing", "", "now it collides"),
    ]);
    let err = t.apply("out/", "protoc-gen-b", &r).unwrap_err();
    let lines: Vec<String> = err.errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(
        lines,
        [
            "a: Tried to write the same file twice.",
            "missing: Tried to insert into file that doesn't exist.",
            "a: insertion point \"q\" not found.",
            "missing: Tried to write the same file twice.",
        ]
    );
    // The good insertion still happened, as in protoc, but the location is poisoned.
    assert_eq!(text(&t, "out", "a"), "ok\n//@@protoc_insertion_point(p)");
    assert_eq!(t.errors().count(), 4);
    assert_eq!(err.to_string().lines().count(), 4);
}

#[test]
fn unsafe_names_are_refused() {
    let cases = [
        ("../x", "\"..\" component"),
        ("a/../../x", "\"..\" component"),
        ("..", "\"..\" component"),
        ("/etc/passwd", "absolute path"),
        ("a\\b", "backslash"),
        ("a\0b", "NUL"),
        ("./a", "\".\" component"),
        ("a/./b", "\".\" component"),
        ("a//b", "empty component"),
        ("a/", "empty component"),
    ];
    for (name, why) in cases {
        let mut t = OutputTree::new();
        let err = t
            .apply("out", "protoc-gen-x", &response(vec![file(name, "", "x")]))
            .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with("protoc-gen-x: Output file name "),
            "{name}: {msg}"
        );
        assert!(msg.contains(why), "{name}: {msg}");
        assert!(t.location("out").unwrap().files().is_empty(), "{name}");
    }
    let mut t = OutputTree::new();
    let err = t
        .apply("out", "protoc-gen-x", &response(vec![file("../x", "", "")]))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "protoc-gen-x: Output file name \"../x\" has a \"..\" component: nothing may be written \
         outside the output directory."
    );
    // An insertion with an empty name is refused too rather than looked up.
    let err = t
        .apply("o2", "protoc-gen-x", &response(vec![file("", "p", "x")]))
        .unwrap_err();
    assert!(err.to_string().contains("\"\" is empty"), "{err}");
}

#[test]
fn names_that_only_look_odd_are_allowed() {
    let mut t = OutputTree::new();
    let names = ["a..b", "..a/b..", ".hidden", "x/.y", "sp ace", "ü"];
    let r = response(names.iter().map(|n| file(n, "", "")).collect());
    t.apply("out", "protoc-gen-x", &r).unwrap();
    assert_eq!(t.location("out").unwrap().files().len(), names.len());
}

fn ann(path: &[i32], begin: i32, end: i32) -> Annotation {
    Annotation {
        path: path.to_vec(),
        source_file: Some("a.proto".to_string()),
        begin: Some(begin),
        end: Some(end),
    }
}

fn meta_of(t: &OutputTree, name: &str) -> Vec<(i32, i32)> {
    let bytes = &t.location("out").unwrap().files()[name];
    meta::MetaInfo::decode(bytes.as_slice())
        .unwrap()
        .annotation
        .iter()
        .map(|a| (a.begin.unwrap(), a.end.unwrap()))
        .collect()
}

#[test]
fn metadata_is_created_and_shifted_for_indented_insertions() {
    let mut t = OutputTree::new();
    // "ab\n" then an indented marker at offset 3.
    let base = "ab\n  @@protoc_insertion_point(p)\nz\n";
    let mut ins = file("f.h", "p", "x\nyy");
    // "x\nyy\n": "x" is 0..1, "yy" 2..4; each line gets a 2-space indent.
    ins.generated_code_info = Some(GeneratedCodeInfo {
        annotation: vec![ann(&[1], 0, 1), ann(&[2], 2, 4), ann(&[3], 0, 4)],
    });
    let mut spanning_first = file("s.h", "p", "x\nyy");
    spanning_first.generated_code_info = Some(GeneratedCodeInfo {
        annotation: vec![ann(&[3], 0, 4), ann(&[1], 0, 1), ann(&[2], 2, 4)],
    });
    let r = response(vec![
        file("f.h", "", base),
        ins,
        file("s.h", "", base),
        spanning_first,
    ]);
    t.apply("out", "protoc-gen-x", &r).unwrap();
    assert_eq!(
        text(&t, "out", "f.h"),
        "ab\n  x\n  yy\n  @@protoc_insertion_point(p)\nz\n"
    );
    // x at 5..6, yy at 9..11; the spanning one starts at 5 and its end takes the inner indent.
    // The third annotation starts scanning where the second stopped, as protoc's shared `pos`.
    assert_eq!(meta_of(&t, "f.h.pb.meta"), [(5, 6), (9, 11), (7, 11)]);
    // Scanned first, the spanning one gets the inner indent in its end (5..11); the later ones
    // start after the scanned text and only take the accumulated shift, as in protoc.
    assert_eq!(meta_of(&t, "s.h.pb.meta"), [(5, 11), (7, 8), (9, 11)]);
}

#[test]
fn existing_binary_metadata_is_shifted_past_the_insertion() {
    let mut t = OutputTree::new();
    let base = "class A;\n// @@protoc_insertion_point(p)\nclass B;\n";
    let meta = meta::MetaInfo {
        annotation: vec![
            meta::MetaAnnotation {
                begin: Some(6),
                end: Some(7),
                semantic: Some(1),
                ..Default::default()
            },
            meta::MetaAnnotation {
                begin: Some(45),
                end: Some(46),
                ..Default::default()
            },
        ],
    };
    let meta_text = String::from_utf8(meta.encode_to_vec()).expect("small values are ASCII");
    let mut ins = file("f.h", "p", "int x;");
    ins.generated_code_info = Some(GeneratedCodeInfo {
        annotation: vec![ann(&[9], 4, 5)],
    });
    let r = response(vec![
        file("f.h", "", base),
        file("f.h.pb.meta", "", &meta_text),
        ins,
    ]);
    t.apply("out", "protoc-gen-x", &r).unwrap();
    // Inserted at 9, 7 bytes: A stays, the new one lands at 13, B moves by 7.
    assert_eq!(meta_of(&t, "f.h.pb.meta"), [(6, 7), (13, 14), (52, 53)]);
    let decoded =
        meta::MetaInfo::decode(t.location("out").unwrap().files()["f.h.pb.meta"].as_slice())
            .unwrap();
    assert_eq!(decoded.annotation[0].semantic, Some(1), "semantic survives");
}

#[test]
fn no_metadata_without_annotations_and_text_metadata_is_left_with_a_warning() {
    let mut t = OutputTree::new();
    let r = response(vec![
        file("f.h", "", "@@protoc_insertion_point(p)\n"),
        file("f.h", "p", "x"),
    ]);
    t.apply("out", "protoc-gen-x", &r).unwrap();
    assert!(!t
        .location("out")
        .unwrap()
        .files()
        .contains_key("f.h.pb.meta"));
    assert!(t.warnings().is_empty());

    // '\xff'-free text that is not valid wire format: an 'a' (field 12, fixed64) runs short.
    let text_meta = "annotation {\n  begin: 1\n}\n";
    assert!(meta::MetaInfo::decode(text_meta.as_bytes()).is_err());
    let r = response(vec![
        file("g.h", "", "@@protoc_insertion_point(p)\n"),
        file("g.h.pb.meta", "", text_meta),
        file("g.h", "p", "x"),
    ]);
    t.apply("out", "protoc-gen-x", &r).unwrap();
    assert_eq!(
        t.location("out").unwrap().files()["g.h.pb.meta"],
        text_meta.as_bytes()
    );
    assert_eq!(t.warnings().len(), 1);
    assert!(
        t.warnings()[0].starts_with("g.h.pb.meta: not updated"),
        "{:?}",
        t.warnings()
    );
}

#[cfg(unix)]
mod oracle {
    use super::*;
    use crate::output::testutil::{read_tree, run_protoc};

    /// One response exercising every insertion form, applied by protoc and by us.
    #[test]
    fn insertions_match_protoc() {
        let base = "top\n\
                    \x20   // @@protoc_insertion_point(spaces)\n\
                    \t\t# @@protoc_insertion_point(tabs)\n\
                    int a; /* @@protoc_insertion_point(inline) */ int b;\n\
                    @@protoc_insertion_point(dup) @@protoc_insertion_point(dup)\n";
        let r = response(vec![
            file("sub/f.txt", "", base),
            file("sub/f.txt", "spaces", "one\n\nthree"),
            file("", "", "-continued"),
            file("sub/f.txt", "tabs", ""),
            file("sub/f.txt", "tabs", "t1"),
            file("sub/f.txt", "inline", "in"),
            file("sub/f.txt", "spaces", "last\n"),
            file("sub/f.txt", "dup", "d"),
            file("g.txt", "", "/* @@protoc_insertion_point(start) */\n"),
            file("g.txt", "start", "s"),
        ]);
        let run = run_protoc(&[("fake", &r)], &["out"], &["--fake_out=out"]);
        assert!(run.success, "{}", run.stderr);
        let mut t = OutputTree::new();
        t.apply("out", "protoc-gen-fake", &r).unwrap();
        assert_eq!(
            t.location("out").unwrap().files(),
            &read_tree(&run.path("out"))
        );
    }

    /// Two plugins sharing `out` and `out/`, the second inserting into the first's file, with
    /// annotations on the insertion: files and the generated .pb.meta match protoc's.
    #[test]
    fn shared_context_and_metadata_match_protoc() {
        let first = response(vec![
            file(
                "a.h",
                "",
                "class A;\n  // @@protoc_insertion_point(p)\nclass B;\n",
            ),
            file(
                "a.h.pb.meta",
                "",
                &String::from_utf8(
                    GeneratedCodeInfo {
                        annotation: vec![ann(&[4, 0], 6, 7), ann(&[4, 1], 47, 48)],
                    }
                    .encode_to_vec(),
                )
                .unwrap(),
            ),
            file("b.h", "", "  @@protoc_insertion_point(q)\n"),
        ]);
        let mut ins = file("a.h", "p", "int x;\nint yy;");
        ins.generated_code_info = Some(GeneratedCodeInfo {
            annotation: vec![ann(&[3], 0, 13), ann(&[1], 4, 5), ann(&[2], 11, 13)],
        });
        let mut ins_new_meta = file("b.h", "q", "z\nw");
        ins_new_meta.generated_code_info = Some(GeneratedCodeInfo {
            annotation: vec![ann(&[7], 2, 3)],
        });
        let second = response(vec![ins, ins_new_meta]);
        let run = run_protoc(
            &[("one", &first), ("two", &second)],
            &["out"],
            &["--one_out=out", "--two_out=out/"],
        );
        assert!(run.success, "{}", run.stderr);
        let mut t = OutputTree::new();
        t.apply("out", "protoc-gen-one", &first).unwrap();
        t.apply("out/", "protoc-gen-two", &second).unwrap();
        let ours = t.location("out").unwrap().files();
        let theirs = read_tree(&run.path("out"));
        assert!(theirs.contains_key("b.h.pb.meta"), "{:?}", theirs.keys());
        assert_eq!(ours, &theirs);
    }

    /// protoc prints each of these errors on its own line, keeps going, exits 1 and writes
    /// nothing; our messages must be the same lines in the same order.
    #[test]
    fn error_messages_match_protoc() {
        let first = response(vec![file("a", "", "//@@protoc_insertion_point(p)\n")]);
        let second = response(vec![
            file("a", "", "again"),
            file("missing", "p", "x"),
            file("a", "q", "x"),
            file("missing", "", "collides"),
        ]);
        let run = run_protoc(
            &[("one", &first), ("two", &second)],
            &["out"],
            &["--one_out=out", "--two_out=out"],
        );
        assert!(!run.success);
        assert!(
            read_tree(&run.path("out")).is_empty(),
            "protoc wrote nothing"
        );
        let mut t = OutputTree::new();
        t.apply("out", "protoc-gen-one", &first).unwrap();
        let err = t.apply("out", "protoc-gen-two", &second).unwrap_err();
        let ours: Vec<String> = err.errors.iter().map(|e| e.to_string()).collect();
        let theirs: Vec<&str> = run.stderr.lines().collect();
        assert_eq!(ours, theirs);

        let bad = response(vec![file("", "", "x")]);
        let run = run_protoc(&[("bad", &bad)], &["out"], &["--bad_out=out"]);
        let err = OutputTree::new()
            .apply("out", "protoc-gen-bad", &bad)
            .unwrap_err();
        assert_eq!(run.stderr.trim_end(), format!("--bad_out: {err}"));
    }
}

/// The fuzz target `apply` (fuzz/) in miniature, so every test run covers it: 20,000 byte-level
/// mutations of a response with insertions and hostile names never panic the tree, and every
/// name the tree accepts is safe.
#[test]
fn mutated_responses_never_panic_or_admit_unsafe_names() {
    use prost::Message;
    let seed = response(vec![
        file("a/b.txt", "", "x\n// @@protoc_insertion_point(p)\n"),
        file("a/b.txt", "p", "  inserted\n"),
        file("", "", "more"),
        file("../up.txt", "", "no"),
        file("c.txt", "q", "nowhere"),
    ])
    .encode_to_vec();
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut decoded = 0;
    for _ in 0..20_000 {
        let mut bytes = seed.clone();
        for _ in 0..1 + next() % 4 {
            let i = (next() as usize) % bytes.len();
            match next() % 3 {
                0 => bytes[i] = next() as u8,
                1 => bytes.truncate(i),
                _ => bytes.insert(i, next() as u8),
            }
            if bytes.is_empty() {
                break;
            }
        }
        let Ok(resp) = CodeGeneratorResponse::decode(&bytes[..]) else {
            continue;
        };
        decoded += 1;
        let mut t = OutputTree::new();
        let _ = t.apply("out", "protoc-gen-x", &resp);
        let _ = t.apply("out/", "protoc-gen-x", &resp);
        for (_, loc) in t.locations() {
            for name in loc.files().keys() {
                assert!(check_name(name).is_ok(), "accepted unsafe name {name:?}");
            }
        }
    }
    assert!(
        decoded > 1_000,
        "only {decoded} mutations decoded: the test would prove little"
    );
}
