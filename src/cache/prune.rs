//! Keeping the cache bounded. Each entry's last use is the modification time of its checksum
//! sidecar (`.sum`), which a hit touches (at most once a minute, so that a no-op re-run writes
//! nothing); pruning removes the entries least recently used until the rest fit.
//!
//! Pruning is safe while other processes use the cache. An entry goes before its sidecar, so a
//! reader finds a whole entry, or no entry (a miss), never an entry checked against the wrong
//! sum; a compiled module already mapped by a reader stays mapped after it is unlinked. A writer
//! renaming a fresh entry in while it is pruned loses it: a later miss, not an error.
//!
//! `$PROTOWASM_CACHE_MAX` bounds the cache (default 4 GiB; `off` turns the bound off). After a
//! run, protowasm checks the bound if the last check is more than ten minutes old, and when the
//! cache is over it prunes to 80% of it, so that the next runs do not prune again at once.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::store;

pub const DEFAULT_MAX: u64 = 4 << 30;
const CHECK_EVERY: Duration = Duration::from_secs(600);
/// A hit refreshes the last use only if it is older than this.
pub const TOUCH_AFTER: Duration = Duration::from_secs(60);

/// One entry of either cache.
#[derive(Debug, Clone)]
pub struct Entry {
    pub path: PathBuf,
    /// The entry and its sidecar.
    pub size: u64,
    pub last_used: SystemTime,
}

/// What a prune removed and kept.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pruned {
    pub removed: usize,
    pub removed_bytes: u64,
    pub kept: usize,
    pub kept_bytes: u64,
}

/// What to prune: down to `max` bytes, and everything unused for `older_than`.
#[derive(Debug, Default, Clone, Copy)]
pub struct Bounds {
    pub max: Option<u64>,
    pub older_than: Option<Duration>,
}

/// Every module, response and compiled-run entry under `root`, least recently used first.
pub fn entries(root: &Path) -> std::io::Result<Vec<Entry>> {
    let mut out = Vec::new();
    let mut collect = |dir: &Path, ext: &str| -> std::io::Result<()> {
        for path in store::paths_in(dir)? {
            if path.extension().is_some_and(|e| e == ext) {
                // Gone meanwhile (another prune, a clean): not an entry any more.
                let Ok(meta) = std::fs::symlink_metadata(&path) else {
                    continue;
                };
                let sum = std::fs::symlink_metadata(store::sum_path(&path)).map_or(0, |m| m.len());
                out.push(Entry {
                    size: meta.len() + sum,
                    last_used: store::last_used(&path),
                    path,
                });
            }
        }
        Ok(())
    };
    collect(&root.join("modules"), "cwasm")?;
    for kind in [super::responses::RESPONSES, super::responses::COMPILED] {
        for shard in store::paths_in(&root.join(kind.dir))? {
            if shard.is_dir() {
                collect(&shard, kind.ext)?;
            }
        }
    }
    out.sort_by(|a, b| a.last_used.cmp(&b.last_used).then(a.path.cmp(&b.path)));
    Ok(out)
}

/// Removes the least recently used entries under `root` until the rest fit `bounds`.
pub fn prune(root: &Path, bounds: Bounds, now: SystemTime) -> std::io::Result<Pruned> {
    prune_entries(entries(root)?, bounds, now)
}

/// As [`prune`], on `entries` as [`entries`] listed them.
fn prune_entries(entries: Vec<Entry>, bounds: Bounds, now: SystemTime) -> std::io::Result<Pruned> {
    let mut total: u64 = entries.iter().map(|e| e.size).sum();
    let mut pruned = Pruned::default();
    for entry in entries {
        let too_old = bounds.older_than.is_some_and(|age| {
            now.duration_since(entry.last_used)
                .is_ok_and(|unused| unused > age)
        });
        let too_big = bounds.max.is_some_and(|max| total > max);
        if too_old || too_big {
            remove(&entry.path)?;
            total -= entry.size;
            pruned.removed += 1;
            pruned.removed_bytes += entry.size;
        } else {
            pruned.kept += 1;
            pruned.kept_bytes += entry.size;
        }
    }
    Ok(pruned)
}

/// The entry, then its sidecar; either already gone is fine.
fn remove(path: &Path) -> std::io::Result<()> {
    for p in [path.to_path_buf(), store::sum_path(path)] {
        match std::fs::remove_file(&p) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    Ok(())
}

/// `$PROTOWASM_CACHE_MAX`: a size, `off`, or unset for the default.
pub fn max_from_env() -> Result<Option<u64>, String> {
    match std::env::var("PROTOWASM_CACHE_MAX") {
        Err(_) => Ok(Some(DEFAULT_MAX)),
        Ok(v) if v.trim().is_empty() => Ok(Some(DEFAULT_MAX)),
        Ok(v) if v.trim() == "off" => Ok(None),
        Ok(v) => crate::plugins::parse_size("PROTOWASM_CACHE_MAX", &v).map(Some),
    }
}

/// After a run: if the last check is old enough, prune the cache to 80% of its bound when it is
/// over it. Never an error: a bad setting or a failed prune is logged.
pub fn after_run(root: &Path) {
    let max = match max_from_env() {
        Ok(Some(max)) => max,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!("{e}; the cache is not pruned");
            return;
        }
    };
    let stamp = root.join(".last-prune");
    let now = SystemTime::now();
    let recent = std::fs::metadata(&stamp)
        .and_then(|m| m.modified())
        .is_ok_and(|t| now.duration_since(t).is_ok_and(|age| age < CHECK_EVERY));
    if recent || !root.exists() {
        return;
    }
    if let Err(e) = std::fs::write(&stamp, b"") {
        tracing::debug!("cache: could not write {}: {e}", stamp.display());
    }
    let result = entries(root).and_then(|entries| {
        let total: u64 = entries.iter().map(|e| e.size).sum();
        if total <= max {
            return Ok(None);
        }
        let bounds = Bounds {
            max: Some(max / 10 * 8),
            older_than: None,
        };
        prune_entries(entries, bounds, now).map(Some)
    });
    match result {
        Ok(Some(p)) => tracing::info!(
            "cache over {}: removed {} least recently used entries ({})",
            crate::plugins::format_size(max),
            p.removed,
            crate::plugins::format_size(p.removed_bytes)
        ),
        Ok(None) => {}
        Err(e) => tracing::warn!("cache at {}: pruning failed: {e}", root.display()),
    }
}

/// Refreshes an entry's last use on a hit, if it is older than [`TOUCH_AFTER`].
pub fn touch(entry: &Path) {
    let sum = store::sum_path(entry);
    let Ok(file) = std::fs::File::open(&sum) else {
        return;
    };
    let now = SystemTime::now();
    let stale = file
        .metadata()
        .and_then(|m| m.modified())
        .map_or(true, |t| {
            now.duration_since(t).is_ok_and(|age| age > TOUCH_AFTER)
        });
    if stale {
        // A read-only cache (a shared, pre-filled directory) is still a cache: ignore failure.
        let _ = file.set_modified(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An entry of `size` bytes last used `age` before `now`.
    fn plant(path: &Path, size: usize, age: Duration, now: SystemTime) {
        store::write_atomic(path, &vec![7u8; size]).unwrap();
        let sum = std::fs::File::options()
            .write(true)
            .open(store::sum_path(path))
            .unwrap();
        sum.set_modified(now - age).unwrap();
    }

    fn names(root: &Path) -> Vec<String> {
        entries(root)
            .unwrap()
            .iter()
            .map(|e| e.path.file_name().unwrap().to_string_lossy().into_owned())
            .collect()
    }

    fn layout(root: &Path, now: SystemTime) {
        let hour = Duration::from_secs(3600);
        plant(&root.join("modules/a.cwasm"), 1000, 5 * hour, now);
        plant(&root.join("modules/b.cwasm"), 1000, hour, now);
        plant(&root.join("responses/ab/c.resp"), 100, 3 * hour, now);
        plant(&root.join("responses/cd/d.resp"), 100, Duration::ZERO, now);
    }

    #[test]
    fn entries_come_least_recently_used_first() {
        let dir = tempfile::tempdir().unwrap();
        let now = SystemTime::now();
        layout(dir.path(), now);
        assert_eq!(
            names(dir.path()),
            ["a.cwasm", "c.resp", "b.cwasm", "d.resp"]
        );
    }

    #[test]
    fn pruning_to_a_size_removes_the_least_recently_used() {
        let dir = tempfile::tempdir().unwrap();
        let now = SystemTime::now();
        layout(dir.path(), now);
        let total: u64 = entries(dir.path()).unwrap().iter().map(|e| e.size).sum();
        // Room for b and d: a and c, used longer ago, go.
        let keep = total
            - entries(dir.path()).unwrap()[..2]
                .iter()
                .map(|e| e.size)
                .sum::<u64>();
        let bounds = Bounds {
            max: Some(keep),
            older_than: None,
        };
        let pruned = prune(dir.path(), bounds, now).unwrap();
        assert_eq!(
            (pruned.removed, pruned.kept, pruned.kept_bytes),
            (2, 2, keep)
        );
        assert_eq!(names(dir.path()), ["b.cwasm", "d.resp"]);
        assert!(
            !dir.path().join("modules/a.sum").exists(),
            "the sidecar goes too"
        );
    }

    #[test]
    fn pruning_by_age_and_to_zero() {
        let dir = tempfile::tempdir().unwrap();
        let now = SystemTime::now();
        layout(dir.path(), now);
        let bounds = Bounds {
            max: None,
            older_than: Some(Duration::from_secs(2 * 3600)),
        };
        assert_eq!(prune(dir.path(), bounds, now).unwrap().removed, 2);
        assert_eq!(names(dir.path()), ["b.cwasm", "d.resp"]);
        let bounds = Bounds {
            max: Some(0),
            older_than: None,
        };
        assert_eq!(prune(dir.path(), bounds, now).unwrap().kept, 0);
        assert!(names(dir.path()).is_empty());
    }

    #[test]
    fn a_hit_refreshes_a_stale_last_use_only() {
        let dir = tempfile::tempdir().unwrap();
        let now = SystemTime::now();
        let entry = dir.path().join("modules/a.cwasm");
        plant(&entry, 10, Duration::from_secs(3600), now);
        touch(&entry);
        let used = entries(dir.path()).unwrap()[0].last_used;
        assert!(now.duration_since(used).unwrap_or_default() < TOUCH_AFTER);
        // Fresh: left alone, so that a no-op re-run writes nothing.
        let just_now = now - Duration::from_secs(5);
        std::fs::File::options()
            .write(true)
            .open(store::sum_path(&entry))
            .unwrap()
            .set_modified(just_now)
            .unwrap();
        touch(&entry);
        assert_eq!(entries(dir.path()).unwrap()[0].last_used, just_now);
    }
}
