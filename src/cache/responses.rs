//! Keyed blob caches beside the module cache: the output cache (plugin results, so that a re-run
//! with unchanged inputs does not run the plugin at all) and the compile cache (what compiling a
//! run's `.proto` files gave, so that an unchanged re-run does not compile). Each stores opaque
//! bytes; what goes into the key (and why that is enough) is its caller's business.
//!
//! An entry is `<kind>/<first two hex digits>/<key>.<ext>` with a `.sum` sidecar, written and
//! verified exactly as module entries are ([`super::store`]): atomic renames, a length and CRC-32
//! checked on every read. A missing, truncated or corrupt entry is a miss, logged when damaged;
//! a directory that cannot be written only costs the speed-up.

use std::path::{Path, PathBuf};

use super::store;

/// One kind of keyed entry: its directory under the cache root and its file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    /// For log lines: "output cache entry".
    pub name: &'static str,
    pub dir: &'static str,
    pub ext: &'static str,
    /// What a miss on a damaged entry costs, for the log line.
    pub instead: &'static str,
}

/// Plugin responses.
pub const RESPONSES: Kind = Kind {
    name: "output cache entry",
    dir: "responses",
    ext: "resp",
    instead: "running the plugin",
};

/// Compiled runs (`engine::snapshot`).
pub const COMPILED: Kind = Kind {
    name: "compile cache entry",
    dir: "compiled",
    ext: "snap",
    instead: "compiling",
};

/// An on-disk blob cache. `None` directory means caching is off.
#[derive(Debug, Clone)]
pub struct BlobCache {
    dir: Option<PathBuf>,
    kind: Kind,
}

impl BlobCache {
    /// The output cache under `root` (the same root as the module cache).
    pub fn responses(root: Option<&Path>) -> Self {
        BlobCache::new(root, RESPONSES)
    }

    /// The compile cache under `root`.
    pub fn compiled(root: Option<&Path>) -> Self {
        BlobCache::new(root, COMPILED)
    }

    fn new(root: Option<&Path>, kind: Kind) -> Self {
        BlobCache {
            dir: root.map(|r| r.join(kind.dir)),
            kind,
        }
    }

    /// The file the entry for `key` is stored in.
    pub fn entry_path(&self, key: &[u8; 32]) -> Option<PathBuf> {
        let name = hex::encode(key);
        self.dir
            .as_ref()
            .map(|d| d.join(&name[..2]).join(format!("{name}.{}", self.kind.ext)))
    }

    /// The stored bytes for `key`, if there is a whole, undamaged entry.
    pub fn get(&self, key: &[u8; 32]) -> Option<Vec<u8>> {
        let path = self.entry_path(key)?;
        match store::read_checked(&path) {
            Ok(found) => {
                if found.is_some() {
                    super::prune::touch(&path);
                }
                found
            }
            Err(reason) => {
                tracing::warn!(
                    "{} {} is damaged ({reason}); {}",
                    self.kind.name,
                    path.display(),
                    self.kind.instead
                );
                None
            }
        }
    }

    /// Stores `bytes` under `key`. Failing to store is logged, never an error.
    pub fn put(&self, key: &[u8; 32], bytes: &[u8]) {
        let Some(path) = self.entry_path(key) else {
            return;
        };
        if let Err(e) = store::write_atomic(&path, bytes) {
            tracing::warn!(
                "could not store a cache entry in {}: {e}; continuing without caching it",
                path.display()
            );
        }
    }

    /// Removes the entry for `key` (after `--verify-cache` found it wrong, or it is stale).
    pub fn remove(&self, key: &[u8; 32]) {
        if let Some(path) = self.entry_path(key) {
            let _ = std::fs::remove_file(store::sum_path(&path));
            let _ = std::fs::remove_file(path);
        }
    }

    /// Removes every entry; returns how many files and bytes were removed.
    pub fn clean(&self) -> std::io::Result<(usize, u64)> {
        let mut removed = (0, 0);
        for shard in self.shards()? {
            let (files, bytes) = store::remove_files_in(&shard)?;
            removed = (removed.0 + files, removed.1 + bytes);
            let _ = std::fs::remove_dir(&shard);
        }
        Ok(removed)
    }

    /// The `xx/` directories entries are spread over.
    fn shards(&self) -> std::io::Result<Vec<PathBuf>> {
        self.dir.as_deref().map_or(Ok(Vec::new()), store::paths_in)
    }
}
