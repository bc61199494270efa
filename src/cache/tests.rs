//! Tests of the module cache: keys, hits, damaged and foreign entries, unwritable directories,
//! concurrent writers, listing and cleaning. Modules are assembled by hand so nothing here depends
//! on built plugins.

use std::path::Path;
use std::sync::{Arc, Barrier, Mutex};

use sha2::{Digest, Sha256};
use wasmtime::{Config, Engine, Instance, Module, OptLevel, Store};

use super::*;

/// The smallest valid module: the header and nothing else.
const EMPTY_MODULE: &[u8] = b"\0asm\x01\0\0\0";

/// Not a module: if `load_or_compile` tried to compile these bytes it would fail, so an `Ok`
/// with them proves the module came from the cache (the "compute closure that panics").
const NOT_WASM: &[u8] = b"this is not a wasm module";

/// `(module (func (export "answer") (result i32) i32.const 42))`, assembled by hand.
fn answer_module() -> Vec<u8> {
    let mut m = EMPTY_MODULE.to_vec();
    m.extend([0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f]); // types: () -> i32
    m.extend([0x03, 0x02, 0x01, 0x00]); // functions: one of type 0
    m.extend([0x07, 0x0a, 0x01, 0x06]); // exports: one, name of 6 bytes
    m.extend(b"answer");
    m.extend([0x00, 0x00]); // function 0
    m.extend([0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x2a, 0x0b]); // code: i32.const 42; end
    m
}

/// An engine configured as `WasmRuntime`'s.
fn engine() -> Engine {
    let mut config = Config::new();
    config.cranelift_opt_level(OptLevel::Speed);
    Engine::new(&config).unwrap()
}

fn engine_with(configure: impl FnOnce(&mut Config)) -> Engine {
    let mut config = Config::new();
    config.cranelift_opt_level(OptLevel::Speed);
    configure(&mut config);
    Engine::new(&config).unwrap()
}

fn sha(wasm: &[u8]) -> [u8; 32] {
    Sha256::digest(wasm).into()
}

/// Runs the `answer` export: proves a module is not just loaded but usable.
fn call_answer(engine: &Engine, module: &Module) -> i32 {
    let mut store = Store::new(engine, ());
    let instance = Instance::new(&mut store, module, &[]).unwrap();
    let answer = instance
        .get_typed_func::<(), i32>(&mut store, "answer")
        .unwrap();
    answer.call(&mut store, ()).unwrap()
}

/// What `f` logs through `tracing` on this thread, as plain text.
fn capture_logs<T>(f: impl FnOnce() -> T) -> (T, String) {
    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Buf {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buf = Buf::default();
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::TRACE)
        .finish();
    let result = tracing::subscriber::with_default(subscriber, f);
    let logs = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    (result, logs)
}

/// A fresh `ModuleCache` on `dir` finds the module without compiling it.
#[track_caller]
fn assert_hit(dir: &Path, engine: &Engine, sha256: &[u8; 32]) {
    let cache = ModuleCache::new(Some(dir.to_path_buf()));
    let (module, outcome) = cache
        .load_or_compile(engine, NOT_WASM, sha256)
        .expect("a valid entry is loaded without compiling");
    assert_eq!(outcome, CacheOutcome::Hit);
    if module.exports().any(|e| e.name() == "answer") {
        assert_eq!(call_answer(engine, &module), 42);
    }
}

/// Every file name in `dir`, sorted.
fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn checksum_line(bytes: &[u8]) -> String {
    format!("{} {:08x}\n", bytes.len(), crc32fast::hash(bytes))
}

#[test]
fn entry_path_names_module_sha_engine_hash_and_version() {
    let dir = tempfile::tempdir().unwrap();
    let cache = ModuleCache::new(Some(dir.path().to_path_buf()));
    let engine = engine();
    let sha256 = sha(EMPTY_MODULE);
    let path = cache.entry_path(&engine, &sha256).unwrap();
    assert_eq!(path.parent().unwrap(), dir.path().join("modules"));
    let name = path.file_name().unwrap().to_str().unwrap();
    let suffix = format!("-{}.cwasm", env!("CARGO_PKG_VERSION"));
    let prefix = format!("{}-", hex::encode(sha256));
    assert!(name.starts_with(&prefix), "{name}");
    assert!(name.ends_with(&suffix), "{name}");
    let engine_part = &name[prefix.len()..name.len() - suffix.len()];
    assert_eq!(engine_part.len(), 16, "{name}");
    assert!(engine_part.bytes().all(|b| b.is_ascii_hexdigit()), "{name}");

    // The same inputs give the same key; each input changes it.
    assert_eq!(cache.entry_path(&self::engine(), &sha256).unwrap(), path);
    assert_ne!(
        cache.entry_path(&engine, &sha(&answer_module())),
        Some(path.clone())
    );
    let other = engine_with(|c| {
        c.cranelift_opt_level(OptLevel::None);
    });
    assert_ne!(cache.entry_path(&other, &sha256), Some(path.clone()));
    let other = engine_with(|c| {
        c.epoch_interruption(true);
    });
    assert_ne!(cache.entry_path(&other, &sha256), Some(path));

    assert_eq!(ModuleCache::new(None).entry_path(&engine, &sha256), None);
}

#[test]
fn compiles_and_stores_then_hits_without_compiling() {
    let dir = tempfile::tempdir().unwrap();
    let cache = ModuleCache::new(Some(dir.path().to_path_buf()));
    let engine = engine();
    let wasm = answer_module();
    let sha256 = sha(&wasm);

    let (module, outcome) = cache.load_or_compile(&engine, &wasm, &sha256).unwrap();
    assert_eq!(outcome, CacheOutcome::Compiled);
    assert_eq!(call_answer(&engine, &module), 42);

    let path = cache.entry_path(&engine, &sha256).unwrap();
    let stored = std::fs::read(&path).unwrap();
    assert_eq!(
        stored,
        engine.precompile_module(&wasm).unwrap(),
        "the entry is what Engine::precompile_module produces"
    );
    assert_eq!(
        std::fs::read_to_string(path.with_extension("sum")).unwrap(),
        checksum_line(&stored)
    );
    let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
    assert_eq!(
        file_names(&dir.path().join("modules")),
        [format!("{stem}.cwasm"), format!("{stem}.sum")],
        "exactly the entry and its sidecar, no temporary files"
    );

    // Same process, same cache object, and a fresh one (a new process).
    let (module, outcome) = cache.load_or_compile(&engine, NOT_WASM, &sha256).unwrap();
    assert_eq!(outcome, CacheOutcome::Hit);
    assert_eq!(call_answer(&engine, &module), 42);
    assert_hit(dir.path(), &engine, &sha256);
}

#[test]
fn without_a_directory_compiles_uncached() {
    let engine = engine();
    let wasm = answer_module();
    let cache = ModuleCache::new(None);
    let (module, outcome) = cache.load_or_compile(&engine, &wasm, &sha(&wasm)).unwrap();
    assert_eq!(outcome, CacheOutcome::CompiledUncached);
    assert_eq!(call_answer(&engine, &module), 42);
    assert!(cache.list().unwrap().is_empty());
    assert_eq!(cache.clean().unwrap(), (0, 0));
}

#[test]
fn invalid_module_is_an_error_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let cache = ModuleCache::new(Some(dir.path().to_path_buf()));
    let err = cache
        .load_or_compile(&engine(), NOT_WASM, &sha(NOT_WASM))
        .expect_err("bytes that are not wasm do not compile");
    assert!(!format!("{err:#}").is_empty());
    assert!(cache.list().unwrap().is_empty());
}

/// How an entry gets damaged, and what the warning says about it.
struct Damage {
    name: &'static str,
    /// Replaces the entry's bytes; `Some` bytes are written with a matching `.sum`, so they pass
    /// the checksum and reach `Module::deserialize_file`.
    apply: fn(&Path, &[u8]),
    warning: &'static str,
}

fn truncated(path: &Path, good: &[u8]) {
    std::fs::write(path, &good[..good.len() / 2]).unwrap();
}

fn truncated_with_sum(path: &Path, good: &[u8]) {
    store::write_atomic(path, &good[..good.len() / 2]).unwrap();
}

fn empty(path: &Path, _: &[u8]) {
    std::fs::write(path, b"").unwrap();
}

/// Deterministic noise (xorshift), the length of the good entry.
fn noise(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn random(path: &Path, good: &[u8]) {
    std::fs::write(path, noise(good.len())).unwrap();
}

fn random_with_sum(path: &Path, good: &[u8]) {
    store::write_atomic(path, &noise(good.len())).unwrap();
}

fn one_flipped_byte(path: &Path, good: &[u8]) {
    let mut bytes = good.to_vec();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    std::fs::write(path, bytes).unwrap();
}

fn garbage_sum(path: &Path, _: &[u8]) {
    std::fs::write(path.with_extension("sum"), b"not a checksum").unwrap();
}

/// Compiled by an engine configured otherwise, stored with a correct sidecar.
fn foreign(path: &Path, configure: fn(&mut Config)) {
    let other = engine_with(configure);
    let bytes = other.precompile_module(&answer_module()).unwrap();
    // The premise: the cache's engine refuses this artifact.
    assert!(unsafe { Module::deserialize(&engine(), &bytes) }.is_err());
    store::write_atomic(path, &bytes).unwrap();
}

fn foreign_fuel(path: &Path, _: &[u8]) {
    foreign(path, |c| {
        c.consume_fuel(true);
    });
}

fn foreign_epoch(path: &Path, _: &[u8]) {
    foreign(path, |c| {
        c.epoch_interruption(true);
    });
}

const DAMAGES: &[Damage] = &[
    Damage {
        name: "truncated",
        apply: truncated,
        warning: "checksum mismatch",
    },
    Damage {
        name: "truncated, sidecar rewritten",
        apply: truncated_with_sum,
        warning: "is unusable, recompiling",
    },
    Damage {
        name: "empty",
        apply: empty,
        warning: "checksum mismatch",
    },
    Damage {
        name: "random bytes",
        apply: random,
        warning: "checksum mismatch",
    },
    Damage {
        name: "random bytes, sidecar rewritten",
        apply: random_with_sum,
        warning: "is unusable, recompiling",
    },
    Damage {
        name: "one flipped byte",
        apply: one_flipped_byte,
        warning: "checksum mismatch",
    },
    Damage {
        name: "garbage sidecar",
        apply: garbage_sum,
        warning: "checksum mismatch",
    },
    Damage {
        name: "foreign: consume_fuel(true)",
        apply: foreign_fuel,
        warning: "is unusable, recompiling",
    },
    Damage {
        name: "foreign: epoch_interruption(true)",
        apply: foreign_epoch,
        warning: "is unusable, recompiling",
    },
];

#[test]
fn damaged_or_foreign_entry_is_logged_recompiled_and_repaired() {
    let engine = engine();
    let wasm = answer_module();
    let sha256 = sha(&wasm);
    for damage in DAMAGES {
        let dir = tempfile::tempdir().unwrap();
        let cache = ModuleCache::new(Some(dir.path().to_path_buf()));
        cache.load_or_compile(&engine, &wasm, &sha256).unwrap();
        let path = cache.entry_path(&engine, &sha256).unwrap();
        let good = std::fs::read(&path).unwrap();
        (damage.apply)(&path, &good);

        let fresh = ModuleCache::new(Some(dir.path().to_path_buf()));
        let (result, logs) = capture_logs(|| fresh.load_or_compile(&engine, &wasm, &sha256));
        let (module, outcome) = result
            .unwrap_or_else(|e| panic!("{}: a damaged entry must not fail: {e:#}", damage.name));
        assert_eq!(outcome, CacheOutcome::Compiled, "{}", damage.name);
        assert_eq!(call_answer(&engine, &module), 42, "{}", damage.name);
        assert!(
            logs.contains("WARN") && logs.contains(damage.warning),
            "{}: expected a warning containing {:?}, logged:\n{logs}",
            damage.name,
            damage.warning
        );
        assert!(
            logs.contains(&path.display().to_string()),
            "{}: the warning names the entry; logged:\n{logs}",
            damage.name
        );

        assert_eq!(std::fs::read(&path).unwrap(), good, "{}", damage.name);
        assert_eq!(store::read_verified(&path), Ok(Some(())), "{}", damage.name);
        assert_hit(dir.path(), &engine, &sha256);
    }
}

/// Not every differently configured engine makes a foreign artifact: wasmtime's compatibility check
/// deliberately ignores `opt_level` ("opt level doesn't change semantics", wasmtime
/// `Engine::check_compatible_with_shared_flag`), so an unoptimised artifact found under our key is
/// loaded and runs correctly. Our key still separates the two (the compatibility hash covers
/// opt_level), so the cache never stores one there itself.
#[test]
fn artifact_differing_only_in_opt_level_is_loaded_and_works() {
    let dir = tempfile::tempdir().unwrap();
    let cache = ModuleCache::new(Some(dir.path().to_path_buf()));
    let engine = engine();
    let wasm = answer_module();
    let sha256 = sha(&wasm);
    let unoptimised = engine_with(|c| {
        c.cranelift_opt_level(OptLevel::None);
    });
    assert_ne!(
        cache.entry_path(&unoptimised, &sha256),
        cache.entry_path(&engine, &sha256)
    );
    let bytes = unoptimised.precompile_module(&wasm).unwrap();
    assert_ne!(bytes, engine.precompile_module(&wasm).unwrap());
    let path = cache.entry_path(&engine, &sha256).unwrap();
    store::write_atomic(&path, &bytes).unwrap();

    let (result, logs) = capture_logs(|| cache.load_or_compile(&engine, NOT_WASM, &sha256));
    let (module, outcome) = result.unwrap();
    assert_eq!(outcome, CacheOutcome::Hit);
    assert_eq!(call_answer(&engine, &module), 42);
    assert!(!logs.contains("WARN"), "logged:\n{logs}");
}

#[test]
fn missing_sidecar_or_entry_is_a_quiet_miss() {
    let engine = engine();
    let wasm = answer_module();
    let sha256 = sha(&wasm);
    for remove in ["cwasm", "sum"] {
        let dir = tempfile::tempdir().unwrap();
        let cache = ModuleCache::new(Some(dir.path().to_path_buf()));
        cache.load_or_compile(&engine, &wasm, &sha256).unwrap();
        let path = cache.entry_path(&engine, &sha256).unwrap();
        std::fs::remove_file(path.with_extension(remove)).unwrap();

        let (result, logs) = capture_logs(|| cache.load_or_compile(&engine, &wasm, &sha256));
        assert_eq!(
            result.unwrap().1,
            CacheOutcome::Compiled,
            "{remove} removed"
        );
        assert!(
            !logs.contains("WARN"),
            "{remove} removed: a miss is not worth a warning; logged:\n{logs}"
        );
        assert_hit(dir.path(), &engine, &sha256);
    }
}

/// Makes writing under `dir/modules` fail. chmod 0o555 on `dir` does it for a normal user; root
/// ignores permissions, so if a probe write still succeeds `modules` becomes a regular file, which
/// makes create_dir_all and every write below it fail for anyone. Returns what it did.
fn make_unwritable(dir: &Path) -> &'static str {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o555)).unwrap();
    let probe = dir.join("probe");
    match std::fs::write(&probe, b"") {
        Err(_) => "chmod 0o555",
        Ok(()) => {
            std::fs::remove_file(&probe).unwrap();
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
            std::fs::write(dir.join("modules"), b"not a directory").unwrap();
            "modules is a regular file"
        }
    }
}

fn restore_writable(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn unwritable_cache_directory_compiles_uncached() {
    let dir = tempfile::tempdir().unwrap();
    let how = make_unwritable(dir.path());
    let engine = engine();
    let wasm = answer_module();
    let sha256 = sha(&wasm);
    let cache = ModuleCache::new(Some(dir.path().to_path_buf()));
    for _ in 0..2 {
        let (result, logs) = capture_logs(|| cache.load_or_compile(&engine, &wasm, &sha256));
        let (module, outcome) =
            result.unwrap_or_else(|e| panic!("{how}: an unwritable cache must not fail: {e:#}"));
        assert_eq!(outcome, CacheOutcome::CompiledUncached, "{how}");
        assert_eq!(call_answer(&engine, &module), 42, "{how}");
        assert!(
            logs.contains("WARN") && logs.contains("could not store the compiled module"),
            "{how}: logged:\n{logs}"
        );
    }
    assert!(
        std::fs::read_dir(dir.path()).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with(".tmp")),
        "{how}: no temporary files left"
    );
    restore_writable(dir.path());
}

#[test]
fn failed_rename_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    // Renaming a file over a directory fails, for root too.
    let path = dir.path().join("entry.cwasm");
    std::fs::create_dir(&path).unwrap();
    assert!(store::write_atomic(&path, b"bytes").is_err());
    assert_eq!(file_names(dir.path()), ["entry.cwasm"]);
}

#[test]
fn concurrent_writers_of_one_entry_leave_one_valid_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("modules").join("entry.cwasm");
    let bytes = noise(300_000);
    let threads = 8;
    let barrier = Barrier::new(threads);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                barrier.wait();
                for _ in 0..20 {
                    store::write_atomic(&path, &bytes).unwrap();
                    // A reader between the writes sees a whole file, never a partial one.
                    assert_eq!(store::read_verified(&path), Ok(Some(())));
                }
            });
        }
    });
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    assert_eq!(
        file_names(&dir.path().join("modules")),
        ["entry.cwasm", "entry.sum"]
    );
}

#[test]
fn concurrent_loads_of_one_module_all_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine();
    let wasm = answer_module();
    let sha256 = sha(&wasm);
    let threads = 4;
    let barrier = Barrier::new(threads);
    let outcomes: Vec<CacheOutcome> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    // A cache object per thread, as separate processes would have.
                    let cache = ModuleCache::new(Some(dir.path().to_path_buf()));
                    barrier.wait();
                    let (module, outcome) = cache.load_or_compile(&engine, &wasm, &sha256).unwrap();
                    assert_eq!(call_answer(&engine, &module), 42);
                    outcome
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, CacheOutcome::Compiled | CacheOutcome::Hit)),
        "{outcomes:?}"
    );
    assert!(outcomes.contains(&CacheOutcome::Compiled), "{outcomes:?}");
    assert_eq!(file_names(&dir.path().join("modules")).len(), 2);
    assert_hit(dir.path(), &engine, &sha256);
}

#[test]
fn list_shows_entries_only_and_clean_removes_everything() {
    let dir = tempfile::tempdir().unwrap();
    let cache = ModuleCache::new(Some(dir.path().to_path_buf()));
    assert!(cache.list().unwrap().is_empty(), "no modules directory yet");
    assert_eq!(cache.clean().unwrap(), (0, 0));

    let engine = engine();
    let modules = [EMPTY_MODULE.to_vec(), answer_module()];
    for wasm in &modules {
        assert_eq!(
            cache.load_or_compile(&engine, wasm, &sha(wasm)).unwrap().1,
            CacheOutcome::Compiled
        );
    }
    // A stray temporary file (a writer killed mid-write) is not an entry.
    std::fs::write(dir.path().join("modules/.x.cwasm.1.0.tmp"), b"partial").unwrap();

    let listed = cache.list().unwrap();
    let mut expected: Vec<String> = modules.iter().map(|m| hex::encode(sha(m))).collect();
    expected.sort();
    let shas: Vec<&str> = listed.iter().map(|e| e.module_sha256.as_str()).collect();
    assert_eq!(shas, expected);
    for entry in &listed {
        assert_eq!(entry.path.extension().unwrap(), "cwasm");
        assert_eq!(entry.size, std::fs::metadata(&entry.path).unwrap().len());
        assert!(entry.size > 0);
        assert!(entry.modified.is_some());
    }

    let files_bytes: u64 = std::fs::read_dir(dir.path().join("modules"))
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    assert_eq!(cache.clean().unwrap(), (5, files_bytes));
    assert!(cache.list().unwrap().is_empty());
    assert!(file_names(&dir.path().join("modules")).is_empty());
    assert_eq!(
        cache
            .load_or_compile(&engine, &modules[1], &sha(&modules[1]))
            .unwrap()
            .1,
        CacheOutcome::Compiled,
        "after clean the module is compiled again"
    );
}

#[test]
fn outcome_labels_are_what_timings_print() {
    assert_eq!(CacheOutcome::Memory.label(), "module in memory");
    assert_eq!(CacheOutcome::Hit.label(), "module from cache");
    assert_eq!(CacheOutcome::Compiled.label(), "module compiled and cached");
    assert_eq!(
        CacheOutcome::CompiledUncached.label(),
        "module compiled (not cached)"
    );
}
