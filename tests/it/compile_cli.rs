//! `protowasm protoc` compiling `.proto` files, against protoc 36.2 on the same arguments in
//! the same directory: exit status, the whole of stderr, and every file written (`-o` sets,
//! `--dependency_out` files, captured plugin requests) must be equal.

use std::collections::BTreeMap;
use std::path::Path;

use crate::support::*;

/// A scratch directory holding `files` (path, contents).
fn scratch(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

/// Runs both tools on `args` in copies of `dir`; asserts equal status, stderr and trees.
/// Returns protowasm's run and the files it left.
#[track_caller]
fn same_as_protoc(dir: &Path, args: &[&str]) -> (Run, BTreeMap<String, Vec<u8>>) {
    let theirs_dir = tempfile::tempdir().unwrap();
    let ours_dir = tempfile::tempdir().unwrap();
    for (name, bytes) in read_tree(dir) {
        for d in [theirs_dir.path(), ours_dir.path()] {
            let p = d.join(&name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, &bytes).unwrap();
        }
    }
    let capture = |d: &Path| d.join("request.bin");
    let theirs = protoc_run(
        theirs_dir.path(),
        &s(args),
        &[("CAPTURE_FILE", &capture(theirs_dir.path()))],
    );
    let ours = {
        let mut all = vec!["protoc".to_string()];
        all.extend(s(args));
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_protowasm"))
            .args(&all)
            .current_dir(ours_dir.path())
            .env("PROTOWASM_CACHE_DIR", shared_cache())
            .env("CAPTURE_FILE", capture(ours_dir.path()))
            .output()
            .unwrap();
        Run::from(output)
    };
    assert_eq!(
        (ours.status, ours.stderr.as_str()),
        (theirs.status, theirs.stderr.as_str()),
        "status and stderr for {args:?}"
    );
    let tree = read_tree(ours_dir.path());
    assert_trees_equal(
        &tree,
        &read_tree(theirs_dir.path()),
        &format!("files written for {args:?}"),
    );
    (ours, tree)
}

/// The file `name` protowasm wrote, which must exist.
#[track_caller]
fn written<'a>(tree: &'a BTreeMap<String, Vec<u8>>, name: &str) -> &'a [u8] {
    tree.get(name)
        .unwrap_or_else(|| panic!("{name} was not written"))
}

const A: &str =
    "syntax = \"proto3\";\npackage a;\nimport \"b/b.proto\";\nmessage A { b.B b = 1; }\n";
const B: &str = "syntax = \"proto3\";\npackage b;\nmessage B { int32 x = 1; }\n";

#[test]
fn descriptor_set_flags_write_protocs_bytes() {
    let dir = scratch(&[("src/a.proto", A), ("src/b/b.proto", B)]);
    for flags in [
        &[][..],
        &["--include_imports"],
        &["--include_source_info"],
        &[
            "--include_imports",
            "--include_source_info",
            "--retain_options",
        ],
    ] {
        let mut args = vec!["-Isrc", "-o", "out.pb", "src/a.proto"];
        args.extend_from_slice(flags);
        let (run, tree) = same_as_protoc(dir.path(), &args);
        run.assert_ok();
        assert!(!written(&tree, "out.pb").is_empty());
    }
    // A virtual prefix: `-Ivirt=disk`, the input given by its virtual name.
    let dir = scratch(&[("disk/b.proto", B)]);
    same_as_protoc(dir.path(), &["-Ib=disk", "-o", "out.pb", "b/b.proto"])
        .0
        .assert_ok();
}

#[test]
fn input_path_errors_are_protocs() {
    let dir = scratch(&[
        ("one/x.proto", B),
        ("two/x.proto", B),
        ("elsewhere/y.proto", B),
    ]);
    same_as_protoc(dir.path(), &["-Ione", "-Itwo", "-o", "o.pb", "two/x.proto"])
        .0
        .assert_failed();
    same_as_protoc(dir.path(), &["-Ione", "-o", "o.pb", "elsewhere/y.proto"])
        .0
        .assert_failed();
    same_as_protoc(dir.path(), &["-Ione", "-o", "o.pb", "missing.proto"])
        .0
        .assert_failed();
    same_as_protoc(dir.path(), &["-Ione", "-o", "o.pb", "one"])
        .0
        .assert_failed();
    // Given as a disk path under -I, an input takes its virtual name.
    same_as_protoc(dir.path(), &["-I./one", "-o", "o.pb", "one/x.proto"])
        .0
        .assert_ok();
    // A missing -I directory is a warning only.
    same_as_protoc(dir.path(), &["-Inope", "-Ione", "-o", "o.pb", "x.proto"])
        .0
        .assert_ok();
    same_as_protoc(dir.path(), &["-Ione=", "-o", "o.pb", "x.proto"])
        .0
        .assert_failed();
}

#[test]
fn compile_errors_name_the_disk_file_in_either_format() {
    let bad = "syntax = \"proto3\";\nmessage M {\n  int32 x = ;\n}\n";
    let dir = scratch(&[
        ("p/bad.proto", bad),
        (
            "p/imp.proto",
            "syntax = \"proto3\";\nimport \"bad.proto\";\nimport \"gone.proto\";\n",
        ),
    ]);
    same_as_protoc(dir.path(), &["-Ip", "-o", "o.pb", "bad.proto"])
        .0
        .assert_failed();
    same_as_protoc(
        dir.path(),
        &["-Ip", "--error_format=msvs", "-o", "o.pb", "bad.proto"],
    )
    .0
    .assert_failed();
    // A broken import: its own errors, then the importer's.
    same_as_protoc(dir.path(), &["-Ip", "-o", "o.pb", "imp.proto"])
        .0
        .assert_failed();
    same_as_protoc(
        dir.path(),
        &["-Ip", "--error_format=xml", "-o", "o.pb", "bad.proto"],
    )
    .0
    .assert_failed();
}

#[test]
fn dependency_out_lists_outputs_and_sources() {
    let dir = scratch(&[("src/a.proto", A), ("src/b/b.proto", B)]);
    let (run, tree) = same_as_protoc(
        dir.path(),
        &[
            "-Isrc",
            "-o",
            "out.pb",
            "--dependency_out=deps.d",
            "src/a.proto",
        ],
    );
    run.assert_ok();
    assert!(String::from_utf8_lossy(written(&tree, "deps.d")).starts_with("out.pb: src/"));
    same_as_protoc(
        dir.path(),
        &[
            "-Isrc",
            "-o",
            "out.pb",
            "--dependency_out=deps.d",
            "a.proto",
            "b/b.proto",
        ],
    )
    .0
    .assert_failed();
}

#[test]
fn plugins_get_protocs_request_for_compiled_files() {
    let dir = scratch(&[("src/a.proto", A), ("src/b/b.proto", B), ("out/.keep", "")]);
    let plugin = format!("--plugin=protoc-gen-cap={}", capture_plugin().display());
    let (run, tree) = same_as_protoc(dir.path(), &["-Isrc", &plugin, "--cap_out=out", "a.proto"]);
    run.assert_ok();
    assert!(written(&tree, "request.bin").len() > 100);
    // Flags that only matter with -o: protoc warns and goes on.
    same_as_protoc(
        dir.path(),
        &[
            "-Isrc",
            &plugin,
            "--cap_out=p:out",
            "--include_imports",
            "a.proto",
            "b/b.proto",
        ],
    )
    .0
    .assert_ok();
    // The bundled example, which imports a well-known type: built in for protowasm.
    let example = repo().join("testdata/proto");
    let plugin_arg = plugin.clone();
    let args = [
        "-I",
        example.to_str().unwrap(),
        &plugin_arg,
        "--cap_out=out",
        "example/library/v1/book.proto",
        "example/library/v1/library_service.proto",
    ];
    let (run, tree) = same_as_protoc(dir.path(), &args);
    run.assert_ok();
    let request = String::from_utf8_lossy(written(&tree, "request.bin")).into_owned();
    assert!(request.contains("google/protobuf/timestamp.proto"));
}

#[test]
fn disk_files_come_before_descriptor_set_in() {
    // b.proto in a set and, different, on disk: protoc reads the disk copy.
    let dir = scratch(&[
        ("src/a.proto", A),
        ("src/b/b.proto", B),
        (
            "set/b/b.proto",
            "syntax = \"proto3\";\npackage b;\nmessage B { string other = 7; }\n",
        ),
    ]);
    let set = dir.path().join("b.pb");
    descriptor_set(&set, &dir.path().join("set"), &["b/b.proto"]);
    for include in [&["--include_imports"][..], &[]] {
        let mut args = vec![
            "--descriptor_set_in=b.pb",
            "-Isrc",
            "-o",
            "out.pb",
            "a.proto",
        ];
        args.extend_from_slice(include);
        same_as_protoc(dir.path(), &args).0.assert_ok();
    }
    // Only in the set: the set's copy serves the import.
    let dir2 = scratch(&[("src/a.proto", A)]);
    descriptor_set(
        &dir2.path().join("b.pb"),
        &dir.path().join("set"),
        &["b/b.proto"],
    );
    same_as_protoc(
        dir2.path(),
        &[
            "--descriptor_set_in=b.pb",
            "-Isrc",
            "-o",
            "out.pb",
            "--include_imports",
            "a.proto",
        ],
    )
    .0
    .assert_ok();

    // No -I: the set alone, re-serialized for -o as protoc does.
    for flags in [&[][..], &["--include_imports", "--include_source_info"]] {
        let mut args = vec!["--descriptor_set_in=b.pb", "-o", "out.pb", "b/b.proto"];
        args.extend_from_slice(flags);
        let (run, tree) = same_as_protoc(dir2.path(), &args);
        run.assert_ok();
        assert!(!written(&tree, "out.pb").is_empty());
    }
}

#[test]
fn warnings_print_as_protocs_and_fatal_warnings_fail_after_writing() {
    let unused = "syntax = \"proto3\";\npackage a;\nimport \"b/b.proto\";\nmessage A {}\n";
    let dir = scratch(&[("src/a.proto", unused), ("src/b/b.proto", B)]);
    let (run, _) = same_as_protoc(dir.path(), &["-Isrc", "-o", "out.pb", "a.proto"]);
    run.assert_ok();
    assert!(
        run.stderr.contains("warning: Import b/b.proto is unused."),
        "{}",
        run.stderr
    );
    let (run, tree) = same_as_protoc(
        dir.path(),
        &["-Isrc", "--fatal_warnings", "-o", "out.pb", "a.proto"],
    );
    run.assert_failed();
    assert!(!written(&tree, "out.pb").is_empty());
    same_as_protoc(
        dir.path(),
        &["-Isrc", "--error_format=msvs", "-o", "out.pb", "a.proto"],
    )
    .0
    .assert_ok();
    // The input-only check protoc's command line makes, with no position.
    let reserved = "syntax = \"proto3\";\nmessage R { int32 x = 19001; }\n";
    let dir = scratch(&[("r.proto", reserved)]);
    same_as_protoc(dir.path(), &["-o", "out.pb", "r.proto"])
        .0
        .assert_failed();
}

#[test]
fn bootstrap_and_former_built_in_generators_get_protocs_requests() {
    let json = "syntax = \"proto3\";\npackage j;\nmessage J {\n  int32 plain_name = 1;\n  int32 custom = 2 [json_name = \"Custom\"];\n  message N { string deep_field = 1; }\n}\n";
    let dir = scratch(&[("j.proto", json), ("out/.keep", "")]);
    let capture = capture_plugin().display().to_string();
    for (plugin, out) in [
        // --cpp_out and friends are built into protoc; this one of protoc's list is not.
        ("mutable_java", "--mutable_java_out=out"),
        ("cap", "--cap_out=bootstrap:out"),
        ("cap", "--cap_out=x,bootstrap,y:out"),
        ("cap", "--cap_out=bootstrapped:out"),
    ] {
        let flag = format!("--plugin=protoc-gen-{plugin}={capture}");
        let (run, tree) = same_as_protoc(dir.path(), &[&flag, out, "j.proto"]);
        run.assert_ok();
        assert!(written(&tree, "request.bin").len() > 50);
    }
}

#[test]
fn descriptor_set_out_to_a_device_writes_through_it() {
    // `-o /dev/null` is a common "does it compile" check: the device must stay a device.
    use std::os::unix::fs::FileTypeExt;
    let dir = scratch(&[("b.proto", B)]);
    let fifo = dir.path().join("fifo");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).unwrap())
    };
    let run = protowasm_protoc(dir.path(), &s(&["-o", fifo.to_str().unwrap(), "b.proto"]));
    run.assert_ok();
    // Checked before joining: were the FIFO replaced, the reader would wait forever.
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
    let bytes = reader.join().unwrap();
    assert!(!bytes.is_empty());
}

#[test]
fn option_targets_are_checked_on_inputs() {
    let dir = scratch(&[
        (
            "feature_on_message.proto",
            "edition = \"2023\";\npackage tg.one;\nmessage M {\n  option features.field_presence = IMPLICIT;\n  int32 x = 1;\n}\n",
        ),
        (
            "custom.proto",
            "syntax = \"proto3\";\npackage tg.two;\nimport \"google/protobuf/descriptor.proto\";\n\
             extend google.protobuf.MessageOptions {\n  string only_fields = 50001 [targets = TARGET_TYPE_FIELD];\n}\n\
             message Sub { string a = 1 [targets = TARGET_TYPE_ENUM]; }\n\
             extend google.protobuf.FieldOptions {\n  Sub sub = 50002;\n}\n\
             message M {\n  option (only_fields) = \"x\";\n  int32 f = 1 [(sub).a = \"y\"];\n}\n",
        ),
        (
            "feature_on_enum.proto",
            "edition = \"2023\";\npackage tg.three;\nenum E {\n  option features.field_presence = EXPLICIT;\n  E_ZERO = 0;\n}\n",
        ),
    ]);
    for input in [
        "feature_on_message.proto",
        "custom.proto",
        "feature_on_enum.proto",
    ] {
        let (run, _) = same_as_protoc(dir.path(), &["-I.", "-o", "out.pb", input]);
        run.assert_failed();
        assert!(
            run.stderr.contains("cannot be set on an entity of type"),
            "{}",
            run.stderr
        );
    }
}

#[test]
fn generic_services_warn_once_per_input() {
    let gs = "syntax = \"proto2\";\npackage g;\noption cc_generic_services = true;\noption py_generic_services = true;\nmessage M {}\n";
    let dir = scratch(&[("gs.proto", gs)]);
    let (run, _) = same_as_protoc(dir.path(), &["-o", "out.pb", "gs.proto"]);
    run.assert_ok();
    assert!(
        run.stderr.contains("warning: Generic services"),
        "{}",
        run.stderr
    );
    // protoc does not count this warning for --fatal_warnings.
    same_as_protoc(
        dir.path(),
        &["--fatal_warnings", "-o", "out.pb", "gs.proto"],
    )
    .0
    .assert_ok();
}

/// protoc names the well-known types it read from its own include directory in
/// `--dependency_out`; protowasm carries them built in, writes them once under the cache's
/// `include/36.2/`, and names those copies (the same bytes as protoc's own), so make depends on
/// files that exist. The rest of the rule is protoc's.
#[test]
fn dependency_out_names_the_well_known_types_as_files_that_exist() {
    let dir = tempfile::tempdir().unwrap();
    write_file(
        dir.path(),
        "t.proto",
        "syntax = \"proto3\";\nimport \"google/protobuf/timestamp.proto\";\nmessage T { google.protobuf.Timestamp t = 1; }\n",
    );
    let cache = tempfile::tempdir().unwrap();
    let args = s(&["-I.", "-oout.pb", "--dependency_out=deps.d", "t.proto"]);
    let rule = |run: Run| {
        run.assert_ok();
        std::fs::read_to_string(dir.path().join("deps.d")).unwrap()
    };
    let theirs = rule(protoc_run(dir.path(), &args, &[]));
    for _ in 0..2 {
        // The second run is a compile cache hit: the copy must be named again.
        let ours = rule(protowasm_in(
            dir.path(),
            cache.path(),
            &[s(&["protoc"]), args.clone()].concat(),
        ));
        let copy = cache
            .path()
            .join("include/36.2/google/protobuf/timestamp.proto");
        let protocs = protoc()
            .parent()
            .unwrap()
            .join("../include/google/protobuf/timestamp.proto");
        assert_eq!(
            ours.replace(&copy.display().to_string(), "WKT"),
            theirs.replace(
                &std::fs::canonicalize(&protocs)
                    .unwrap()
                    .display()
                    .to_string(),
                "WKT"
            ),
        );
        assert_eq!(
            std::fs::read(&copy).unwrap(),
            std::fs::read(protoc_include().join("google/protobuf/timestamp.proto")).unwrap()
        );
    }
    // A copy removed meanwhile is written again, even when the compile is cached.
    std::fs::remove_dir_all(cache.path().join("include")).unwrap();
    let again = rule(protowasm_in(
        dir.path(),
        cache.path(),
        &[s(&["protoc"]), args].concat(),
    ));
    assert!(
        again.contains("include/36.2/google/protobuf/timestamp.proto"),
        "{again}"
    );
    assert!(cache
        .path()
        .join("include/36.2/google/protobuf/timestamp.proto")
        .exists());
}
