//! The output cache in front of the wasm runner. A wasm plugin runs sandboxed: it sees its
//! request on stdin, its name as argv[0] and the environment its registry entry allows, and
//! nothing else of the host. So those, the module's sha256 and the limits decide its response,
//! provided the plugin is deterministic (it does not print the clock or random numbers), which
//! code generators are; `--verify-cache` checks that assumption by running the plugin anyway.
//!
//! Native plugins are never cached: they can read any file and the whole environment.
//!
//! The remote cache (`--remote-cache`) sits behind the local one under the same key: a remote
//! hit is checked to decode as a `CodeGeneratorResponse` and fills the local cache; a run's
//! response goes to both.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use prost::Message;
use prost_types::compiler::CodeGeneratorResponse;
use sha2::{Digest, Sha256};

use super::{Limits, Plugin, PluginError, PluginRunner, ResponseSource, RunOutput, WasmRuntime};
use crate::cache::{remote, BlobCache, Hit, RemoteCache};

/// `--no-cache`, the default, or `--verify-cache`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CacheMode {
    /// Neither read nor write the output cache.
    Off,
    /// Use a stored response instead of running the plugin; store new ones.
    #[default]
    On,
    /// Run the plugin anyway and fail if a stored response differs.
    Verify,
}

/// Wasm plugin runs through the output cache: the local one, then the remote one if set.
pub struct CachedRunner<'a> {
    pub wasm: &'a WasmRuntime,
    pub responses: BlobCache,
    pub remote: Option<Arc<RemoteCache>>,
    pub mode: CacheMode,
}

/// A response found in a cache.
struct Stored {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    source: ResponseSource,
}

impl CachedRunner<'_> {
    /// The stored response for `key`, local first. A remote hit fills the local cache. A damaged
    /// remote entry is a miss: the plugin runs, and its upload replaces the entry.
    fn lookup(&self, key: &[u8; 32], plugin: &Plugin) -> Option<Stored> {
        let local = self.responses.get(key);
        if let Some((stdout, stderr)) = local.as_deref().and_then(split_value) {
            let stored = Stored {
                stdout: stdout.to_vec(),
                stderr: stderr.to_vec(),
                source: ResponseSource::LocalCache,
            };
            return Some(stored);
        }
        let remote = self.remote.as_ref()?;
        let Hit { blob, stderr } = remote.get(key, remote::RESPONSE_FILE, &plugin.name)?;
        if let Err(e) = CodeGeneratorResponse::decode(&blob[..]) {
            tracing::warn!(
                "remote cache: the response stored for {} ({}) does not decode: {e}; running the plugin, and its response will replace it",
                plugin.name,
                hex::encode(key)
            );
            return None;
        }
        self.responses.put(key, &join_value(&blob, &stderr));
        Some(Stored {
            stdout: blob,
            stderr,
            source: ResponseSource::RemoteCache,
        })
    }
}

impl PluginRunner for CachedRunner<'_> {
    fn run(
        &self,
        plugin: &Plugin,
        label: &str,
        request: Vec<u8>,
        limits: &Limits,
    ) -> Result<RunOutput, PluginError> {
        if self.mode == CacheMode::Off {
            return self.wasm.run(plugin, label, request, limits);
        }
        let started = Instant::now();
        let key = response_key(&self.wasm.module_sha256(plugin)?, plugin, limits, &request);
        let keyed = started.elapsed();
        let stored = match (self.mode, self.lookup(&key, plugin)) {
            (CacheMode::On, Some(stored)) => return Ok(replay(stored, plugin, keyed, started)),
            (_, stored) => stored,
        };
        let mut out = self.wasm.run(plugin, label, request, limits)?;
        out.timings.insert(0, ("request key", keyed));
        tracing::info!(plugin = %plugin.name, "response from a run");
        match stored {
            Some(stored) if stored.stdout != out.stdout => {
                self.responses.remove(&key);
                return Err(PluginError::NotDeterministic(hex::encode(key)));
            }
            Some(_) => {}
            None => {
                self.responses
                    .put(&key, &join_value(&out.stdout, &out.stderr));
                if let Some(remote) = &self.remote {
                    remote.put(
                        key,
                        remote::RESPONSE_FILE,
                        out.stdout.clone(),
                        out.stderr.clone(),
                    );
                }
            }
        }
        Ok(out)
    }
}

/// A stored response as the run's output. What the plugin printed when it ran is printed again,
/// so that a warning is not lost to the cache.
fn replay(stored: Stored, plugin: &Plugin, keyed: Duration, started: Instant) -> RunOutput {
    let _ = std::io::stderr().lock().write_all(&stored.stderr);
    tracing::info!(plugin = %plugin.name, "response from {}", stored.source.label());
    let looked_up = match stored.source {
        ResponseSource::RemoteCache => "response from remote cache",
        _ => "response from cache",
    };
    RunOutput {
        stdout: stored.stdout,
        stderr: stored.stderr,
        timings: vec![
            ("request key", keyed),
            (looked_up, started.elapsed() - keyed),
        ],
        source: stored.source,
    }
}

/// Changing any part of what the plugin can observe changes the key; so does protowasm's version,
/// in case a newer WASI layer shows the plugin something differently.
pub fn response_key(
    module: &[u8; 32],
    plugin: &Plugin,
    limits: &Limits,
    request: &[u8],
) -> [u8; 32] {
    use crate::cache::key_field as field;
    let mut h = Sha256::new();
    field(&mut h, b"protowasm output cache 1");
    field(&mut h, env!("CARGO_PKG_VERSION").as_bytes());
    field(&mut h, module);
    field(&mut h, plugin.name.as_bytes());
    h.update((plugin.args.len() as u64).to_le_bytes());
    for arg in &plugin.args {
        field(&mut h, arg.as_bytes());
    }
    h.update((plugin.env.len() as u64).to_le_bytes());
    for (key, value) in &plugin.env {
        field(&mut h, key.as_bytes());
        field(&mut h, value.as_bytes());
    }
    h.update(limits.memory_bytes.to_le_bytes());
    h.update(limits.stdout_bytes.to_le_bytes());
    h.update(limits.stderr_bytes.to_le_bytes());
    h.update(limits.timeout.as_nanos().to_le_bytes());
    field(&mut h, request);
    h.finalize().into()
}

/// A stored value: the response's length, the response, then the stderr transcript.
fn join_value(stdout: &[u8], stderr: &[u8]) -> Vec<u8> {
    let mut value = Vec::with_capacity(8 + stdout.len() + stderr.len());
    value.extend((stdout.len() as u64).to_le_bytes());
    value.extend_from_slice(stdout);
    value.extend_from_slice(stderr);
    value
}

fn split_value(value: &[u8]) -> Option<(&[u8], &[u8])> {
    let (len, rest) = value.split_first_chunk::<8>()?;
    let len = usize::try_from(u64::from_le_bytes(*len)).ok()?;
    (len <= rest.len()).then(|| rest.split_at(len))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plugin() -> Plugin {
        Plugin {
            env: vec![("GOGC".into(), "off".into())],
            ..Plugin::native("protoc-gen-x", std::path::Path::new("x.wasm"))
        }
    }

    #[test]
    fn everything_the_plugin_observes_is_in_the_key() {
        let base = response_key(&[1; 32], &plugin(), &Limits::default(), b"req");
        let mut variants = vec![
            response_key(&[2; 32], &plugin(), &Limits::default(), b"req"),
            response_key(&[1; 32], &plugin(), &Limits::default(), b"reQ"),
            response_key(&[1; 32], &plugin(), &Limits::default(), b"req\0"),
        ];
        let mut renamed = plugin();
        renamed.name = "protoc-gen-y".into();
        variants.push(response_key(&[1; 32], &renamed, &Limits::default(), b"req"));
        let mut no_env = plugin();
        no_env.env.clear();
        variants.push(response_key(&[1; 32], &no_env, &Limits::default(), b"req"));
        // The same bytes split differently between key and value must not collide.
        let mut shifted = plugin();
        shifted.env = vec![("GOGCo".into(), "ff".into())];
        variants.push(response_key(&[1; 32], &shifted, &Limits::default(), b"req"));
        for change in [
            |l: &mut Limits| l.memory_bytes += 1,
            |l: &mut Limits| l.stdout_bytes += 1,
            |l: &mut Limits| l.stderr_bytes += 1,
            |l: &mut Limits| l.timeout += Duration::from_nanos(1),
        ] {
            let mut limits = Limits::default();
            change(&mut limits);
            variants.push(response_key(&[1; 32], &plugin(), &limits, b"req"));
        }
        for (i, v) in variants.iter().enumerate() {
            assert_ne!(*v, base, "variant {i} has the base key");
        }
        assert_eq!(
            base,
            response_key(&[1; 32], &plugin(), &Limits::default(), b"req")
        );
    }

    #[test]
    fn values_round_trip_and_damaged_ones_are_refused() {
        let value = join_value(b"response", b"protoc-gen-x: warning\n");
        assert_eq!(
            split_value(&value),
            Some((&b"response"[..], &b"protoc-gen-x: warning\n"[..]))
        );
        assert_eq!(
            split_value(&join_value(b"", b"")),
            Some((&b""[..], &b""[..]))
        );
        assert_eq!(split_value(&value[..7]), None);
        assert_eq!(split_value(&value[..12]), None);
    }
}
