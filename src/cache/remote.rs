//! The shared cache: a Bazel HTTP remote cache (bazel-remote, nginx with WebDAV, BuildBuddy,
//! anything that serves `GET`/`PUT /ac/<sha256>` and `/cas/<sha256>`), behind the local caches.
//!
//! An entry is two objects. The blob (a plugin's response, or a compiled module) goes to the
//! CAS under its sha256. The key maps to it through the action cache, as a REAPI `ActionResult`
//! whose one output file points at the blob's digest, so servers that validate AC entries accept
//! it. Types from the `bazel-remote-apis` crate. A plugin's stderr transcript goes inline, in
//! `stderr_raw`.
//!
//! The remote cache never fails or stalls a run. Every request is bounded by the timeout. The
//! first transport error or 5xx on a read gives one warning and ends remote reads and writes for
//! the rest of the run; a refused upload ends writes; the run goes on with the local caches. A
//! blob that does not hash to its digest, or an entry that does not decode, is a miss, logged;
//! the caller runs the plugin and its upload replaces the bad object. Uploads run in the
//! background on a few threads; [`RemoteCache::finish`] waits for them, at most one timeout.

use std::collections::VecDeque;
use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use bazel_remote_apis::build::bazel::remote::execution::v2::{
    ActionResult, Digest, ExecutedActionMetadata, OutputFile,
};
use prost::Message;
use sha2::{Digest as _, Sha256};

/// The output file an entry's blob is recorded as, by kind.
pub const RESPONSE_FILE: &str = "response.pb";
pub const MODULE_FILE: &str = "module.cwasm";

/// The most bytes one GET reads: a compiled module of a large plugin is ~30 MB.
const MAX_BLOB: u64 = 1 << 30;
const UPLOAD_THREADS: usize = 4;

/// The resolved remote cache: where it is, how far to trust it, how to authenticate.
#[derive(Clone, PartialEq)]
pub struct RemoteSettings {
    /// `scheme://authority[/instance]`, without a trailing slash: requests go to `{base}/ac/..`.
    pub base: String,
    pub read_only: bool,
    /// Share compiled modules too (code that is executed), not only responses.
    pub modules: bool,
    /// The bound on each request, and on how long the exit waits for uploads.
    pub timeout: Duration,
    /// The `Authorization` header's value.
    pub authorization: Option<String>,
}

impl std::fmt::Debug for RemoteSettings {
    // The credentials are left out, so that no log line can show them.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteSettings")
            .field("base", &self.base)
            .field("read_only", &self.read_only)
            .field("modules", &self.modules)
            .field("timeout", &self.timeout)
            .field("authorization", &self.authorization.as_ref().map(|_| "…"))
            .finish()
    }
}

/// An entry found, its blob checked against its digest.
#[derive(Debug, PartialEq)]
pub struct Hit {
    pub blob: Vec<u8>,
    /// The plugin's stderr transcript (empty for a module).
    pub stderr: Vec<u8>,
}

pub struct RemoteCache {
    settings: RemoteSettings,
    agent: ureq::Agent,
    /// Set by the first failed read: no more reads this run.
    reads_off: AtomicBool,
    /// Set by the first failed upload: no more uploads this run.
    writes_off: AtomicBool,
    /// Whether the one warning line has been printed.
    warned: AtomicBool,
    uploads: Mutex<Uploads>,
    uploaded: Condvar,
}

#[derive(Default)]
struct Uploads {
    queue: VecDeque<Upload>,
    /// Queued or in flight.
    pending: usize,
    threads: usize,
}

struct Upload {
    key: [u8; 32],
    file: &'static str,
    blob: Vec<u8>,
    stderr: Vec<u8>,
}

impl RemoteCache {
    pub fn new(settings: RemoteSettings) -> RemoteCache {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(settings.timeout))
            .http_status_as_error(false)
            .user_agent(concat!("protowasm/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        RemoteCache {
            settings,
            agent,
            reads_off: AtomicBool::new(false),
            writes_off: AtomicBool::new(false),
            warned: AtomicBool::new(false),
            uploads: Mutex::default(),
            uploaded: Condvar::new(),
        }
    }

    pub fn settings(&self) -> &RemoteSettings {
        &self.settings
    }

    /// Whether compiled modules are shared (an explicit opt-in).
    pub fn shares_modules(&self) -> bool {
        self.settings.modules
    }

    /// The entry for `key`, its blob checked against its digest. `what` names the entry in logs.
    /// A damaged entry is a miss, logged: the caller's upload replaces it.
    pub fn get(&self, key: &[u8; 32], file: &str, what: &str) -> Option<Hit> {
        if self.reads_off.load(Ordering::Relaxed) {
            return None;
        }
        match self.lookup(key, file) {
            Ok(found) => found,
            Err(Trouble::Object(why)) => {
                tracing::warn!(
                    "remote cache: the entry for {what} ({}) is damaged: {why}; treating it as a miss, to be overwritten",
                    hex::encode(key)
                );
                None
            }
            Err(Trouble::Server(why)) => {
                // A server that fails reads is not written either: each try could cost a timeout.
                self.reads_off.store(true, Ordering::Relaxed);
                self.writes_off.store(true, Ordering::Relaxed);
                self.warn_once(&why);
                None
            }
        }
    }

    fn lookup(&self, key: &[u8; 32], file: &str) -> Result<Option<Hit>, Trouble> {
        let Some(entry) = self.fetch(&format!("ac/{}", hex::encode(key)))? else {
            return Ok(None);
        };
        let result = ActionResult::decode(&entry[..])
            .map_err(|e| Trouble::Object(format!("the action-cache entry does not decode: {e}")))?;
        let Some(output) = result.output_files.iter().find(|f| f.path == file) else {
            return Err(Trouble::Object(format!(
                "the action-cache entry has no output {file}"
            )));
        };
        let digest = output.digest.clone().unwrap_or_default();
        // A server may inline small blobs (REAPI allows it); else the blob is in the CAS.
        let blob = if !output.contents.is_empty() {
            output.contents.clone()
        } else {
            if !is_sha256_hex(&digest.hash) {
                return Err(Trouble::Object(format!(
                    "bad digest hash {:?}",
                    digest.hash
                )));
            }
            match self.fetch(&format!("cas/{}", digest.hash))? {
                Some(blob) => blob,
                // An AC entry without its blob: the CAS evicted it, or an upload is half done.
                None => return Ok(None),
            }
        };
        let actual = Sha256::digest(&blob);
        if hex::encode(actual) != digest.hash || blob.len() as i64 != digest.size_bytes {
            return Err(Trouble::Object(format!(
                "its blob has {} bytes with sha256 {}, not the {} bytes with sha256 {} recorded",
                blob.len(),
                hex::encode(actual),
                digest.size_bytes,
                digest.hash
            )));
        }
        Ok(Some(Hit {
            blob,
            stderr: result.stderr_raw,
        }))
    }

    /// `GET base/path`: the body, or `None` on 404.
    fn fetch(&self, path: &str) -> Result<Option<Vec<u8>>, Trouble> {
        let url = format!("{}/{path}", self.settings.base);
        let mut request = self.agent.get(&url);
        if let Some(auth) = &self.settings.authorization {
            request = request.header("Authorization", auth);
        }
        let mut response = request
            .call()
            .map_err(|e| Trouble::Server(format!("GET {url}: {e}")))?;
        match response.status().as_u16() {
            200 => {}
            404 => return Ok(None),
            status => return Err(Trouble::Server(format!("GET {url}: HTTP {status}"))),
        }
        let declared = response
            .headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        let mut body = Vec::new();
        response
            .body_mut()
            .as_reader()
            .take(MAX_BLOB + 1)
            .read_to_end(&mut body)
            .map_err(|e| Trouble::Server(format!("GET {url}: reading the body: {e}")))?;
        if body.len() as u64 > MAX_BLOB {
            return Err(Trouble::Object(format!("{url} is over {MAX_BLOB} bytes")));
        }
        if declared.is_some_and(|n| n != body.len() as u64) {
            return Err(Trouble::Server(format!(
                "GET {url}: the body was cut short ({} of {} bytes)",
                body.len(),
                declared.unwrap_or_default()
            )));
        }
        Ok(Some(body))
    }

    /// Stores `blob` (with the plugin's `stderr`) under `key`, in the background. Nothing in
    /// read-only mode or after an upload failed.
    pub fn put(
        self: &Arc<Self>,
        key: [u8; 32],
        file: &'static str,
        blob: Vec<u8>,
        stderr: Vec<u8>,
    ) {
        if self.settings.read_only || self.writes_off.load(Ordering::Relaxed) {
            return;
        }
        let mut uploads = self.lock_uploads();
        uploads.queue.push_back(Upload {
            key,
            file,
            blob,
            stderr,
        });
        uploads.pending += 1;
        if uploads.threads < UPLOAD_THREADS {
            uploads.threads += 1;
            let me = Arc::clone(self);
            std::thread::spawn(move || me.upload_worker());
        }
    }

    fn upload_worker(&self) {
        loop {
            let upload = {
                let mut uploads = self.lock_uploads();
                match uploads.queue.pop_front() {
                    Some(upload) => upload,
                    None => {
                        uploads.threads -= 1;
                        return;
                    }
                }
            };
            if !self.writes_off.load(Ordering::Relaxed) {
                if let Err(why) = self.store(&upload) {
                    self.writes_off.store(true, Ordering::Relaxed);
                    self.warn_once(&why);
                }
            }
            self.lock_uploads().pending -= 1;
            self.uploaded.notify_all();
        }
    }

    /// The blob into the CAS first, then the entry: a reader never finds an entry whose blob has
    /// not been stored.
    fn store(&self, upload: &Upload) -> Result<(), String> {
        let hash = hex::encode(Sha256::digest(&upload.blob));
        let entry = action_result(upload.file, &hash, &upload.blob, &upload.stderr);
        self.send_put(&format!("cas/{hash}"), &upload.blob)?;
        self.send_put(&format!("ac/{}", hex::encode(upload.key)), &entry)
    }

    fn send_put(&self, path: &str, body: &[u8]) -> Result<(), String> {
        let url = format!("{}/{path}", self.settings.base);
        let mut request = self
            .agent
            .put(&url)
            .header("Content-Type", "application/octet-stream");
        if let Some(auth) = &self.settings.authorization {
            request = request.header("Authorization", auth);
        }
        let response = request.send(body).map_err(|e| format!("PUT {url}: {e}"))?;
        match response.status().as_u16() {
            200..=299 => Ok(()),
            507 => Err(format!("PUT {url}: HTTP 507: the server's storage is full")),
            status => Err(format!("PUT {url}: HTTP {status}")),
        }
    }

    /// Waits for the uploads still queued or in flight, at most one timeout; warns about any left.
    pub fn finish(&self) {
        let deadline = Instant::now() + self.settings.timeout;
        let mut uploads = self.lock_uploads();
        while uploads.pending > 0 {
            let now = Instant::now();
            if now >= deadline {
                let left = uploads.pending;
                drop(uploads);
                self.warn_once(&format!(
                    "{left} upload(s) still unfinished after {:?}; leaving them",
                    self.settings.timeout
                ));
                return;
            }
            uploads = self
                .uploaded
                .wait_timeout(uploads, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    fn lock_uploads(&self) -> std::sync::MutexGuard<'_, Uploads> {
        self.uploads.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The run's one warning about the remote cache; later troubles are logged at debug level.
    fn warn_once(&self, why: &str) {
        if self.warned.swap(true, Ordering::Relaxed) {
            tracing::debug!("remote cache: {why}");
            return;
        }
        tracing::warn!(
            "remote cache {}: {why}; continuing with the local cache",
            self.settings.base
        );
    }
}

/// Why a request failed: the server (a reason to stop asking it) or one object (a miss).
enum Trouble {
    Server(String),
    Object(String),
}

/// A sha256 as the protocol names blobs: 64 lowercase hex digits.
fn is_sha256_hex(hash: &str) -> bool {
    hash.len() == 64 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The action-cache entry for a blob: one output file pointing at its digest, the stderr inline.
pub fn action_result(file: &str, hash: &str, blob: &[u8], stderr: &[u8]) -> Vec<u8> {
    ActionResult {
        output_files: vec![OutputFile {
            path: file.to_string(),
            digest: Some(Digest {
                hash: hash.to_string(),
                size_bytes: blob.len() as i64,
            }),
            ..OutputFile::default()
        }],
        exit_code: 0,
        stderr_raw: stderr.to_vec(),
        execution_metadata: Some(ExecutedActionMetadata {
            worker: concat!("protowasm ", env!("CARGO_PKG_VERSION")).to_string(),
            ..ExecutedActionMetadata::default()
        }),
        ..ActionResult::default()
    }
    .encode_to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_names_its_blob_by_digest_and_carries_the_stderr() {
        let blob = b"response bytes";
        let hash = hex::encode(Sha256::digest(blob));
        let entry = ActionResult::decode(&action_result(RESPONSE_FILE, &hash, blob, b"warn\n")[..])
            .unwrap();
        assert_eq!(entry.output_files.len(), 1);
        let file = &entry.output_files[0];
        assert_eq!(file.path, "response.pb");
        assert_eq!(file.digest.as_ref().unwrap().hash, hash);
        assert_eq!(file.digest.as_ref().unwrap().size_bytes, blob.len() as i64);
        assert_eq!(entry.stderr_raw, b"warn\n");
        assert_eq!(entry.exit_code, 0);
    }

    #[test]
    fn digest_hashes_are_lowercase_sha256_hex() {
        let h = "ab".repeat(32);
        assert!(is_sha256_hex(&h));
        assert!(!is_sha256_hex(&h.to_uppercase()));
        assert!(!is_sha256_hex(&h[2..]));
        assert!(!is_sha256_hex(&"zz".repeat(32)));
    }
}
