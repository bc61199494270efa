//! Files of the cache: atomic writes, checksummed reads, listing.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

/// `$PROTOWASM_CACHE_DIR` if set and non-empty, else `<platform cache dir>/protowasm`
/// (`~/.cache/protowasm` on Linux).
pub fn default_dir() -> Option<PathBuf> {
    match std::env::var_os("PROTOWASM_CACHE_DIR") {
        Some(dir) if !dir.is_empty() => Some(PathBuf::from(dir)),
        _ => dirs::cache_dir().map(|d| d.join("protowasm")),
    }
}

pub fn sum_path(path: &Path) -> PathBuf {
    path.with_extension("sum")
}

fn checksum_line(bytes: &[u8]) -> String {
    format!("{} {:08x}\n", bytes.len(), crc32fast::hash(bytes))
}

/// Writes `bytes` to `path` so that no reader ever sees a partial file: a temporary file created
/// with `create_new` in the same directory, then a rename. The checksum sidecar follows the same way.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    replace_file(path, bytes)?;
    replace_file(&sum_path(path), checksum_line(bytes).as_bytes())
}

/// Writes a file through a uniquely named temporary and renames it over `path`.
pub fn replace_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("entry");
    let tmp = path.with_file_name(format!(".{file_name}.{}.{n}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        file.write_all(bytes)?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// `Ok(Some(()))` if the entry exists and matches its checksum, `Ok(None)` if it does not exist,
/// `Err(reason)` if it exists but is damaged.
/// The file is mapped, not read: a compiled Go plugin is ~27 MB, and copying it would cost more
/// than checking it.
pub fn read_verified(path: &Path) -> Result<Option<()>, String> {
    let Some(sum) = read_sum(path)? else {
        return Ok(None);
    };
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("opening it: {e}")),
    };
    // SAFETY: the map is only read, here, to checksum it; a concurrent writer cannot change the
    // file under us, since entries are replaced by rename and never written in place.
    let bytes = match file.metadata().map(|m| m.len()) {
        Ok(0) => None,
        Ok(_) => {
            Some(unsafe { memmap2::Mmap::map(&file) }.map_err(|e| format!("mapping it: {e}"))?)
        }
        Err(e) => return Err(format!("reading it: {e}")),
    };
    check(bytes.as_deref().unwrap_or_default(), &sum).map(Some)
}

fn read_sum(path: &Path) -> Result<Option<String>, String> {
    match std::fs::read_to_string(sum_path(path)) {
        Ok(sum) => Ok(Some(sum)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("reading its checksum: {e}")),
    }
}

fn check(bytes: &[u8], sum: &str) -> Result<(), String> {
    let actual = checksum_line(bytes);
    if actual != sum {
        return Err(format!(
            "checksum mismatch: expected {}, found {}",
            sum.trim(),
            actual.trim()
        ));
    }
    Ok(())
}

/// The entry's bytes if it exists and matches its checksum, `Ok(None)` if it does not exist,
/// `Err(reason)` if it exists but is damaged.
pub fn read_checked(path: &Path) -> Result<Option<Vec<u8>>, String> {
    let Some(sum) = read_sum(path)? else {
        return Ok(None);
    };
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("reading it: {e}")),
    };
    check(&bytes, &sum)?;
    Ok(Some(bytes))
}

/// One compiled module in the cache.
#[derive(Debug, Clone)]
pub struct CacheEntry {
    pub path: PathBuf,
    /// sha256 of the wasm module, in hex.
    pub module_sha256: String,
    pub size: u64,
    pub modified: Option<SystemTime>,
    /// When a run last used it ([`last_used`]).
    pub last_used: SystemTime,
}

/// An entry's last use: its sidecar's modification time, which a hit refreshes. An entry
/// without a sidecar is unusable, and as old as can be.
pub fn last_used(entry: &Path) -> SystemTime {
    std::fs::symlink_metadata(sum_path(entry))
        .and_then(|m| m.modified())
        .unwrap_or(SystemTime::UNIX_EPOCH)
}

pub fn list(dir: &Path) -> std::io::Result<Vec<CacheEntry>> {
    let mut out = Vec::new();
    for path in paths_in(dir)? {
        if path.extension().is_none_or(|e| e != "cwasm") {
            continue;
        }
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let meta = std::fs::symlink_metadata(&path)?;
        out.push(CacheEntry {
            module_sha256: name.split('-').next().unwrap_or_default().to_string(),
            size: meta.len(),
            modified: meta.modified().ok(),
            last_used: last_used(&path),
            path,
        });
    }
    Ok(out)
}

/// The paths in `dir`, sorted; none if `dir` does not exist.
pub fn paths_in(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut paths = entries
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<Vec<_>>>()?;
    paths.sort();
    Ok(paths)
}

/// Removes every file in `dir` (a missing `dir` is empty); returns how many files and bytes.
pub fn remove_files_in(dir: &Path) -> std::io::Result<(usize, u64)> {
    let mut removed = (0, 0);
    for path in paths_in(dir)? {
        let len = std::fs::symlink_metadata(&path).map_or(0, |m| m.len());
        std::fs::remove_file(&path)?;
        removed.0 += 1;
        removed.1 += len;
    }
    Ok(removed)
}
