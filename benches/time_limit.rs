//! What the time limit costs: protowasm's watchdog (arm + disarm per plugin run, nothing in the
//! guest) against wasmtime's epoch interruption (a check compiled into every loop and call), on
//! protoc-gen-prost compiled to wasm, generating the well-known types.
//!
//! `cargo bench --bench time_limit` (needs `bash testdata/build-plugins.sh` first). Prints the
//! figures; asserts nothing.

use std::path::Path;
use std::time::{Duration, Instant};

use protowasm::descriptor_set::FileSet;
use protowasm::plugins::watchdog;
use protowasm::request::CompilerVersion;
use wasmtime::{Config, Engine, Linker, Module, Store};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::pipe::{MemoryInputPipe, MemoryOutputPipe};
use wasmtime_wasi::{I32Exit, WasiCtxBuilder};

fn request() -> Vec<u8> {
    let include = protoc_bin_vendored::include_path().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let set = dir.path().join("wkt.pb");
    let mut files = Vec::new();
    for entry in walk(&include.join("google/protobuf")) {
        let text = std::fs::read_to_string(&entry).unwrap();
        if !text.lines().any(|l| l.starts_with("edition")) {
            files.push(
                entry
                    .strip_prefix(&include)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
            );
        }
    }
    files.sort();
    let status = std::process::Command::new(protoc_bin_vendored::protoc_bin_path().unwrap())
        .arg(format!("-I{}", include.display()))
        .args([
            "--include_imports",
            "--include_source_info",
            &format!("-o{}", set.display()),
        ])
        .args(&files)
        .status()
        .unwrap();
    assert!(status.success());
    let set = FileSet::load(&[set]).unwrap();
    protowasm::request::build(
        &set,
        &files,
        "compile_well_known_types",
        Some(&CompilerVersion::default()),
        &Default::default(),
        Default::default(),
    )
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else if p.extension().is_some_and(|e| e == "proto") {
            out.push(p);
        }
    }
    out
}

/// Runs the module once; with `epoch`, under a deadline far in the future (so only the checks cost).
fn run_once(
    engine: &Engine,
    linker: &Linker<WasiP1Ctx>,
    module: &Module,
    request: &[u8],
    epoch: bool,
) -> Duration {
    let stdout = MemoryOutputPipe::new(256 << 20);
    let wasi = WasiCtxBuilder::new()
        .stdin(MemoryInputPipe::new(request.to_vec()))
        .stdout(stdout.clone())
        .arg("protoc-gen-prost")
        .build_p1();
    let mut store = Store::new(engine, wasi);
    if epoch {
        store.set_epoch_deadline(u64::MAX / 2);
    }
    let started = Instant::now();
    let instance = linker.instantiate(&mut store, module).unwrap();
    let start = instance
        .get_typed_func::<(), ()>(&mut store, "_start")
        .unwrap();
    match start.call(&mut store, ()) {
        Ok(()) => {}
        Err(e) if matches!(e.downcast_ref::<I32Exit>(), Some(I32Exit(0))) => {}
        Err(e) => panic!("{e:?}"),
    }
    let took = started.elapsed();
    assert!(!stdout.contents().is_empty());
    took
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let wasm_path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("target/plugins/wasm/protoc-gen-prost.wasm");
    let wasm = std::fs::read(&wasm_path).expect("run `bash testdata/build-plugins.sh` first");
    let request = request();

    // 1. The watchdog: arm and disarm, as every plugin run does once.
    let n = 100_000;
    let started = Instant::now();
    for _ in 0..n {
        drop(watchdog::arm(Duration::from_secs(300), String::new(), None));
    }
    let per_run = started.elapsed() / n;
    println!(
        "watchdog arm+disarm: {:.2} us per plugin run (mean of {n})",
        per_run.as_secs_f64() * 1e6
    );

    // 2. Guest run time without and with epoch interruption compiled in.
    let runs = 15;
    let mut results = Vec::new();
    for epoch in [false, true] {
        let mut config = Config::new();
        config.epoch_interruption(epoch);
        let engine = Engine::new(&config).unwrap();
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |s: &mut WasiP1Ctx| s).unwrap();
        let module = Module::new(&engine, &wasm).unwrap();
        run_once(&engine, &linker, &module, &request, epoch);
        let times: Vec<Duration> = (0..runs)
            .map(|_| run_once(&engine, &linker, &module, &request, epoch))
            .collect();
        results.push(median(times));
    }
    let (plain, epoch) = (results[0], results[1]);
    println!(
        "protoc-gen-prost.wasm on the well-known types ({} byte request), median of {runs}: \
         no instrumentation (watchdog) {:.1} ms, epoch interruption {:.1} ms: epoch costs {:+.1}%",
        request.len(),
        plain.as_secs_f64() * 1e3,
        epoch.as_secs_f64() * 1e3,
        (epoch.as_secs_f64() / plain.as_secs_f64() - 1.0) * 100.0
    );
}
