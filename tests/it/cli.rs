//! The command line as a user meets it: the `protoc` name, --version, -h, @argfile, PATH lookup.

use std::path::Path;

use crate::support::*;

fn run_binary(binary: &Path, cwd: &Path, args: &[String], path_env: Option<&Path>) -> Run {
    let mut cmd = std::process::Command::new(binary);
    cmd.args(args)
        .current_dir(cwd)
        .env("PROTOWASM_CACHE_DIR", shared_cache());
    if let Some(p) = path_env {
        cmd.env("PATH", p);
    }
    let output = cmd.output().unwrap();
    Run::from(output)
}

#[test]
fn invoked_as_protoc_through_a_symlink_it_is_protoc() {
    let dir = tempfile::tempdir().unwrap();
    let protoc = dir.path().join("protoc");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_protowasm"), &protoc).unwrap();

    let run = run_binary(&protoc, dir.path(), &s(&["--version"]), None);
    run.assert_ok();
    assert_eq!(run.stdout, "libprotoc 36.2\n");

    let run = run_binary(&protoc, dir.path(), &s(&["-h"]), None);
    run.assert_ok();
    assert!(
        run.stdout.starts_with(&format!(
            "Usage: {} [OPTION] PROTO_FILES\n",
            protoc.display()
        )),
        "{}",
        run.stdout
    );

    std::fs::create_dir(dir.path().join("out")).unwrap();
    let args = vec![
        format!("--descriptor_set_in={}", example_set().display()),
        format!("--plugin={}", wasm_plugin("prost").display()),
        "--prost_out=out".into(),
        EXAMPLE_FILES[0].into(),
    ];
    run_binary(&protoc, dir.path(), &args, None).assert_ok();
    assert!(dir
        .path()
        .join("out/example/library/v1/example.library.v1.rs")
        .is_file());

    // Errors and exit codes are protoc's.
    let run = run_binary(&protoc, dir.path(), &s(&["--prost_out=out"]), None);
    run.assert_failed();
    assert_eq!(run.stderr, "Missing input file.\n");
}

#[test]
fn protowasm_protoc_takes_protocs_flags_and_protowasm_has_its_own_version() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_binary(
        Path::new(env!("CARGO_BIN_EXE_protowasm")),
        dir.path(),
        &s(&["protoc", "--version"]),
        None,
    );
    assert_eq!(run.stdout, "libprotoc 36.2\n");
    let run = run_binary(
        Path::new(env!("CARGO_BIN_EXE_protowasm")),
        dir.path(),
        &s(&["--version"]),
        None,
    );
    assert_eq!(
        run.stdout,
        format!("protowasm {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn arguments_can_come_from_an_argfile() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("out")).unwrap();
    let lines = [
        format!("--descriptor_set_in={}", example_set().display()),
        format!("--plugin={}", wasm_plugin("testplug").display()),
        "--testplug_out=out".into(),
        EXAMPLE_FILES[1].into(),
    ];
    std::fs::write(dir.path().join("args.txt"), lines.join("\n") + "\n").unwrap();
    protowasm_protoc(dir.path(), &s(&["@args.txt"])).assert_ok();
    assert!(dir
        .path()
        .join("out/example/library/v1/library_service.txt")
        .is_file());
}

#[test]
fn plugins_are_found_on_path_native_or_wasm() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    // A wasm module named protoc-gen-NAME.wasm, and a native executable protoc-gen-NAME.
    std::fs::copy(wasm_plugin("testplug"), bin.join("protoc-gen-wtest.wasm")).unwrap();
    std::fs::copy(native_plugin("testplug"), bin.join("protoc-gen-ntest")).unwrap();
    std::fs::create_dir(dir.path().join("w")).unwrap();
    std::fs::create_dir(dir.path().join("n")).unwrap();
    let args = vec![
        format!("--descriptor_set_in={}", example_set().display()),
        "--wtest_out=w".into(),
        "--ntest_out=n".into(),
        EXAMPLE_FILES[0].into(),
    ];
    run_binary(
        Path::new(env!("CARGO_BIN_EXE_protowasm")),
        dir.path(),
        &[vec!["protoc".into()], args].concat(),
        Some(&bin),
    )
    .assert_ok();
    let (w, n) = (
        read_tree(&dir.path().join("w")),
        read_tree(&dir.path().join("n")),
    );
    assert!(!w.is_empty());
    assert_trees_equal(
        &w,
        &n,
        "the wasm and native builds of testplug should agree",
    );
}

/// `--enable_codegen_trace=VALUE` (it takes a value in protoc 36.2) hands plugins
/// `PROTOC_CODEGEN_TRACE=yes`, as protoc does through its environment: a native plugin sees the
/// same value under both tools, and a wasm plugin, which sees no environment otherwise, sees
/// that one variable.
#[test]
fn enable_codegen_trace_reaches_native_and_wasm_plugins() {
    use std::os::unix::fs::PermissionsExt;
    let dir = lay_out(&[("a.proto", "syntax = \"proto3\";\nmessage A {}\n".into())]);
    let plugin = dir.path().join("protoc-gen-env");
    // Saves the variable (or "unset"), answers with no files.
    std::fs::write(
        &plugin,
        "#!/bin/sh\ncat >/dev/null\necho \"${PROTOC_CODEGEN_TRACE:-unset}\" > \"$ENV_OUT\"\nprintf '\\020\\001'\n",
    )
    .unwrap();
    std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::create_dir(dir.path().join("out")).unwrap();
    let seen = |program: &Path, trace: &[&str]| {
        let mut args = vec![format!("--plugin=protoc-gen-env={}", plugin.display())];
        args.extend(trace.iter().map(|s| s.to_string()));
        args.extend(s(&["--env_out=out", "a.proto"]));
        let mut cmd = std::process::Command::new(program);
        if program == Path::new(env!("CARGO_BIN_EXE_protowasm")) {
            cmd.arg("protoc");
        }
        let run = Run::from(
            cmd.args(&args)
                .current_dir(dir.path())
                .env("PROTOWASM_CACHE_DIR", shared_cache())
                .env("ENV_OUT", dir.path().join("env.txt"))
                .env_remove("PROTOC_CODEGEN_TRACE")
                .output()
                .unwrap(),
        );
        run.assert_ok();
        std::fs::read_to_string(dir.path().join("env.txt")).unwrap()
    };
    let protowasm = Path::new(env!("CARGO_BIN_EXE_protowasm"));
    for trace in [
        &[][..],
        &["--enable_codegen_trace=1"],
        &["--enable_codegen_trace", "no"],
    ] {
        assert_eq!(seen(protowasm, trace), seen(&protoc(), trace), "{trace:?}");
    }
    assert_eq!(seen(protowasm, &["--enable_codegen_trace=x"]), "yes\n");

    let probe = |trace: &[&str]| {
        let mut args = vec![format!(
            "--plugin=protoc-gen-testplug={}",
            wasm_plugin("testplug").display()
        )];
        args.extend(trace.iter().map(|s| s.to_string()));
        args.extend(s(&["--testplug_out=probe:out", "a.proto"]));
        protowasm_protoc(dir.path(), &args).assert_ok();
        std::fs::read_to_string(dir.path().join("out/probe.txt")).unwrap()
    };
    assert!(
        probe(&[]).contains("environment: (none)\n"),
        "{}",
        probe(&[])
    );
    let traced = probe(&["--enable_codegen_trace=1"]);
    assert!(
        traced.contains("environment: PROTOC_CODEGEN_TRACE\n"),
        "{traced}"
    );
}
