//! plugins-registry.toml as `protowasm protoc` uses it: `--NAME_out` finds NAME in the registry
//! (before PATH), with the entry's default options, and the module is checked against its pin.

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::support::*;

fn write_registry(dir: &Path, module: &Path, extra: &str) {
    let sha = hex::encode(Sha256::digest(std::fs::read(module).unwrap()));
    let text = format!(
        "# a comment, as users write them\n[plugins.tp]\nsource = \"plugins/tp.wasm\"\nsha256 = \"{sha}\"\nversion = \"0.1.0\"\n{extra}"
    );
    std::fs::create_dir_all(dir.join("plugins")).unwrap();
    std::fs::copy(module, dir.join("plugins/tp.wasm")).unwrap();
    std::fs::write(dir.join("plugins-registry.toml"), text).unwrap();
}

fn args() -> Vec<String> {
    vec![
        format!("--descriptor_set_in={}", example_set().display()),
        "--tp_out=out".into(),
        EXAMPLE_FILES[0].into(),
    ]
}

#[test]
fn a_registry_plugin_is_found_from_a_subdirectory_with_its_default_options() {
    let dir = tempfile::tempdir().unwrap();
    write_registry(
        dir.path(),
        &wasm_plugin("testplug"),
        "opt = [\"stderr=2\"]\n",
    );
    let sub = dir.path().join("a/b");
    std::fs::create_dir_all(sub.join("out")).unwrap();
    let run = protowasm_protoc(&sub, &args());
    run.assert_ok();
    // The entry's option reached the plugin, and so did the default output.
    assert_eq!(
        run.stderr,
        "protoc-gen-tp: testplug: line 1\nprotoc-gen-tp: testplug: line 2\n"
    );
    assert!(sub.join("out/example/library/v1/book.txt").is_file());
}

#[test]
fn a_plugin_that_no_longer_matches_its_pin_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("out")).unwrap();
    write_registry(dir.path(), &wasm_plugin("testplug"), "");
    // Swap in a different, valid module under the pinned name.
    std::fs::copy(wasm_plugin("prost"), dir.path().join("plugins/tp.wasm")).unwrap();
    let run = protowasm_protoc(dir.path(), &args());
    run.assert_failed();
    assert!(
        run.stderr.starts_with(&format!(
            "--tp_out: protoc-gen-tp: {} does not match the sha256 pinned in the plugin registry: expected ",
            dir.path().join("plugins/tp.wasm").display()
        )),
        "{}",
        run.stderr
    );
    assert!(read_tree(&dir.path().join("out")).is_empty());
}

#[test]
fn an_explicit_plugin_flag_wins_over_the_registry() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("out")).unwrap();
    write_registry(
        dir.path(),
        &wasm_plugin("testplug"),
        "opt = [\"error=from the registry\"]\n",
    );
    let mut a = args();
    a.push(format!(
        "--plugin=protoc-gen-tp={}",
        wasm_plugin("testplug").display()
    ));
    protowasm_protoc(dir.path(), &a).assert_ok();
}

#[test]
fn registry_mistakes_name_the_file_and_the_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("out")).unwrap();
    write_registry(dir.path(), &wasm_plugin("testplug"), "colour = \"blue\"\n");
    let run = protowasm_protoc(dir.path(), &args());
    run.assert_failed();
    let file = dir.path().join("plugins-registry.toml");
    assert!(
        run.stderr.starts_with(&format!("{}: ", file.display())),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("unknown field `colour`"),
        "{}",
        run.stderr
    );

    write_registry(dir.path(), &wasm_plugin("testplug"), "");
    std::fs::copy(
        native_plugin("testplug"),
        dir.path().join("plugins/tp.wasm"),
    )
    .unwrap();
    let run = protowasm_protoc(dir.path(), &args());
    run.assert_failed();
    assert!(
        run.stderr
            .ends_with("plugins/tp.wasm is not a WebAssembly module\n"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_wasm_plugin_sees_only_the_environment_its_entry_allows() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("out")).unwrap();
    write_registry(dir.path(), &wasm_plugin("testplug"), "opt = [\"probe\"]\nenv = [\"GOGC=off\", \"PROTOWASM_TEST_PASSED\", \"PROTOWASM_TEST_UNSET\"]\n");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_protowasm"))
        .arg("protoc")
        .args(args())
        .current_dir(dir.path())
        .env("PROTOWASM_CACHE_DIR", shared_cache())
        .env("PROTOWASM_TEST_PASSED", "yes")
        .env_remove("PROTOWASM_TEST_UNSET")
        .env("SECRET_TOKEN", "hunter2")
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let probe = std::fs::read_to_string(dir.path().join("out/probe.txt")).unwrap();
    // A set value and a passed-through host value; an unset one is skipped; nothing else leaks.
    assert!(
        probe.ends_with("environment: GOGC, PROTOWASM_TEST_PASSED\n"),
        "{probe}"
    );
    assert!(
        probe.starts_with("read /etc/passwd: denied\nlist /: denied\n"),
        "{probe}"
    );
}

/// Runs the example's two files through the registry's `tp` with RAYON_NUM_THREADS=`threads`;
/// returns the output tree.
fn run_both_files(
    dir: &Path,
    threads: &str,
    param: &str,
) -> std::collections::BTreeMap<String, Vec<u8>> {
    let out = dir.join("out");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_protowasm"))
        .arg("protoc")
        .arg(format!("--descriptor_set_in={}", example_set().display()))
        .arg(format!("--tp_out={param}:out"))
        .args(EXAMPLE_FILES)
        .current_dir(dir)
        .env("PROTOWASM_CACHE_DIR", shared_cache())
        .env("RAYON_NUM_THREADS", threads)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    read_tree(&out)
}

#[test]
fn a_per_file_plugin_gets_one_request_per_core_and_the_same_output() {
    let split = tempfile::tempdir().unwrap();
    write_registry(split.path(), &wasm_plugin("testplug"), "per_file = true\n");
    let whole = tempfile::tempdir().unwrap();
    write_registry(whole.path(), &wasm_plugin("testplug"), "");

    // `list` writes one file per request, naming that request's files.
    let lists = |tree: &std::collections::BTreeMap<String, Vec<u8>>| -> Vec<(String, String)> {
        tree.iter()
            .map(|(k, v)| (k.clone(), String::from_utf8(v.clone()).unwrap()))
            .collect()
    };
    assert_eq!(
        lists(&run_both_files(split.path(), "2", "list")),
        [
            (
                "requests/example_library_v1_book.proto.list".to_string(),
                "example/library/v1/book.proto\ncompiler_version: set\n".to_string()
            ),
            (
                "requests/example_library_v1_library_service.proto.list".to_string(),
                "example/library/v1/library_service.proto\ncompiler_version: set\n".to_string()
            ),
        ]
    );
    let one_request = [(
        "requests/example_library_v1_book.proto.list".to_string(),
        "example/library/v1/book.proto\nexample/library/v1/library_service.proto\ncompiler_version: set\n"
            .to_string(),
    )];
    assert_eq!(
        lists(&run_both_files(split.path(), "1", "list")),
        one_request
    );
    assert_eq!(
        lists(&run_both_files(whole.path(), "2", "list")),
        one_request
    );

    // The default output is one file per input: split or not, the same tree.
    let split_tree = run_both_files(split.path(), "2", "");
    assert_eq!(split_tree.len(), 2);
    assert_trees_equal(&split_tree, &run_both_files(whole.path(), "2", ""), "");
}

#[test]
fn a_run_without_plugins_does_not_read_the_registry() {
    // `-o` alone needs no plugin, so a broken registry in the way does not stop it; a run with a
    // plugin reports the registry before compiling anything.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("plugins-registry.toml"),
        "[plugins.x]\nbogus = 1\n",
    )
    .unwrap();
    let set = format!("--descriptor_set_in={}", example_set().display());
    let run = protowasm_protoc(dir.path(), &s(&[&set, "-o", "out.pb", EXAMPLE_FILES[0]]));
    run.assert_ok();
    assert!(dir.path().join("out.pb").is_file());

    std::fs::create_dir(dir.path().join("out")).unwrap();
    let run = protowasm_protoc(dir.path(), &s(&["--tp_out=out", "missing.proto"]));
    run.assert_failed();
    assert!(
        run.stderr.contains("plugins-registry.toml") && run.stderr.contains("bogus"),
        "{}",
        run.stderr
    );
}
