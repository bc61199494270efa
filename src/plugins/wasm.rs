//! WebAssembly plugins: one shared wasmtime `Engine`, a fresh WASI preview 1 instance per run.
//!
//! The guest gets the request on stdin, its name as argv[0] (Go plugins panic without one), and
//! nothing else: no environment variables, no preopened directories, so no host files at all.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use sha2::{Digest, Sha256};
use wasmtime::{Config, Engine, InstancePre, Linker, ResourceLimiter, Store, Trap};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::pipe::MemoryInputPipe;
use wasmtime_wasi::{I32Exit, WasiCtxBuilder};

use super::stdio::{CappedPipe, StderrRelay};
use super::{
    format_size, watchdog, Limits, Plugin, PluginError, PluginRunner, ResponseSource, RunOutput,
};
use crate::cache::{CacheOutcome, DigestMemo, ModuleCache};

/// Per-run store state.
struct RunState {
    wasi: WasiP1Ctx,
    limiter: MemoryCap,
}

/// Caps linear memory and remembers whether the cap was what stopped the guest, so that the
/// guest's own "out of memory" exit can be reported as the limit it really was.
struct MemoryCap {
    cap: usize,
    hit: bool,
}

impl ResourceLimiter for MemoryCap {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.cap {
            self.hit = true;
            return Ok(false);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        // Tables hold function references; ten million is far beyond any real plugin.
        Ok(desired <= 10_000_000)
    }
}

/// Values computed once per key and process: the first thread that needs a key fills its slot,
/// and the others asking for it meanwhile wait on it instead of doing the work again.
struct Once<K, V>(Mutex<HashMap<K, Arc<OnceLock<V>>>>);

impl<K: std::hash::Hash + Eq, V> Once<K, V> {
    fn new() -> Self {
        Once(Mutex::default())
    }

    fn slot(&self, key: K) -> Arc<OnceLock<V>> {
        let mut slots = self.0.lock().unwrap_or_else(|p| p.into_inner());
        slots.entry(key).or_default().clone()
    }
}

/// A module file identified once per process, however many jobs run it: its sha256, and its
/// bytes if they were read to compute it (the digest memo can answer without reading).
struct ModuleFile {
    sha256: [u8; 32],
    bytes: Option<Vec<u8>>,
}

/// Runs WASI preview 1 modules. Cheap to share across threads.
pub struct WasmRuntime {
    /// Made on first use: a run answered wholly from the output cache never needs it, and
    /// creating it (with WASI linked) costs milliseconds.
    engine: std::sync::OnceLock<Result<(Engine, Linker<RunState>), String>>,
    cache: ModuleCache,
    digests: DigestMemo,
    /// Module files already identified, by path.
    files: Once<std::path::PathBuf, Result<Arc<ModuleFile>, PluginError>>,
    /// Modules already linked (their linked form), by sha256 of the wasm bytes.
    ready: Once<[u8; 32], Result<InstancePre<RunState>, String>>,
}

impl WasmRuntime {
    pub fn new(cache: ModuleCache) -> Result<Self, PluginError> {
        Ok(WasmRuntime {
            engine: std::sync::OnceLock::new(),
            digests: DigestMemo::new(cache.dir()),
            cache,
            files: Once::new(),
            ready: Once::new(),
        })
    }

    pub fn engine(&self) -> Result<&Engine, PluginError> {
        self.engine_and_linker().map(|(e, _)| e)
    }

    fn engine_and_linker(&self) -> Result<&(Engine, Linker<RunState>), PluginError> {
        self.engine
            .get_or_init(|| {
                let engine = Engine::new(&engine_config())
                    .map_err(|e| format!("creating the wasm engine: {e:#}"))?;
                let mut linker = Linker::new(&engine);
                wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |s: &mut RunState| &mut s.wasi)
                    .map_err(|e| format!("linking WASI: {e:#}"))?;
                Ok((engine, linker))
            })
            .as_ref()
            .map_err(|e| PluginError::Io(e.clone()))
    }

    pub fn cache(&self) -> &ModuleCache {
        &self.cache
    }

    /// The sha256 of the plugin's module, checked against its registry pin. The file is
    /// identified once per process; the pin is checked on every call.
    pub fn module_sha256(&self, plugin: &Plugin) -> Result<[u8; 32], PluginError> {
        self.module_file(plugin).map(|f| f.sha256)
    }

    fn module_file(&self, plugin: &Plugin) -> Result<Arc<ModuleFile>, PluginError> {
        let file = self
            .files
            .slot(plugin.path.clone())
            .get_or_init(|| {
                let digested = self.digests.sha256(&plugin.path).map_err(|e| {
                    PluginError::Io(format!("reading {}: {e}", plugin.path.display()))
                })?;
                Ok(Arc::new(ModuleFile {
                    sha256: digested.sha256,
                    bytes: digested.bytes,
                }))
            })
            .clone()?;
        if let Some(expected) = plugin.expected_sha256.filter(|e| *e != file.sha256) {
            return Err(PluginError::Tampered {
                path: plugin.path.display().to_string(),
                expected: hex::encode(expected),
                actual: hex::encode(file.sha256),
            });
        }
        Ok(file)
    }

    /// Loads (from memory, the AOT cache, or by compiling) and links a module. Concurrent callers
    /// asking for the same module wait for one another instead of compiling twice.
    fn prepare(
        &self,
        plugin: &Plugin,
        timings: &mut Vec<(&'static str, std::time::Duration)>,
    ) -> Result<InstancePre<RunState>, PluginError> {
        let started = Instant::now();
        let file = self.module_file(plugin)?;
        let sha = file.sha256;
        timings.push(("identify module", started.elapsed()));
        let (engine, linker) = self.engine_and_linker()?;
        let slot = self.ready.slot(sha);
        let started = Instant::now();
        let mut outcome = CacheOutcome::Memory;
        let pre = slot.get_or_init(|| {
            let module = match self.cache.load(engine, &sha) {
                Some((module, how)) => {
                    outcome = how;
                    module
                }
                None => {
                    let (module, how) = self
                        .cache
                        .compile(engine, &wasm_bytes(plugin, &file)?, &sha)
                        .map_err(|e| format!("{e:#}"))?;
                    outcome = how;
                    module
                }
            };
            linker
                .instantiate_pre(&module)
                .map_err(|e| format!("{e:#}"))
        });
        timings.push((outcome.label(), started.elapsed()));
        tracing::info!(plugin = %plugin.name, module = %hex::encode(&sha[..8]), "{}", outcome.label());
        pre.clone().map_err(|message| PluginError::BadModule {
            path: plugin.path.display().to_string(),
            message,
        })
    }
}

/// The module's bytes for compiling: those read when it was hashed, or read now and checked
/// against the digest the memo gave, so that what is compiled is what was identified.
fn wasm_bytes<'a>(plugin: &Plugin, file: &'a ModuleFile) -> Result<Cow<'a, [u8]>, String> {
    if let Some(bytes) = &file.bytes {
        return Ok(Cow::Borrowed(bytes));
    }
    let bytes = std::fs::read(&plugin.path).map_err(|e| format!("reading it: {e}"))?;
    if <[u8; 32]>::from(Sha256::digest(&bytes)) != file.sha256 {
        return Err("the file changed while protowasm was running".into());
    }
    Ok(Cow::Owned(bytes))
}

/// The engine's settings. Everything that changes generated code is part of the cache key through
/// `Engine::precompile_compatibility_hash`, so changing this only invalidates the cache.
fn engine_config() -> Config {
    let mut config = Config::new();
    config.cranelift_opt_level(wasmtime::OptLevel::Speed);
    config.parallel_compilation(true);
    config
}

impl PluginRunner for WasmRuntime {
    fn run(
        &self,
        plugin: &Plugin,
        label: &str,
        request: Vec<u8>,
        limits: &Limits,
    ) -> Result<RunOutput, PluginError> {
        let mut timings = Vec::new();
        let pre = self.prepare(plugin, &mut timings)?;

        let started = Instant::now();
        let stdout = CappedPipe::new(limits.stdout_bytes);
        let stderr = StderrRelay::new(&plugin.name, limits.stderr_bytes);
        let mut wasi = WasiCtxBuilder::new();
        wasi.stdin(MemoryInputPipe::new(request))
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .arg(&plugin.name);
        for arg in &plugin.args {
            wasi.arg(arg);
        }
        for (key, value) in &plugin.env {
            wasi.env(key, value);
        }
        let wasi = wasi.build_p1();
        let cap = usize::try_from(limits.memory_bytes).unwrap_or(usize::MAX);
        let mut store = Store::new(
            self.engine()?,
            RunState {
                wasi,
                limiter: MemoryCap { cap, hit: false },
            },
        );
        store.limiter(|s| &mut s.limiter);
        // wasmtime caps the bytes one host call may take from the guest (128 MiB by default), and
        // a plugin writes its response in one fd_write: with that cap, a response over 128 MiB
        // failed inside the guest with ENOMEM, and one over the output limit failed the same way
        // instead of being reported as over the limit. The cap guards host allocations; WASI's
        // fd_write borrows the guest's (unshared) memory and hands our pipes 4 KiB at a time, and
        // the pipes enforce the output and stderr limits, so no cap is needed here.
        store.set_hostcall_fuel(usize::MAX);

        let _deadline = watchdog::arm(limits.timeout, timeout_message(label, limits), None);
        let result = pre.instantiate(&mut store).and_then(|instance| {
            timings.push(("instantiate", started.elapsed()));
            let start = instance.get_typed_func::<(), ()>(&mut store, "_start")?;
            let started = Instant::now();
            let result = start.call(&mut store, ());
            timings.push(("run", started.elapsed()));
            result
        });
        stderr.finish();

        let memory_hit = store.data().limiter.hit;
        let failure = match result {
            Ok(()) => None,
            Err(e) => match e.downcast_ref::<I32Exit>() {
                Some(I32Exit(0)) => None,
                Some(I32Exit(code)) => Some(PluginError::Exit(*code)),
                None if stdout.overflowed() => {
                    Some(PluginError::OutputLimit(format_size(limits.stdout_bytes)))
                }
                None => Some(match e.downcast_ref::<Trap>() {
                    Some(trap) => PluginError::Trap(format!("{trap}\n{e}")),
                    None => PluginError::Trap(format!("{e:#}")),
                }),
            },
        };
        drop(store);
        match failure {
            None => Ok(RunOutput {
                stdout: stdout.take(),
                stderr: stderr.transcript(),
                timings,
                source: ResponseSource::Ran,
            }),
            // Guests react to a refused memory.grow in their own way (Go exits 2, Rust aborts with a
            // trap); either way the cap is the cause worth reporting.
            Some(_) if memory_hit => Err(PluginError::MemoryLimit {
                limit: format_size(limits.memory_bytes),
                suggest: suggest_larger(limits.memory_bytes),
            }),
            Some(err) => Err(err),
        }
    }
}

pub(super) fn timeout_message(label: &str, limits: &Limits) -> String {
    format!(
        "{label}: plugin timed out after {:?} (raise the limit with --plugin-timeout=DURATION); nothing was written",
        limits.timeout
    )
}

/// Twice the limit, capped at wasm32's 4 GiB address space.
fn suggest_larger(bytes: u64) -> String {
    let next = (bytes.saturating_mul(2)).min(4 << 30);
    format_size(next).replace(' ', "")
}
