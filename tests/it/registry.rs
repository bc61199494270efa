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
