//! `protowasm plugin add|list|remove|verify`, and registry entries with URL sources. Downloads
//! come from a server on loopback started by the test.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::support::*;

const REGISTRY: &str = "# Our team's plugins.\n\n# (add more with `protowasm plugin add`)\n";

/// `protowasm ARGS` in `cwd` with the shared cache, and no proxy between us and loopback.
fn protowasm(cwd: &Path, args: &[&str]) -> Run {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_protowasm"))
        .args(args)
        .current_dir(cwd)
        .env("PROTOWASM_CACHE_DIR", shared_cache())
        .env_remove("PROTOWASM_REGISTRY")
        .env_remove("PROTOWASM_LOG")
        .env_remove("http_proxy")
        .env_remove("HTTP_PROXY")
        .env_remove("all_proxy")
        .env_remove("ALL_PROXY")
        .output()
        .unwrap();
    Run::from(output)
}

fn generate(cwd: &Path, name: &str) -> Run {
    std::fs::create_dir_all(cwd.join("out")).unwrap();
    let set = format!("--descriptor_set_in={}", example_set().display());
    let out = format!("--{name}_out=out");
    protowasm(cwd, &["protoc", &set, &out, EXAMPLE_FILES[0]])
}

fn sha_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Serves `body` at every path over HTTP/1.1 on 127.0.0.1; counts the requests.
fn serve(body: Vec<u8>) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                line.clear();
            }
            counter.fetch_add(1, Ordering::SeqCst);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/wasm\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    (base, hits)
}

#[test]
fn add_from_a_path_stores_pins_lists_runs_and_remove_keeps_the_comments() {
    let dir = tempfile::tempdir().unwrap();
    let registry = dir.path().join("plugins-registry.toml");
    std::fs::write(&registry, REGISTRY).unwrap();
    let module = wasm_plugin("testplug");
    let wasm = std::fs::read(&module).unwrap();
    let sha = sha_hex(&wasm);

    // From a subdirectory: the registry above it is the one edited.
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    let run = protowasm(
        &sub,
        &[
            "plugin",
            "add",
            module.to_str().unwrap(),
            "--version",
            "0.1.0",
        ],
    );
    run.assert_ok();
    assert!(
        run.stdout
            .starts_with(&format!("added plugin \"testplug\" (sha256 {}", &sha[..12])),
        "{}",
        run.stdout
    );
    let stored = dir.path().join(format!(".protowasm/plugins/{sha}.wasm"));
    assert_eq!(std::fs::read(&stored).unwrap(), wasm);
    assert_eq!(
        std::fs::read_to_string(&registry).unwrap(),
        format!("{REGISTRY}\n[plugins.testplug]\nsource = \".protowasm/plugins/{sha}.wasm\"\nsha256 = \"{sha}\"\nversion = \"0.1.0\"\n")
    );

    let list = protowasm(dir.path(), &["plugin", "list"]);
    list.assert_ok();
    let lines: Vec<&str> = list.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", list.stdout);
    assert!(lines[0].starts_with("NAME"), "{}", list.stdout);
    let row: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(row[..3], ["testplug", "0.1.0", &sha[..12]]);
    assert_eq!(row[4], "yes", "compiled by `plugin add`: {}", list.stdout);

    generate(&sub, "testplug").assert_ok();
    assert!(sub.join("out/example/library/v1/book.txt").is_file());

    protowasm(dir.path(), &["plugin", "verify"]).assert_ok();
    let run = protowasm(dir.path(), &["plugin", "remove", "testplug"]);
    run.assert_ok();
    assert_eq!(std::fs::read_to_string(&registry).unwrap(), REGISTRY);
    assert!(!stored.exists());
}

#[test]
fn add_from_a_loopback_url_keeps_the_url_and_protoc_downloads_it_again_when_missing() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = std::fs::read(wasm_plugin("testplug")).unwrap();
    let sha = sha_hex(&wasm);
    let (base, hits) = serve(wasm.clone());
    let url = format!("{base}/downloads/protoc-gen-testplug.wasm");

    // No registry yet: one is created in the working directory.
    let run = protowasm(dir.path(), &["plugin", "add", &url, "--name", "tp"]);
    run.assert_ok();
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    let registry = dir.path().join("plugins-registry.toml");
    assert_eq!(
        std::fs::read_to_string(&registry).unwrap(),
        format!("[plugins.tp]\nsource = \"{url}\"\nsha256 = \"{sha}\"\n")
    );
    let stored = dir.path().join(format!(".protowasm/plugins/{sha}.wasm"));
    assert_eq!(std::fs::read(&stored).unwrap(), wasm);

    // In the store: no download.
    generate(dir.path(), "tp").assert_ok();
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    // Missing from the store (a fresh clone): downloaded, checked and stored.
    std::fs::remove_file(&stored).unwrap();
    std::fs::remove_dir_all(dir.path().join("out")).unwrap();
    generate(dir.path(), "tp").assert_ok();
    assert_eq!(hits.load(Ordering::SeqCst), 2);
    assert_eq!(std::fs::read(&stored).unwrap(), wasm);
    assert!(dir.path().join("out/example/library/v1/book.txt").is_file());
}

#[test]
fn a_download_that_does_not_match_its_pin_is_refused_and_not_stored() {
    let dir = tempfile::tempdir().unwrap();
    let (base, _) = serve(std::fs::read(wasm_plugin("prost")).unwrap());
    let pinned = sha_hex(&std::fs::read(wasm_plugin("testplug")).unwrap());
    let url = format!("{base}/protoc-gen-testplug.wasm");
    std::fs::write(
        dir.path().join("plugins-registry.toml"),
        format!("[plugins.tp]\nsource = \"{url}\"\nsha256 = \"{pinned}\"\n"),
    )
    .unwrap();
    let run = generate(dir.path(), "tp");
    run.assert_failed();
    assert!(
        run.stderr.contains(&format!(
            "plugin \"tp\": {url} does not match the sha256 pinned in the plugin registry: expected {pinned}"
        )),
        "{}",
        run.stderr
    );
    assert!(!dir
        .path()
        .join(".protowasm/plugins")
        .join(format!("{pinned}.wasm"))
        .exists());
    assert!(read_tree(&dir.path().join("out")).is_empty());
}

#[test]
fn verify_and_protoc_refuse_a_tampered_stored_module() {
    let dir = tempfile::tempdir().unwrap();
    let module = wasm_plugin("testplug");
    protowasm(
        dir.path(),
        &["plugin", "add", module.to_str().unwrap(), "--name", "tp"],
    )
    .assert_ok();
    let sha = sha_hex(&std::fs::read(&module).unwrap());
    let stored = dir.path().join(format!(".protowasm/plugins/{sha}.wasm"));
    std::fs::copy(wasm_plugin("prost"), &stored).unwrap();

    let run = protowasm(dir.path(), &["plugin", "verify"]);
    run.assert_failed();
    assert!(run.stdout.starts_with("MISMATCH  tp: "), "{}", run.stdout);
    assert!(
        run.stderr.ends_with("do not match their pins: tp\n"),
        "{}",
        run.stderr
    );
    let run = generate(dir.path(), "tp");
    run.assert_failed();
    assert!(
        run.stderr
            .contains("does not match the sha256 pinned in the plugin registry"),
        "{}",
        run.stderr
    );
    assert!(read_tree(&dir.path().join("out")).is_empty());
}

#[test]
fn what_is_not_a_wasi_command_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let native = native_plugin("testplug");
    let run = protowasm(dir.path(), &["plugin", "add", native.to_str().unwrap()]);
    run.assert_failed();
    assert_eq!(
        run.stderr,
        format!(
            "protowasm: {}: not a WebAssembly module (it does not start with \\0asm)\n",
            native.display()
        )
    );
    let truncated = dir.path().join("protoc-gen-cut.wasm");
    let wasm = std::fs::read(wasm_plugin("testplug")).unwrap();
    std::fs::write(&truncated, &wasm[..wasm.len() / 2]).unwrap();
    let run = protowasm(dir.path(), &["plugin", "add", truncated.to_str().unwrap()]);
    run.assert_failed();
    assert!(
        run.stderr.contains("not a valid WebAssembly module"),
        "{}",
        run.stderr
    );
    assert!(!dir.path().join("plugins-registry.toml").exists());
    assert!(!dir.path().join(".protowasm").exists());
}

#[test]
fn only_the_url_plugins_a_run_uses_are_downloaded() {
    let wasm = std::fs::read(wasm_plugin("testplug")).unwrap();
    let (base, hits) = serve(wasm.clone());
    let dir = tempfile::tempdir().unwrap();
    // `other` points at a module nobody serves; a run that does not use it must not fetch it.
    let registry = format!(
        "[plugins.tp]\nsource = \"{base}/tp.wasm\"\nsha256 = \"{}\"\n\n\
         [plugins.other]\nsource = \"{base}/other.wasm\"\nsha256 = \"{}\"\n",
        sha_hex(&wasm),
        "0".repeat(64)
    );
    std::fs::write(dir.path().join("plugins-registry.toml"), registry).unwrap();
    generate(dir.path(), "tp").assert_ok();
    assert_eq!(hits.load(Ordering::SeqCst), 1, "only tp was downloaded");
    // Using `other` fetches it, and its pin refuses what comes back.
    let run = generate(dir.path(), "other");
    run.assert_failed();
    assert!(run.stderr.contains("other"), "{}", run.stderr);
    assert_eq!(hits.load(Ordering::SeqCst), 2);
}
