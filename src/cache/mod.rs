//! The ahead-of-time module cache: compiled plugins stored by content, so a second run loads a
//! module in milliseconds instead of compiling it for seconds. It knows nothing of protobuf.
//! Beside it, under the same directory, are the output cache and the compile cache ([`BlobCache`]).
//!
//! An entry is `modules/<sha256>-<engine>-<version>.cwasm`, the output of
//! `Engine::precompile_module`, with a sidecar `.sum` holding its length and CRC-32. The key names
//! everything that changes the artifact: the module's sha256, the engine's compatibility hash
//! (wasmtime version, target, settings) and protowasm's version.
//!
//! The cache never causes a failure. Writes go to a temporary file created with `create_new` and
//! are renamed into place, so readers see a whole file or none. A missing, truncated, corrupt or
//! foreign entry is logged and the module is recompiled; a cache directory that cannot be written
//! only costs the speed-up. The checksum guards against damage (a disk filling up, a killed
//! process, a file edited by hand), not against someone who can already write to the user's cache
//! directory.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};
use wasmtime::{Engine, Module};

mod digests;
pub mod prune;
pub mod remote;
mod responses;
pub(crate) mod store;

pub use digests::{DigestMemo, Digested};
pub use remote::{Hit, RemoteCache, RemoteSettings};
pub use responses::{BlobCache, COMPILED, RESPONSES};
pub use store::{default_dir, CacheEntry};

/// Where a module came from, for logs and `--timings`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheOutcome {
    /// Already loaded in this process.
    Memory,
    /// Loaded from the on-disk cache.
    Hit,
    /// Fetched from the remote cache (an opt-in) into the on-disk one.
    RemoteHit,
    /// Compiled and stored.
    Compiled,
    /// Compiled; storing failed or there is no cache directory.
    CompiledUncached,
}

impl CacheOutcome {
    pub fn label(self) -> &'static str {
        match self {
            CacheOutcome::Memory => "module in memory",
            CacheOutcome::Hit => "module from cache",
            CacheOutcome::RemoteHit => "module from remote cache",
            CacheOutcome::Compiled => "module compiled and cached",
            CacheOutcome::CompiledUncached => "module compiled (not cached)",
        }
    }
}

/// The on-disk module cache. `None` directory means caching is off. Behind it, the remote
/// cache, for responses always and for compiled modules if its settings opt in.
#[derive(Clone)]
pub struct ModuleCache {
    dir: Option<PathBuf>,
    remote: Option<Arc<RemoteCache>>,
}

impl std::fmt::Debug for ModuleCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModuleCache")
            .field("dir", &self.dir)
            .field("remote", &self.remote.as_ref().map(|r| r.settings()))
            .finish()
    }
}

impl ModuleCache {
    pub fn new(dir: Option<PathBuf>) -> Self {
        ModuleCache { dir, remote: None }
    }

    /// The same cache with `remote` behind it.
    pub fn with_remote(self, remote: Option<Arc<RemoteCache>>) -> Self {
        ModuleCache { remote, ..self }
    }

    pub fn remote(&self) -> Option<&Arc<RemoteCache>> {
        self.remote.as_ref()
    }

    /// The cache at `$PROTOWASM_CACHE_DIR` or the platform's cache directory.
    pub fn from_env() -> Self {
        ModuleCache::new(default_dir())
    }

    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// The file a module compiled by `engine` is stored in.
    pub fn entry_path(&self, engine: &Engine, sha256: &[u8; 32]) -> Option<PathBuf> {
        let name = format!(
            "{}-{:016x}-{}.cwasm",
            hex::encode(sha256),
            engine_tag(engine),
            env!("CARGO_PKG_VERSION")
        );
        self.dir.as_ref().map(|d| d.join("modules").join(name))
    }

    /// Loads the module from the cache, or compiles and stores it. Errors only if the module itself
    /// cannot be compiled.
    pub fn load_or_compile(
        &self,
        engine: &Engine,
        wasm: &[u8],
        sha256: &[u8; 32],
    ) -> wasmtime::Result<(Module, CacheOutcome)> {
        match self.load(engine, sha256) {
            Some(found) => Ok(found),
            None => self.compile(engine, wasm, sha256),
        }
    }

    /// The module from the cache, or else from the remote cache if modules are shared.
    pub fn load(&self, engine: &Engine, sha256: &[u8; 32]) -> Option<(Module, CacheOutcome)> {
        if let Some(module) = self.load_local(engine, sha256) {
            return Some((module, CacheOutcome::Hit));
        }
        let remote = self.remote.as_ref().filter(|r| r.shares_modules())?;
        let path = self.entry_path(engine, sha256)?;
        let key = remote_module_key(engine, sha256);
        let what = format!("the compiled module {}", hex::encode(&sha256[..8]));
        let Hit { blob, .. } = remote.get(&key, remote::MODULE_FILE, &what)?;
        if let Err(e) = store::write_atomic(&path, &blob) {
            tracing::warn!(
                "could not store the module from the remote cache in {}: {e}",
                path.display()
            );
            return None;
        }
        // The trust decision was the user's opt-in: from here the entry is the local cache's.
        self.load_local(engine, sha256)
            .map(|module| (module, CacheOutcome::RemoteHit))
    }

    /// The module from the on-disk cache, if it has a whole, usable entry; a damaged or foreign
    /// one is logged.
    fn load_local(&self, engine: &Engine, sha256: &[u8; 32]) -> Option<Module> {
        let path = self.entry_path(engine, sha256)?;
        match store::read_verified(&path) {
            Ok(Some(())) => {
                // SAFETY: the file is one this program wrote (its checksum matches what we stored
                // next to it, and it was renamed into place whole), and wasmtime checks its header
                // and engine compatibility before using it.
                match unsafe { Module::deserialize_file(engine, &path) } {
                    Ok(module) => {
                        prune::touch(&path);
                        return Some(module);
                    }
                    Err(e) => tracing::warn!(
                        "cache entry {} is unusable, recompiling: {e:#}",
                        path.display()
                    ),
                }
            }
            Ok(None) => {}
            Err(reason) => tracing::warn!(
                "cache entry {} is damaged ({reason}), recompiling",
                path.display()
            ),
        }
        None
    }

    /// Compiles the module and stores it.
    pub fn compile(
        &self,
        engine: &Engine,
        wasm: &[u8],
        sha256: &[u8; 32],
    ) -> wasmtime::Result<(Module, CacheOutcome)> {
        let Some(path) = self.entry_path(engine, sha256) else {
            return Ok((Module::new(engine, wasm)?, CacheOutcome::CompiledUncached));
        };
        let compiled = engine.precompile_module(wasm)?;
        if let Err(e) = store::write_atomic(&path, &compiled) {
            tracing::warn!(
                "could not store the compiled module in {}: {e}; continuing without caching",
                path.display()
            );
            return Ok((Module::new(engine, wasm)?, CacheOutcome::CompiledUncached));
        }
        // SAFETY: `compiled` came from this engine's precompile_module a moment ago.
        let module = unsafe { Module::deserialize(engine, &compiled)? };
        if let Some(remote) = self.remote.as_ref().filter(|r| r.shares_modules()) {
            let key = remote_module_key(engine, sha256);
            remote.put(key, remote::MODULE_FILE, compiled, Vec::new());
        }
        Ok((module, CacheOutcome::Compiled))
    }

    /// Every entry in the cache.
    pub fn list(&self) -> std::io::Result<Vec<CacheEntry>> {
        match &self.dir {
            Some(dir) => store::list(&dir.join("modules")),
            None => Ok(Vec::new()),
        }
    }

    /// Removes every entry; returns how many files and bytes were removed.
    pub fn clean(&self) -> std::io::Result<(usize, u64)> {
        match &self.dir {
            Some(dir) => store::remove_files_in(&dir.join("modules")),
            None => Ok((0, 0)),
        }
    }
}

/// The engine's compatibility hash (wasmtime's version, the target, the compiler settings), as
/// entry names carry it.
fn engine_tag(engine: &Engine) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    hasher.finish()
}

/// One field of a cache key: its length, then its bytes, so that no two field lists hash alike.
pub fn key_field(h: &mut Sha256, bytes: &[u8]) {
    h.update((bytes.len() as u64).to_le_bytes());
    h.update(bytes);
}

/// A compiled module's key in the remote cache: everything the local entry's name holds, and
/// the target spelled out, since machines of other kinds share the cache.
pub fn remote_module_key(engine: &Engine, sha256: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    for part in [
        &b"protowasm compiled module 1"[..],
        env!("CARGO_PKG_VERSION").as_bytes(),
        env!("PROTOWASM_TARGET").as_bytes(),
        &engine_tag(engine).to_le_bytes(),
        sha256,
    ] {
        key_field(&mut h, part);
    }
    h.finalize().into()
}

#[cfg(test)]
mod tests;
