//! Writing finished locations to disk, all or nothing: directories file by file and zip/jar/srcjar
//! archives whole, each file through a temporary file renamed into place.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::error::OutputError;
use super::tree::{check_name, OutputTree};
use super::zip::zip_bytes;

/// What a write did, as paths the way protoc builds them (location + name, or the archive).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WriteSummary {
    /// Files created or replaced.
    pub written: Vec<String>,
    /// Files whose content on disk was already identical and were left alone (mtime kept).
    pub unchanged: Vec<String>,
}

impl WriteSummary {
    fn extend(&mut self, other: WriteSummary) {
        self.written.extend(other.written);
        self.unchanged.extend(other.unchanged);
    }
}

/// Writes every location of `tree`. Refuses to write anything if any location has an error,
/// because protoc's run fails as a whole then.
pub fn write_tree(tree: &OutputTree) -> Result<WriteSummary, OutputError> {
    if let Some((location, _)) = tree.locations().find(|(_, l)| !l.errors().is_empty()) {
        return Err(OutputError::LocationHasErrors {
            location: location.to_string(),
        });
    }
    let mut summary = WriteSummary::default();
    for (location, loc) in tree.locations() {
        summary.extend(write_location(location, loc.files())?);
    }
    Ok(summary)
}

/// Writes one location given as a normalised key (see `normalize_location`): one ending in '/'
/// is a directory that must already exist; anything else is an archive file (`.jar` gets a
/// manifest), as protoc decides. Relative locations are relative to the current directory.
pub fn write_location(
    location: &str,
    files: &BTreeMap<String, Vec<u8>>,
) -> Result<WriteSummary, OutputError> {
    if location.ends_with('/') {
        write_directory(location, files)
    } else {
        let bytes = zip_bytes(files, location.ends_with(".jar"))?;
        write_archive(location, &bytes)
    }
}

/// A file staged next to its target, not yet renamed over it.
struct Staged {
    temp: PathBuf,
    target: PathBuf,
    shown: String,
}

/// Removes staged temporaries unless disarmed, so a failure leaves no litter behind.
struct Cleanup(Vec<Staged>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        for s in &self.0 {
            let _ = fs::remove_file(&s.temp);
        }
    }
}

fn write_directory(
    prefix: &str,
    files: &BTreeMap<String, Vec<u8>>,
) -> Result<WriteSummary, OutputError> {
    match fs::metadata(prefix) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(OutputError::Io {
                path: prefix.to_string(),
                message: "Not a directory".to_string(),
            })
        }
        Err(e) => return Err(OutputError::io(prefix, &e)),
    }
    // The tree already refuses these; checked again because this function is public and must
    // never write outside `prefix` whatever map it is handed.
    for name in files.keys() {
        if let Err(reason) = check_name(name) {
            return Err(OutputError::UnsafeFileName {
                plugin: "protowasm".to_string(),
                name: name.clone(),
                reason,
            });
        }
    }
    check_file_directory_conflicts(files)?;

    // Phase 1 stages every changed file; only when all are staged does phase 2 rename them, so
    // a full disk or an unwritable directory leaves the previous files exactly as they were
    // (directories created for new files aside).
    let mut summary = WriteSummary::default();
    let mut staged = Cleanup(Vec::new());
    for (name, data) in files {
        let shown = format!("{prefix}{name}");
        let mut target = Path::new(prefix).join(name);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(|e| OutputError::io(&shown, &e))?;
        }
        target = resolve_symlink(&target).map_err(|e| OutputError::io(&shown, &e))?;
        if unchanged(&target, data).map_err(|e| OutputError::io(&shown, &e))? {
            summary.unchanged.push(shown);
            continue;
        }
        let temp = stage(&target, data).map_err(|e| OutputError::io(&shown, &e))?;
        staged.0.push(Staged {
            temp,
            target,
            shown,
        });
    }
    commit(staged, summary)
}

fn write_archive(path: &str, bytes: &[u8]) -> Result<WriteSummary, OutputError> {
    let mut summary = WriteSummary::default();
    if path.is_empty() {
        // protoc open("")s and reports ENOENT with an empty path; say the same.
        return Err(OutputError::io(path, &io::Error::from(io::ErrorKind::NotFound)));
    }
    let target = resolve_symlink(Path::new(path)).map_err(|e| OutputError::io(path, &e))?;
    if unchanged(&target, bytes).map_err(|e| OutputError::io(path, &e))? {
        summary.unchanged.push(path.to_string());
        return Ok(summary);
    }
    let temp = stage(&target, bytes).map_err(|e| OutputError::io(path, &e))?;
    let staged = Cleanup(vec![Staged {
        temp,
        target,
        shown: path.to_string(),
    }]);
    commit(staged, summary)
}

/// Phase 2: rename staged files over their targets in order. A rename can only fail here for
/// reasons that appeared after staging succeeded in the same directory (rare); files renamed
/// before it stay written.
fn commit(mut staged: Cleanup, mut summary: WriteSummary) -> Result<WriteSummary, OutputError> {
    let all = std::mem::take(&mut staged.0);
    let mut rest = all.into_iter();
    while let Some(s) = rest.next() {
        if let Err(e) = fs::rename(&s.temp, &s.target) {
            staged.0.push(s);
            staged.0.extend(rest);
            let shown = staged.0[0].shown.clone();
            return Err(OutputError::io(shown, &e));
        }
        summary.written.push(s.shown);
    }
    Ok(summary)
}

/// `a` and `a/b` cannot both be files; caught before anything is staged.
fn check_file_directory_conflicts(files: &BTreeMap<String, Vec<u8>>) -> Result<(), OutputError> {
    let mut dirs = BTreeSet::new();
    for name in files.keys() {
        let mut end = 0;
        while let Some(i) = name[end..].find('/') {
            end += i;
            dirs.insert(&name[..end]);
            end += 1;
        }
    }
    for name in files.keys() {
        if dirs.contains(name.as_str()) {
            let prefix = format!("{name}/");
            let other = files
                .keys()
                .find(|k| k.starts_with(&prefix))
                .cloned()
                .unwrap_or_default();
            return Err(OutputError::FileDirectoryConflict {
                name: name.clone(),
                other,
            });
        }
    }
    Ok(())
}

/// protoc opens the target with O_TRUNC, writing through a symlink; renaming onto the link
/// itself would replace it, so the rename goes to where the link points.
fn resolve_symlink(target: &Path) -> io::Result<PathBuf> {
    match fs::symlink_metadata(target) {
        Ok(m) if m.file_type().is_symlink() => match fs::canonicalize(target) {
            Ok(real) => Ok(real),
            // A dangling link: protoc would create the file it names; keep it simple and
            // replace the link.
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(target.to_path_buf()),
            Err(e) => Err(e),
        },
        _ => Ok(target.to_path_buf()),
    }
}

/// Whether `target` already holds exactly `data`. A directory in the way is an error now rather
/// than at rename time.
fn unchanged(target: &Path, data: &[u8]) -> io::Result<bool> {
    let meta = match fs::metadata(target) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    if meta.is_dir() {
        return Err(io::Error::new(io::ErrorKind::Other, "Is a directory"));
    }
    if meta.len() != data.len() as u64 {
        return Ok(false);
    }
    Ok(fs::read(target)? == data)
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `data` to a fresh temporary file beside `target` and returns its path. The file is
/// created with `create_new`, so it can never be someone else's file, and carries the target's
/// permissions when the target exists (protoc's O_TRUNC would keep them).
fn stage(target: &Path, data: &[u8]) -> io::Result<PathBuf> {
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let (temp, mut file) = create_temp(dir)?;
    let result = (|| {
        file.write_all(data)?;
        if let Ok(meta) = fs::metadata(target) {
            file.set_permissions(meta.permissions())?;
        }
        Ok(())
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&temp);
        return Err(e);
    }
    Ok(temp)
}

fn create_temp(dir: &Path) -> io::Result<(PathBuf, File)> {
    let pid = std::process::id();
    loop {
        // The name holds no part of the target's so it cannot exceed NAME_MAX.
        let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let temp = dir.join(format!(".protowasm-{pid}-{n}.tmp"));
        match OpenOptions::new().write(true).create_new(true).open(&temp) {
            Ok(f) => return Ok((temp, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
#[path = "write_tests.rs"]
mod tests;
