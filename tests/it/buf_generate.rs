//! `protowasm generate` with a buf.gen.yaml (v2): against buf 1.75 itself (npm `@bufbuild/buf`,
//! installed by the test) on the same template with native plugins, and protowasm's own
//! additions (wasm plugins by registry name, flags, errors).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::support::*;

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

pub(crate) fn protowasm() -> PathBuf {
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

#[test]
fn a_failed_generate_leaves_no_output_directory_behind() {
    // buf creates its output directories; protowasm does so only once every plugin succeeded,
    // so a failed run changes nothing on disk.
    let testplug = wasm_plugin("testplug").display().to_string();
    let dir = project(&format!(
        "version: v2\nplugins:\n  - local: {testplug}\n    out: gen/ok\n  - local: {testplug}\n    out: gen/bad\n    opt: exit=3\ninputs:\n  - directory: proto\n"
    ));
    let run = run_in(dir.path(), &protowasm(), &["generate"]);
    run.assert_failed();
    assert!(
        run.stderr.contains("plugins[1] (")
            && run.stderr.contains("Plugin failed with status code 3."),
        "{}",
        run.stderr
    );
    assert!(!dir.path().join("gen").exists(), "gen/ was created");

    // The same template, without the failing plugin, creates the directory and writes to it.
    std::fs::write(
        dir.path().join("buf.gen.yaml"),
        format!("version: v2\nplugins:\n  - local: {testplug}\n    out: gen/ok\ninputs:\n  - directory: proto\n"),
    )
    .unwrap();
    run_in(dir.path(), &protowasm(), &["generate"]).assert_ok();
    assert!(dir
        .path()
        .join("gen/ok/example/library/v1/book.txt")
        .is_file());
}

#[test]
fn two_template_plugins_with_one_file_name_each_run_their_own_path() {
    // Both run as protoc-gen-testplug; the sandbox probe tells the wasm build from the native one.
    let wasm = wasm_plugin("testplug").display().to_string();
    let native = native_plugin("testplug").display().to_string();
    let dir = project(&format!(
        "version: v2\nplugins:\n  - local: {wasm}\n    out: w\n    opt: probe\n    strategy: all\n  - local: {native}\n    out: n\n    opt: probe\n    strategy: all\ninputs:\n  - directory: proto\n"
    ));
    run_in(dir.path(), &protowasm(), &["generate"]).assert_ok();
    let probe =
        |out: &str| std::fs::read_to_string(dir.path().join(out).join("probe.txt")).unwrap();
    assert!(
        probe("w").contains("read /etc/passwd: denied"),
        "{}",
        probe("w")
    );
    assert!(
        probe("n").contains("read /etc/passwd: ALLOWED"),
        "{}",
        probe("n")
    );
}

/// Lays `files` out twice, runs `buf generate ARGS` in one copy and `protowasm generate ARGS`
/// in the other, and checks that the two trees under `gen/` are the same (protowasm's
/// manifests aside). Returns the tree.
fn same_as_buf(
    files: &[(&str, String)],
    args: &[&str],
) -> std::collections::BTreeMap<String, Vec<u8>> {
    let (ours, theirs) = (lay_out(files), lay_out(files));
    let mut buf_args = vec!["generate"];
    buf_args.extend(args);
    run_in(theirs.path(), buf(), &buf_args).assert_ok();
    run_in(ours.path(), &protowasm(), &buf_args).assert_ok();
    let mut tree = read_tree(&ours.path().join("gen"));
    tree.retain(|k, _| !k.ends_with(".protowasm-generated"));
    assert_trees_equal(
        &tree,
        &read_tree(&theirs.path().join("gen")),
        "buf generate",
    );
    tree
}

/// A workspace of two modules, `proto/` (acme/v1, acme/v2) and `api/` (which imports from
/// proto), as a buf.yaml v2 declares it.
fn two_modules() -> Vec<(&'static str, String)> {
    vec![
        ("proto/acme/v1/a.proto", "syntax = \"proto3\";\npackage acme.v1;\nmessage A { string s = 1; }\n".into()),
        ("proto/acme/v2/b.proto", "syntax = \"proto3\";\npackage acme.v2;\nimport \"acme/v1/a.proto\";\nmessage B { acme.v1.A a = 1; }\n".into()),
        ("proto/acme/internal/x.proto", "syntax = \"proto3\";\npackage acme.internal;\nmessage X {}\n".into()),
        ("api/svc/v1/svc.proto", "syntax = \"proto3\";\npackage svc.v1;\nimport \"acme/v2/b.proto\";\nmessage S { acme.v2.B b = 1; }\n".into()),
    ]
}

#[test]
fn a_buf_yaml_v2_workspace_is_the_input_when_the_template_names_none() {
    let testplug = native_plugin("testplug").display().to_string();
    let prost = native_plugin("prost").display().to_string();
    let mut files = two_modules();
    files.push((
        "buf.yaml",
        "version: v2\nmodules:\n  - path: proto\n    excludes: [proto/acme/internal]\n  - path: api\nlint:\n  use: [STANDARD]\n".into(),
    ));
    files.push((
        "buf.gen.yaml",
        format!("version: v2\nplugins:\n  - local: {testplug}\n    out: gen/list\n    opt: list\n  - local: {prost}\n    out: gen/rust\n    strategy: all\n  - local: [/bin/sh, -c, \"exec {testplug}\"]\n    out: gen/sh\n    opt: list\n    strategy: all\n"),
    ));
    let tree = same_as_buf(&files, &[]);
    // One request per directory, each module's files, the excluded directory left out.
    let lists: Vec<&String> = tree.keys().filter(|k| k.starts_with("list/")).collect();
    assert_eq!(
        lists,
        [
            "list/requests/acme_v1_a.proto.list",
            "list/requests/acme_v2_b.proto.list",
            "list/requests/svc_v1_svc.proto.list"
        ]
    );
    assert!(
        tree.contains_key("rust/svc/v1/svc.v1.rs"),
        "{:?}",
        tree.keys()
    );
    // A command list runs the program with its arguments (sh with none would read the request
    // as a script).
    assert!(
        tree.contains_key("sh/requests/acme_v1_a.proto.list"),
        "{:?}",
        tree.keys()
    );

    // The positional input narrows generation to one module; the others stay import roots.
    let tree = same_as_buf(&files, &["api"]);
    assert_eq!(
        tree.keys()
            .filter(|k| k.starts_with("list/"))
            .collect::<Vec<_>>(),
        ["list/requests/svc_v1_svc.proto.list"]
    );
    // --path and --exclude-path name files and directories of the modules, as in buf.
    let lists = |args: &[&str]| {
        let tree = same_as_buf(&files, args);
        tree.into_keys()
            .filter(|k| k.starts_with("list/"))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        lists(&["--path", "proto/acme", "--exclude-path", "proto/acme/v1"]),
        ["list/requests/acme_v2_b.proto.list"]
    );
    assert_eq!(
        lists(&["--path", "api/svc/v1/svc.proto", "--path", "proto/acme/v1"]),
        [
            "list/requests/acme_v1_a.proto.list",
            "list/requests/svc_v1_svc.proto.list"
        ]
    );
}

#[test]
fn path_flags_replace_an_inputs_paths_as_in_buf() {
    let testplug = native_plugin("testplug").display().to_string();
    let mut files = two_modules();
    files.push((
        "buf.yaml",
        "version: v2\nmodules:\n  - path: proto\n  - path: api\n".into(),
    ));
    files.push((
        "buf.gen.yaml",
        format!("version: v2\nplugins:\n  - local: {testplug}\n    out: gen\n    opt: list\ninputs:\n  - directory: .\n    paths: [proto/acme/v1]\n"),
    ));
    let lists = |args: &[&str]| same_as_buf(&files, args).into_keys().collect::<Vec<_>>();
    assert_eq!(lists(&[]), ["requests/acme_v1_a.proto.list"]);
    // The flag replaces the input's paths (narrowing them would leave nothing).
    assert_eq!(
        lists(&["--path", "proto/acme/v2"]),
        ["requests/acme_v2_b.proto.list"]
    );
}

#[test]
fn a_buf_work_yaml_workspace_with_a_v1_template() {
    let testplug = native_plugin("testplug").display().to_string();
    let mut files = two_modules();
    files.push((
        "buf.work.yaml",
        "version: v1\ndirectories:\n  - proto\n  - api\n".into(),
    ));
    files.push((
        "proto/buf.yaml",
        "version: v1\nbuild:\n  excludes: [acme/internal]\n".into(),
    ));
    files.push((
        "buf.gen.yaml",
        format!("version: v1\nplugins:\n  - plugin: testplug\n    path: {testplug}\n    out: gen/list\n    opt: list\n    strategy: all\n  - name: tp\n    path: [/bin/sh, -c, \"exec {testplug}\"]\n    out: gen/args\n    opt: [list]\n"),
    ));
    let tree = same_as_buf(&files, &[]);
    assert_eq!(
        tree.keys()
            .filter(|k| k.starts_with("list/"))
            .collect::<Vec<_>>(),
        ["list/requests/acme_v1_a.proto.list"]
    );
    let all = String::from_utf8(tree["list/requests/acme_v1_a.proto.list"].clone()).unwrap();
    assert_eq!(
        all,
        "acme/v1/a.proto\nacme/v2/b.proto\nsvc/v1/svc.proto\ncompiler_version: unset\n"
    );
    // The command list ran: sh passed the request on to testplug.
    assert!(
        tree.keys().any(|k| k.starts_with("args/requests/")),
        "{:?}",
        tree.keys()
    );
}

#[test]
fn a_v1beta1_template_on_a_v1_module() {
    let testplug = native_plugin("testplug").display().to_string();
    let files = vec![
        ("buf.yaml", "version: v1\nbuild:\n  excludes: [skip]\n".to_string()),
        ("a/v1/a.proto", "syntax = \"proto3\";\npackage a.v1;\nmessage A {}\n".into()),
        ("skip/s.proto", "syntax = \"proto3\";\npackage s;\nmessage S {}\n".into()),
        (
            "buf.gen.yaml",
            format!("version: v1beta1\nplugins:\n  - name: testplug\n    path: {testplug}\n    out: gen\n    opt: list\n"),
        ),
    ];
    let tree = same_as_buf(&files, &[]);
    assert_eq!(
        tree.keys().collect::<Vec<_>>(),
        ["requests/a_v1_a.proto.list"]
    );
}

/// A registry whose one entry, the wasm prost, serves `buf.build/community/neoeinstein-prost`
/// at `version`.
fn prost_registry(dir: &Path, version: &str) {
    let wasm = wasm_plugin("prost");
    let sha = {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(std::fs::read(&wasm).unwrap()))
    };
    std::fs::write(
        dir.join("plugins-registry.toml"),
        format!(
            "[plugins.prost]\nsource = \"{}\"\nsha256 = \"{sha}\"\nversion = \"{version}\"\nserves = [\"buf.build/community/neoeinstein-prost\"]\n",
            wasm.display()
        ),
    )
    .unwrap();
}

#[test]
fn a_remote_plugin_runs_the_registry_entry_that_serves_it() {
    let remote = "version: v2\nplugins:\n  - remote: buf.build/community/neoeinstein-prost:v0.5.0\n    out: gen\ninputs:\n  - directory: proto\n";
    let local = "version: v2\nplugins:\n  - local: prost\n    out: gen\n    strategy: all\ninputs:\n  - directory: proto\n";
    let (a, b) = (project(remote), project(local));
    prost_registry(a.path(), "0.5.0");
    prost_registry(b.path(), "0.5.0");
    run_in(a.path(), &protowasm(), &["generate"]).assert_ok();
    run_in(b.path(), &protowasm(), &["generate"]).assert_ok();
    let tree = read_tree(&a.path().join("gen"));
    assert!(
        tree.contains_key("example/library/v1/example.library.v1.rs"),
        "{:?}",
        tree.keys()
    );
    assert_trees_equal(&tree, &read_tree(&b.path().join("gen")), "local prost");

    // Another pinned version is refused, naming both, unless the user accepts it.
    prost_registry(a.path(), "0.4.0");
    let run = run_in(a.path(), &protowasm(), &["generate"]);
    run.assert_failed();
    assert!(
        run.stderr
            .contains("buf.build/community/neoeinstein-prost:v0.5.0")
            && run.stderr.contains("version 0.4.0, not v0.5.0")
            && run.stderr.contains("--accept-version-mismatch"),
        "{}",
        run.stderr
    );
    run_in(
        a.path(),
        &protowasm(),
        &["generate", "--accept-version-mismatch"],
    )
    .assert_ok();

    // A reference nothing serves says how to serve it.
    std::fs::write(
        a.path().join("buf.gen.yaml"),
        "version: v1\nplugins:\n  - plugin: buf.build/protocolbuffers/go:v1.36.5\n    out: gen\n",
    )
    .unwrap();
    let run = run_in(a.path(), &protowasm(), &["generate", "proto"]);
    run.assert_failed();
    assert!(
        run.stderr.contains(
            "buf.gen.yaml: plugins[0]: remote plugin buf.build/protocolbuffers/go:v1.36.5"
        ) && run.stderr.contains(
            "protowasm plugin add PLUGIN.wasm --serves buf.build/protocolbuffers/go:v1.36.5"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn template_and_workspace_mistakes_name_the_file_and_the_key() {
    let cases = [
        ("version: v2\nplugins:\n  - local: x\n    out: o\n    opts: [a]\n", "buf.gen.yaml", "opts"),
        ("version: v2\nplugins:\n  - remote: buf.build/a/b\n    out: o\n    strategy: all\n", "buf.gen.yaml: line 3: plugins[0]: cannot specify strategy for remote plugin buf.build/a/b", ""),
        ("version: v1\nplugins:\n  - plugin: go\n", "buf.gen.yaml: line 3: plugins[0]: out is required for plugin go", ""),
        ("plugins:\n  - local: x\n    out: o\n", "buf.gen.yaml: \"version\" is not set", ""),
    ];
    for (template, want, key) in cases {
        let dir = project(template);
        let run = run_in(dir.path(), &protowasm(), &["generate"]);
        run.assert_failed();
        assert!(
            run.stderr.contains(want) && run.stderr.contains(key),
            "{template}: {}",
            run.stderr
        );
        assert!(!dir.path().join("o").exists());
    }
    let testplug = native_plugin("testplug").display().to_string();
    let dir = project(&format!(
        "version: v2\nplugins:\n  - local: {testplug}\n    out: o\n"
    ));
    std::fs::write(
        dir.path().join("buf.yaml"),
        "version: v2\nmodules:\n  - paht: proto\n",
    )
    .unwrap();
    let run = run_in(dir.path(), &protowasm(), &["generate"]);
    run.assert_failed();
    assert!(
        run.stderr.contains("buf.yaml") && run.stderr.contains("paht"),
        "{}",
        run.stderr
    );
    std::fs::write(
        dir.path().join("buf.yaml"),
        "version: v2\nmodules:\n  - path: proto\ndeps:\n  - buf.build/googleapis/googleapis\n",
    )
    .unwrap();
    let run = run_in(dir.path(), &protowasm(), &["generate"]);
    run.assert_failed();
    assert!(
        run.stderr.contains("buf.build/googleapis/googleapis"),
        "{}",
        run.stderr
    );
    assert!(!dir.path().join("o").exists());
}

#[test]
fn the_flags_buf_users_type() {
    let testplug = native_plugin("testplug").display().to_string();
    let template =
        format!("version: v2\nplugins:\n  - local: {testplug}\n    out: gen\n    opt: list\n    strategy: all\ninputs:\n  - directory: proto\n");
    let dir = project("version: v2\nplugins: []\n");
    // `protowasm generate --template TEMPLATE ARGS...` in the project.
    let generate = |args: &[&str]| {
        let mut all = vec!["generate", "--template", template.as_str()];
        all.extend(args);
        run_in(dir.path(), &protowasm(), &all)
    };

    // --template given as the template itself (YAML, or JSON).
    generate(&[]).assert_ok();
    assert!(dir
        .path()
        .join("gen/requests/example_library_v1_book.proto.list")
        .is_file());
    let json = format!(
        "{{\"version\":\"v2\",\"plugins\":[{{\"local\":\"{testplug}\",\"out\":\"json\",\"opt\":\"list\"}}],\"inputs\":[{{\"directory\":\"proto\"}}]}}"
    );
    run_in(dir.path(), &protowasm(), &["generate", "--template", &json]).assert_ok();
    assert!(read_tree(&dir.path().join("json"))
        .keys()
        .any(|k| k.starts_with("requests/")));

    // --clean empties each out first, as `clean: true` does.
    std::fs::write(dir.path().join("gen/stale.txt"), "old").unwrap();
    generate(&["--clean"]).assert_ok();
    assert!(!dir.path().join("gen/stale.txt").exists());

    // --include-wkt needs --include-imports, as in buf: a usage error (exit 2, as clap's).
    let run = generate(&["--include-wkt"]);
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--include-imports"), "{}", run.stderr);

    // --error-format=msvs prints compiler errors as protoc's msvs format does.
    std::fs::write(
        dir.path().join("proto/bad.proto"),
        "syntax = \"proto3\";\nmessage {\n",
    )
    .unwrap();
    let run = generate(&["--error-format", "msvs"]);
    run.assert_failed();
    assert!(
        run.stderr.contains("proto/bad.proto(2) : error in column="),
        "{}",
        run.stderr
    );
    let run = generate(&["--error-format", "junit"]);
    run.assert_failed();
    assert!(
        run.stderr.contains("\"junit\" is not supported"),
        "{}",
        run.stderr
    );
    std::fs::remove_file(dir.path().join("proto/bad.proto")).unwrap();

    // A type that is not there: buf's message, naming the flag.
    let run = generate(&["--type", "a.B"]);
    run.assert_failed();
    assert!(
        run.stderr
            .contains("--type/--exclude-type: inclusion of type \"a.B\": not found"),
        "{}",
        run.stderr
    );
}

#[test]
fn workspace_requests_equal_bufs_as_decoded_messages() {
    use prost::Message;
    use prost_types::compiler::CodeGeneratorRequest;
    let capture = capture_plugin().display().to_string();
    let mut files = two_modules();
    files.push((
        "buf.yaml",
        "version: v2\nmodules:\n  - path: proto\n    excludes: [proto/acme/internal]\n  - path: api\n".into(),
    ));
    files.push((
        "buf.gen.yaml",
        format!("version: v2\nplugins:\n  - local: {capture}\n    out: gen\n    opt: [a=1, b]\n    strategy: all\n    include_imports: true\n"),
    ));
    let mut requests = Vec::new();
    for program in [buf(), protowasm().as_path()] {
        let dir = lay_out(&files);
        let captured = dir.path().join("request.bin");
        let output = Command::new(program)
            .arg("generate")
            .current_dir(dir.path())
            .env("PROTOWASM_CACHE_DIR", shared_cache())
            .env("CAPTURE_FILE", &captured)
            .env_remove("PROTOWASM_REGISTRY")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        Run::from(output).assert_ok();
        let bytes = std::fs::read(&captured).unwrap();
        requests.push(CodeGeneratorRequest::decode(&bytes[..]).unwrap());
    }
    let (theirs, ours) = (&requests[0], &requests[1]);
    assert_eq!(ours.file_to_generate, theirs.file_to_generate);
    assert_eq!(
        ours.file_to_generate,
        ["acme/v1/a.proto", "acme/v2/b.proto", "svc/v1/svc.proto"]
    );
    assert_eq!(ours.parameter.as_deref(), Some("a=1,b"));
    assert_eq!(ours.parameter, theirs.parameter);
    assert_eq!(ours.compiler_version, theirs.compiler_version);
    // Every file, its source locations compared as a set (buf's compiler lists them in
    // another order).
    crate::request_compare::assert_same_request(ours, theirs);
}

#[test]
fn a_dep_mapped_to_a_local_directory_is_an_import_root_and_is_not_generated() {
    let testplug = native_plugin("testplug").display().to_string();
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| write_file(dir.path(), name, text);
    write(
        "buf.yaml",
        "version: v2\nmodules:\n  - path: proto\ndeps:\n  - buf.build/acme/common:v1.2.3\n",
    );
    write("proto/app/v1/app.proto", "syntax = \"proto3\";\npackage app.v1;\nimport \"common/v1/money.proto\";\nmessage Order { common.v1.Money total = 1; }\n");
    write(
        "vendor/common/common/v1/money.proto",
        "syntax = \"proto3\";\npackage common.v1;\nmessage Money { int64 units = 1; }\n",
    );
    write("buf.gen.yaml", &format!("version: v2\nplugins:\n  - local: {testplug}\n    out: gen\n    opt: list\n    strategy: all\n"));

    // Not mapped: the error names the dep and shows how to map it.
    let run = run_in(dir.path(), &protowasm(), &["generate"]);
    run.assert_failed();
    assert!(
        run.stderr
            .contains("dep buf.build/acme/common is not available: no buf.lock pins it")
            && run
                .stderr
                .contains("\"buf.build/acme/common\" = \"path/to/common\""),
        "{}",
        run.stderr
    );
    assert!(!dir.path().join("gen").exists());

    write(
        "plugins-registry.toml",
        "[deps]\n\"buf.build/acme/common\" = \"vendor/common\"\n",
    );
    let run = run_in(dir.path(), &protowasm(), &["generate"]);
    run.assert_ok();
    let listed =
        std::fs::read_to_string(dir.path().join("gen/requests/app_v1_app.proto.list")).unwrap();
    assert_eq!(listed, "app/v1/app.proto\ncompiler_version: unset\n");

    // A mapping to a missing directory, or a bad name, is named.
    write(
        "plugins-registry.toml",
        "[deps]\n\"buf.build/acme/common\" = \"nowhere\"\n",
    );
    let run = run_in(dir.path(), &protowasm(), &["generate"]);
    run.assert_failed();
    assert!(
        run.stderr.contains("nowhere") && run.stderr.contains("is not a directory"),
        "{}",
        run.stderr
    );
    write(
        "plugins-registry.toml",
        "[deps]\n\"common\" = \"vendor/common\"\n",
    );
    let run = run_in(dir.path(), &protowasm(), &["generate"]);
    run.assert_failed();
    assert!(
        run.stderr
            .contains("deps: \"common\" is not a buf module name"),
        "{}",
        run.stderr
    );
}

/// The `Actual digest: "b5:..."` a digest mismatch names (buf's message, and protowasm's).
fn actual_digest(stderr: &str) -> String {
    let start = stderr
        .find("Actual digest: \"")
        .unwrap_or_else(|| panic!("no actual digest in: {stderr}"));
    let rest = &stderr[start + "Actual digest: \"".len()..];
    rest[..rest.find('"').unwrap()].to_string()
}

#[test]
fn deps_from_bufs_module_cache_are_checked_against_buf_lock_as_buf_checks_them() {
    // Two cached modules: common (a .proto, a LICENSE, a README.md, and a file that is not part
    // of a module) depends on base. buf itself is the oracle: with a wrong digest in buf.lock it
    // prints the actual one, offline, from its cache.
    let testplug = native_plugin("testplug").display().to_string();
    let (base_commit, common_commit) = (
        "0123456789abcdef0123456789abcdef",
        "fedcba9876543210fedcba9876543210",
    );
    let zeros = format!("b5:{}", "0".repeat(128));
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let cache = root.join("cache");
    let module =
        |name: &str, commit: &str| format!("cache/v3/modules/b5/buf.build/acme/{name}/{commit}");
    let write = |name: &str, text: &str| write_file(root, name, text);
    write(
        &format!("{}/files/base/v1/id.proto", module("base", base_commit)),
        "syntax = \"proto3\";\npackage base.v1;\nmessage Id { string v = 1; }\n",
    );
    write(
        &format!("{}/module.yaml", module("base", base_commit)),
        "version: v1\nfiles_dir: files\n",
    );
    let common = module("common", common_commit);
    write(&format!("{common}/files/common/v1/money.proto"), "syntax = \"proto3\";\npackage common.v1;\nimport \"base/v1/id.proto\";\nmessage Money { base.v1.Id id = 1; int64 units = 2; }\n");
    write(&format!("{common}/files/LICENSE"), "Apache-2.0\n");
    write(&format!("{common}/files/README.md"), "# common\n");
    write(
        &format!("{common}/files/notes.txt"),
        "not part of the module\n",
    );
    // The workspace depends on `dep` and its file imports `import`.
    let workspace = |dep: &str, import: &str, message: &str| {
        write(
            "ws/buf.yaml",
            &format!("version: v2\nmodules:\n  - path: proto\ndeps:\n  - buf.build/acme/{dep}\n"),
        );
        write("ws/proto/app/v1/app.proto", &format!("syntax = \"proto3\";\npackage app.v1;\nimport \"{import}\";\nmessage Order {{ {message} total = 1; }}\n"));
    };
    write("ws/buf.gen.yaml", &format!("version: v2\nplugins:\n  - local: {testplug}\n    out: gen\n    opt: list\n    strategy: all\n"));
    let ws = root.join("ws");
    let lock = |base: &str, common: Option<&str>| {
        let mut text = format!("version: v2\ndeps:\n  - name: buf.build/acme/base\n    commit: {base_commit}\n    digest: {base}\n");
        if let Some(common) = common {
            text += &format!("  - name: buf.build/acme/common\n    commit: {common_commit}\n    digest: {common}\n");
        }
        write("ws/buf.lock", &text);
    };
    let run = |program: &Path, args: &[&str]| {
        let output = Command::new(program)
            .args(args)
            .current_dir(&ws)
            .env("BUF_CACHE_DIR", &cache)
            .env("PROTOWASM_CACHE_DIR", shared_cache())
            .env_remove("PROTOWASM_REGISTRY")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        Run::from(output)
    };
    let buf_build = || run(buf(), &["build", "-o", "/dev/null"]);
    let generate = || run(&protowasm(), &["generate"]);
    // Both refuse the buf.lock and name the same actual digest, which is returned.
    let same_actual_digest = || {
        let (theirs, ours) = (buf_build(), generate());
        theirs.assert_failed();
        ours.assert_failed();
        let digest = actual_digest(&ours.stderr);
        assert_eq!(
            digest,
            actual_digest(&theirs.stderr),
            "buf: {}\nprotowasm: {}",
            theirs.stderr,
            ours.stderr
        );
        (digest, ours.stderr)
    };

    // base, with no deps: both name the same actual digest.
    workspace("base", "base/v1/id.proto", "base.v1.Id");
    lock(&zeros, None);
    let (base_digest, stderr) = same_actual_digest();
    assert!(stderr.contains("buf.build/acme/base"), "{stderr}");

    // common, whose module.yaml names base's digest: its digest covers base's.
    write(&format!("{common}/module.yaml"), &format!("version: v1\nfiles_dir: files\ndeps:\n  - name: buf.build/acme/base\n    commit: {base_commit}\n    digest: {base_digest}\n"));
    workspace("common", "common/v1/money.proto", "common.v1.Money");
    lock(&base_digest, Some(&zeros));
    let (common_digest, stderr) = same_actual_digest();
    assert!(stderr.contains("buf.build/acme/common"), "{stderr}");

    // Both right: buf builds, and protowasm generates the workspace's file alone.
    lock(&base_digest, Some(&common_digest));
    buf_build().assert_ok();
    // buf generate, offline from its cache, and protowasm give the same tree.
    run(buf(), &["generate"]).assert_ok();
    std::fs::rename(ws.join("gen"), ws.join("gen-buf")).unwrap();
    generate().assert_ok();
    let mut tree = read_tree(&ws.join("gen"));
    tree.retain(|k, _| !k.ends_with(".protowasm-generated"));
    assert_trees_equal(&tree, &read_tree(&ws.join("gen-buf")), "buf generate");
    assert_eq!(
        std::fs::read_to_string(ws.join("gen/requests/app_v1_app.proto.list")).unwrap(),
        "app/v1/app.proto\ncompiler_version: unset\n"
    );

    // A cached file changed behind buf.lock's back: refused, and nothing is written.
    std::fs::remove_dir_all(ws.join("gen")).unwrap();
    write(&format!("{common}/files/LICENSE"), "MIT\n");
    let ours = generate();
    ours.assert_failed();
    assert!(
        ours.stderr
            .contains("Digest verification failed for \"buf.build/acme/common"),
        "{}",
        ours.stderr
    );
    buf_build().assert_failed();
    assert!(!ws.join("gen").exists());
    // A file that is not part of a module does not count, as in buf.
    write(&format!("{common}/files/LICENSE"), "Apache-2.0\n");
    write(&format!("{common}/files/notes.txt"), "changed\n");
    generate().assert_ok();
    buf_build().assert_ok();
}

#[test]
fn a_module_input_is_a_local_directory_or_a_mapped_name() {
    let testplug = native_plugin("testplug").display().to_string();
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| write_file(dir.path(), name, text);
    write(
        "vendor/weather/weather/v1/weather.proto",
        "syntax = \"proto3\";\npackage weather.v1;\nmessage Forecast {}\n",
    );
    let template = |module: &str| {
        format!("version: v2\nplugins:\n  - local: {testplug}\n    out: gen\n    opt: list\n    strategy: all\ninputs:\n  - module: {module}\n")
    };
    let listed = || {
        std::fs::read_to_string(
            dir.path()
                .join("gen/requests/weather_v1_weather.proto.list"),
        )
        .unwrap()
    };

    write("buf.gen.yaml", &template("vendor/weather"));
    run_in(dir.path(), &protowasm(), &["generate"]).assert_ok();
    assert_eq!(
        listed(),
        "weather/v1/weather.proto\ncompiler_version: unset\n"
    );

    write("buf.gen.yaml", &template("buf.build/acme/weather:main"));
    let run = run_in(dir.path(), &protowasm(), &["generate"]);
    run.assert_failed();
    assert!(
        run.stderr
            .contains("input module buf.build/acme/weather:main")
            && run
                .stderr
                .contains("\"buf.build/acme/weather\" = \"path/to/weather\""),
        "{}",
        run.stderr
    );
    write(
        "plugins-registry.toml",
        "[deps]\n\"buf.build/acme/weather\" = \"vendor/weather\"\n",
    );
    std::fs::remove_dir_all(dir.path().join("gen")).unwrap();
    run_in(dir.path(), &protowasm(), &["generate"]).assert_ok();
    assert_eq!(
        listed(),
        "weather/v1/weather.proto\ncompiler_version: unset\n"
    );
}
