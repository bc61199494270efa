//! `protowasm generate` with a buf.gen.yaml (v2): against buf 1.75 itself (npm `@bufbuild/buf`,
//! installed by the test) on the same template with native plugins, and protowasm's own
//! additions (wasm plugins by registry name, flags, errors).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use crate::support::*;

/// buf 1.75.0, installed from npm into target/buf-npm once.
fn buf() -> &'static Path {
    static BUF: OnceLock<PathBuf> = OnceLock::new();
    BUF.get_or_init(|| {
        let dir = repo().join("target/buf-npm");
        let bin = dir.join("node_modules/.bin/buf");
        if !bin.exists() {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("package.json"), "{\"private\": true}\n").unwrap();
            let status = Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "@bufbuild/buf@1.75.0"])
                .current_dir(&dir)
                .stdin(Stdio::null())
                .status()
                .expect("npm is needed to install buf 1.75 for this test");
            assert!(status.success(), "npm install @bufbuild/buf@1.75.0 failed");
        }
        bin
    })
}

fn run_in(cwd: &Path, program: &Path, args: &[&str]) -> Run {
    let output = Command::new(program)
        .args(args)
        .current_dir(cwd)
        .env("PROTOWASM_CACHE_DIR", shared_cache())
        .env_remove("PROTOWASM_REGISTRY")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    Run::from(output)
}

fn protowasm() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_protowasm"))
}

/// A project: the bundled example's protos under `proto/`, an extra directory, and `template`.
fn project(template: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let proto = dir.path().join("proto");
    for (name, bytes) in read_tree(&repo().join("testdata/proto/example")) {
        let p = proto.join("example").join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
    let extra = proto.join("extra/v1/extra.proto");
    std::fs::create_dir_all(extra.parent().unwrap()).unwrap();
    std::fs::write(
        &extra,
        "syntax = \"proto3\";\npackage extra.v1;\nimport \"example/library/v1/book.proto\";\nmessage Shelf { repeated example.library.v1.Book books = 1; }\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("buf.gen.yaml"), template).unwrap();
    dir
}

#[test]
fn the_same_tree_as_buf_generate_with_native_plugins() {
    let prost = native_plugin("prost").display().to_string();
    let template = format!(
        "version: v2\nclean: true\nplugins:\n\
         \x20 - local: {prost}\n    out: gen/by_dir\n\
         \x20 - local: {prost}\n    out: gen/all\n    strategy: all\n    opt: [compile_well_known_types, enable_type_names]\n\
         \x20 - local: {prost}\n    out: gen/imports\n    include_imports: true\n\
         inputs:\n  - directory: proto\n    exclude_paths: [proto/example/library/v1/library_service.proto]\n"
    );
    let ours = project(&template);
    let theirs = project(&template);
    // Stale files in an out directory: `clean` removes them (buf and protowasm alike).
    for d in [ours.path(), theirs.path()] {
        std::fs::create_dir_all(d.join("gen/all/old")).unwrap();
        std::fs::write(d.join("gen/all/old/stale.rs"), "").unwrap();
    }
    run_in(theirs.path(), buf(), &["generate"]).assert_ok();
    run_in(ours.path(), &protowasm(), &["generate"]).assert_ok();
    // protowasm's manifests (what each out received, for cleanup) are its own addition.
    let mut tree = read_tree(&ours.path().join("gen"));
    tree.retain(|k, _| !k.ends_with(".protowasm-generated"));
    assert!(
        tree.keys().any(|k| k.starts_with("imports/example/")),
        "{tree:?}"
    );
    assert!(!tree.keys().any(|k| k.contains("stale")));
    assert_trees_equal(
        &tree,
        &read_tree(&theirs.path().join("gen")),
        "buf generate",
    );
}

#[test]
fn wasm_plugins_by_registry_name_flags_and_failures() {
    let wasm = wasm_plugin("prost");
    let template =
        "version: v2\nplugins:\n  - local: prost\n    out: gen\ninputs:\n  - directory: proto\n";
    let dir = project(template);
    let sha = {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(std::fs::read(&wasm).unwrap()))
    };
    std::fs::write(
        dir.path().join("plugins-registry.toml"),
        format!(
            "[plugins.prost]\nsource = \"{}\"\nsha256 = \"{sha}\"\n",
            wasm.display()
        ),
    )
    .unwrap();
    // --path narrows the inputs; -o puts every out under a base directory.
    run_in(
        dir.path(),
        &protowasm(),
        &["generate", "--path", "proto/extra", "-o", "base"],
    )
    .assert_ok();
    let tree = read_tree(&dir.path().join("base/gen"));
    assert_eq!(
        tree.keys().collect::<Vec<_>>(),
        [".protowasm-generated", "extra/v1/extra.v1.rs"]
    );

    // A plugin that fails: nothing is written anywhere, and the error names the plugin entry.
    let testplug = wasm_plugin("testplug").display().to_string();
    std::fs::write(
        dir.path().join("fail.yaml"),
        format!(
            "version: v2\nplugins:\n  - local: prost\n    out: ok\n  - local: {testplug}\n    out: bad\n    opt: exit=3\ninputs:\n  - directory: proto\n"
        ),
    )
    .unwrap();
    let run = run_in(
        dir.path(),
        &protowasm(),
        &["generate", "--template", "fail.yaml"],
    );
    run.assert_failed();
    assert!(run.stderr.contains("plugins[1]"), "{}", run.stderr);
    assert!(read_tree(&dir.path().join("ok")).is_empty());

    // Template mistakes are named.
    std::fs::write(
        dir.path().join("typo.yaml"),
        "version: v2\nplugins:\n  - local: prost\n    outt: gen\n",
    )
    .unwrap();
    let run = run_in(
        dir.path(),
        &protowasm(),
        &["generate", "--template", "typo.yaml"],
    );
    run.assert_failed();
    assert!(
        run.stderr.contains("typo.yaml") && run.stderr.contains("outt"),
        "{}",
        run.stderr
    );
}

#[test]
fn check_mode_reports_differences_and_writes_nothing() {
    let prost = native_plugin("prost").display().to_string();
    let template = format!(
        "version: v2\nplugins:\n  - local: {prost}\n    out: gen\ninputs:\n  - directory: proto\n"
    );
    let dir = project(&template);
    let gen = |args: &[&str]| {
        let mut all = vec!["generate"];
        all.extend_from_slice(args);
        run_in(dir.path(), &protowasm(), &all)
    };
    // Nothing generated yet: every file is missing, and nothing is created.
    let run = gen(&["--check"]);
    run.assert_failed();
    assert!(
        run.stdout
            .contains("missing: gen/example/library/v1/example.library.v1.rs"),
        "{}",
        run.stdout
    );
    assert!(!dir.path().join("gen").exists());

    gen(&[]).assert_ok();
    let run = gen(&["--check"]);
    run.assert_ok();
    assert_eq!(run.stdout, "");

    // A modified file: a unified diff; a deleted one: missing; a stray one: extra.
    let file = dir.path().join("gen/extra/v1/extra.v1.rs");
    let original = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, original.replace("Shelf", "Shelves")).unwrap();
    std::fs::remove_file(
        dir.path()
            .join("gen/example/library/v1/example.library.v1.rs"),
    )
    .unwrap();
    std::fs::write(dir.path().join("gen/stray.rs"), "// not generated\n").unwrap();
    let before = read_tree(&dir.path().join("gen"));
    let run = gen(&["--check"]);
    run.assert_failed();
    assert!(
        run.stdout.contains("--- a/gen/extra/v1/extra.v1.rs"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("-pub struct Shelves"), "{}", run.stdout);
    assert!(run.stdout.contains("+pub struct Shelf"), "{}", run.stdout);
    assert!(run
        .stdout
        .contains("missing: gen/example/library/v1/example.library.v1.rs"));
    assert!(run.stdout.contains("extra: gen/stray.rs"));
    assert_eq!(
        read_tree(&dir.path().join("gen")),
        before,
        "--check wrote something"
    );
}

#[test]
fn stale_files_go_and_clean_removes_only_what_was_generated() {
    let prost = native_plugin("prost").display().to_string();
    let template = format!(
        "version: v2\nplugins:\n  - local: {prost}\n    out: gen\ninputs:\n  - directory: proto\n"
    );
    let dir = project(&template);
    let run = |args: &[&str]| run_in(dir.path(), &protowasm(), args);
    run(&["generate"]).assert_ok();
    std::fs::write(dir.path().join("gen/mine.txt"), "hand-written\n").unwrap();
    assert!(dir.path().join("gen/extra/v1/extra.v1.rs").exists());

    // extra.proto is gone: its output goes, with the directories that leaves empty.
    std::fs::remove_dir_all(dir.path().join("proto/extra")).unwrap();
    run(&["generate"]).assert_ok();
    assert!(!dir.path().join("gen/extra").exists());
    assert!(dir
        .path()
        .join("gen/example/library/v1/example.library.v1.rs")
        .exists());
    assert!(
        dir.path().join("gen/mine.txt").exists(),
        "a file we did not generate was removed"
    );

    // clean: exactly the generated files and the manifest; the user's file stays.
    let out = run(&["clean"]);
    out.assert_ok();
    assert!(
        out.stdout.contains("example.library.v1.rs"),
        "{}",
        out.stdout
    );
    let left = read_tree(&dir.path().join("gen"));
    assert_eq!(left.keys().collect::<Vec<_>>(), ["mine.txt"]);
}
