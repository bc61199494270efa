//! Running plugins: the `PluginRunner` seam, limits, and the errors a plugin run can end in.
//! `wasm` runs WASI preview 1 modules in-process with wasmtime; `native` runs executables as
//! subprocesses, as protoc does.

pub mod builtins;
mod cached;
mod limits;
pub mod native;
mod protoc_proxy;
pub mod source;
mod stdio;
pub mod wasm;
pub mod watchdog;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use cached::{response_key, CacheMode, CachedRunner};
pub use limits::{format_size, parse_duration, parse_size, LimitFlags, Limits};
pub use native::NativeRunner;
pub use protoc_proxy::ProtocProxyRunner;
pub use source::{resolve, PluginSource, Resolved};
pub use wasm::WasmRuntime;

/// How a plugin is implemented.
#[derive(Debug, Clone, PartialEq)]
pub enum PluginKind {
    Wasm,
    Native,
    /// A protoc built-in generator run by the protoc at `path` (buf's `protoc_path`).
    Protoc,
}

/// A plugin resolved to something runnable.
#[derive(Debug, Clone)]
pub struct Plugin {
    /// `protoc-gen-NAME`: used in messages and as argv[0].
    pub name: String,
    pub path: PathBuf,
    pub kind: PluginKind,
    /// For a registry plugin: the pinned sha256, checked every time the module is loaded.
    pub expected_sha256: Option<[u8; 32]>,
    /// Arguments after argv[0] (a template's `local:` command list).
    pub args: Vec<String>,
    /// Environment variables a wasm plugin sees (from a registry entry's allow-list, and
    /// `PROTOC_CODEGEN_TRACE` under `--enable_codegen_trace`); a native plugin gets them on top of
    /// protowasm's own environment.
    pub env: Vec<(String, String)>,
}

impl Plugin {
    /// Recognises a wasm module by its magic bytes, not by its file name.
    pub fn at_path(name: &str, path: &Path) -> std::io::Result<Plugin> {
        let kind = if is_wasm_file(path)? {
            PluginKind::Wasm
        } else {
            PluginKind::Native
        };
        Ok(Plugin {
            kind,
            ..Plugin::native(name, path)
        })
    }

    /// A native plugin at `path`, which may not exist: running it then reports protoc's error.
    pub fn native(name: &str, path: &Path) -> Plugin {
        Plugin {
            name: name.to_string(),
            path: path.to_path_buf(),
            kind: PluginKind::Native,
            expected_sha256: None,
            args: Vec::new(),
            env: Vec::new(),
        }
    }
}

/// True if the file starts with `\0asm`.
pub fn is_wasm_file(path: &Path) -> std::io::Result<bool> {
    use std::io::Read;
    let mut magic = [0u8; 4];
    let mut file = std::fs::File::open(path)?;
    let mut read = 0;
    while read < 4 {
        match file.read(&mut magic[read..])? {
            0 => break,
            n => read += n,
        }
    }
    Ok(read == 4 && &magic == b"\0asm")
}

/// What a successful run returns: the raw response bytes, decoded by the caller.
#[derive(Debug)]
pub struct RunOutput {
    pub stdout: Vec<u8>,
    /// What the run printed on our stderr on the plugin's behalf (wasm plugins only), so that a
    /// cached run can print it again.
    pub stderr: Vec<u8>,
    /// Where the time went, for `--timings`.
    pub timings: Vec<(&'static str, Duration)>,
    /// Whether the plugin ran or its response came from a cache.
    pub source: ResponseSource,
}

/// Where a response came from, for `--timings` and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResponseSource {
    #[default]
    Ran,
    LocalCache,
    RemoteCache,
}

impl ResponseSource {
    pub fn label(self) -> &'static str {
        match self {
            ResponseSource::Ran => "run",
            ResponseSource::LocalCache => "local cache",
            ResponseSource::RemoteCache => "remote cache",
        }
    }
}

/// Why a plugin run failed. `Display` gives the text after `protoc-gen-X: `, as protoc prints it.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PluginError {
    #[error("Plugin failed with status code {0}.")]
    Exit(i32),
    #[error("Plugin killed by signal {0}.")]
    Signal(i32),
    #[error("program not found or is not executable\nPlease specify a program using absolute path or make sure the program is available in your PATH system variable")]
    NotFound,
    #[error("plugin trapped: {0}")]
    Trap(String),
    #[error("plugin ran out of memory: it reached the limit of {limit} of linear memory (raise it with --plugin-memory-limit=SIZE, e.g. --plugin-memory-limit={suggest})")]
    MemoryLimit { limit: String, suggest: String },
    #[error("plugin output exceeded the limit of {0} (raise it with --plugin-output-limit=SIZE)")]
    OutputLimit(String),
    #[error("{path} does not match the sha256 pinned in the plugin registry: expected {expected}, found {actual}; the file changed since it was pinned, so it was not run")]
    Tampered {
        path: String,
        expected: String,
        actual: String,
    },
    #[error("--verify-cache: this run's response differs from the one cached for the same module, request, environment and limits, so the plugin is not deterministic and its responses cannot be cached; the entry ({0}) was removed, and --no-cache runs it without the cache")]
    NotDeterministic(String),
    #[error("invalid WebAssembly module {path}: {message}")]
    BadModule { path: String, message: String },
    #[error("{0}")]
    Io(String),
}

/// Runs plugins of one kind. `generate` holds one runner per kind and fans jobs out over them.
pub trait PluginRunner: Sync {
    /// `label` prefixes messages printed on the runner's behalf (the time limit), e.g.
    /// `--prost_out: protoc-gen-prost`.
    fn run(
        &self,
        plugin: &Plugin,
        label: &str,
        request: Vec<u8>,
        limits: &Limits,
    ) -> Result<RunOutput, PluginError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wasm_is_recognised_by_magic_not_name() {
        let dir = tempfile::tempdir().unwrap();
        let wasm = dir.path().join("plugin.bin");
        std::fs::write(&wasm, b"\0asm\x01\0\0\0").unwrap();
        let native = dir.path().join("plugin.wasm");
        std::fs::write(&native, b"#!/bin/sh\n").unwrap();
        let short = dir.path().join("short");
        std::fs::write(&short, b"\0a").unwrap();
        assert!(is_wasm_file(&wasm).unwrap());
        assert!(!is_wasm_file(&native).unwrap());
        assert!(!is_wasm_file(&short).unwrap());
    }
}
