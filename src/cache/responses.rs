//! The output cache: plugin results stored by a key the caller derives, so that a re-run with
//! unchanged inputs does not run the plugin at all. It stores opaque bytes; what goes into the key
//! (and why that is enough) is the plugin layer's business.
//!
//! An entry is `responses/<first two hex digits>/<key>.resp` with a `.sum` sidecar, written and
//! verified exactly as module entries are ([`super::store`]): atomic renames, a length and CRC-32
//! checked on every read. A missing, truncated or corrupt entry is a miss, logged when damaged;
//! a directory that cannot be written only costs the speed-up.

use std::path::{Path, PathBuf};

use super::store;

/// The on-disk output cache. `None` directory means caching is off.
#[derive(Debug, Clone)]
pub struct ResponseCache {
    dir: Option<PathBuf>,
}

impl ResponseCache {
    /// The cache under `root` (the same root as the module cache).
    pub fn new(root: Option<&Path>) -> Self {
        ResponseCache {
            dir: root.map(|r| r.join("responses")),
        }
    }

    /// The file the entry for `key` is stored in.
    pub fn entry_path(&self, key: &[u8; 32]) -> Option<PathBuf> {
        let name = hex::encode(key);
        self.dir
            .as_ref()
            .map(|d| d.join(&name[..2]).join(format!("{name}.resp")))
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
                    "output cache entry {} is damaged ({reason}); running the plugin",
                    path.display()
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
                "could not store a plugin response in {}: {e}; continuing without caching it",
                path.display()
            );
        }
    }

    /// Removes the entry for `key` (after `--verify-cache` found it wrong).
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
