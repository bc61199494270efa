//! Writing finished locations to disk, all or nothing: directories file by file and zip/jar/srcjar
//! archives whole, each file through a temporary file renamed into place.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::error::OutputError;
use super::tree::{check_name_with, OutputTree};
use super::zip::zip_bytes;

/// What a write did, as paths the way protoc builds them (location + name, or the archive).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WriteSummary {
    /// Files created or replaced.
    pub written: Vec<String>,
    /// Files whose content on disk was already identical and were left alone (mtime kept).
    pub unchanged: Vec<String>,
}

/// Writes every location of `tree`. Refuses to write anything if any location has an error,
/// because protoc's run fails as a whole then. Every location is checked, then every changed
/// file of every location staged, and only then is anything renamed into place.
pub fn write_tree(tree: &OutputTree) -> Result<WriteSummary, OutputError> {
    if let Some((location, _)) = tree.locations().find(|(_, l)| !l.errors().is_empty()) {
        return Err(OutputError::LocationHasErrors {
            location: location.to_string(),
        });
    }
    for (location, loc) in tree.locations() {
        check_location(location, loc.files(), tree.allows_escape())?;
    }
    let mut batch = Batch::default();
    for (location, loc) in tree.locations() {
        batch.stage_location(location, loc.files())?;
    }
    batch.commit()
}

/// Writes one location given as a normalised key (see `normalize_location`): one ending in '/'
/// is a directory that must already exist; anything else is an archive file (`.jar` gets a
/// manifest), as protoc decides. Relative locations are relative to the current directory.
pub fn write_location(
    location: &str,
    files: &BTreeMap<String, Vec<u8>>,
) -> Result<WriteSummary, OutputError> {
    check_location(location, files, false)?;
    let mut batch = Batch::default();
    batch.stage_location(location, files)?;
    batch.commit()
}

/// Everything that can be known wrong before touching the disk, so a bad location stops the
/// run before another location has created so much as a directory.
fn check_location(
    location: &str,
    files: &BTreeMap<String, Vec<u8>>,
    allow_parent: bool,
) -> Result<(), OutputError> {
    if location.is_empty() {
        // protoc takes "" for an archive, open("")s it and prints ENOENT after an empty path.
        return Err(OutputError::Io {
            path: String::new(),
            message: "No such file or directory".to_string(),
        });
    }
    if !location.ends_with('/') {
        return Ok(());
    }
    match fs::metadata(location) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(OutputError::Io {
                path: location.to_string(),
                message: "Not a directory".to_string(),
            })
        }
        Err(e) => return Err(OutputError::io(location, &e)),
    }
    // The tree already refuses these; checked again because this is public and must never
    // write outside the location whatever map it is handed.
    for name in files.keys() {
        if let Err(reason) = check_name_with(name, allow_parent) {
            return Err(OutputError::UnsafeFileName {
                plugin: "protowasm".to_string(),
                name: name.clone(),
                reason,
            });
        }
    }
    check_file_directory_conflicts(files)
}

/// A file staged next to its target, not yet renamed over it.
struct Staged {
    temp: PathBuf,
    target: PathBuf,
    shown: String,
}

/// Files staged so far. Dropping it removes every temporary not yet renamed, so a failure at
/// any point leaves no litter behind.
#[derive(Default)]
struct Batch {
    staged: Vec<Staged>,
    unchanged: Vec<String>,
    /// Directories already cleared of temporaries that dead runs left behind.
    swept: std::collections::HashSet<PathBuf>,
}

impl Drop for Batch {
    fn drop(&mut self) {
        for s in &self.staged {
            let _ = fs::remove_file(&s.temp);
        }
    }
}

impl Batch {
    /// Phase 1: stage every changed file of a checked location. Until phase 2 a full disk or
    /// an unwritable directory leaves every existing file as it was (directories created for
    /// new files aside).
    fn stage_location(
        &mut self,
        location: &str,
        files: &BTreeMap<String, Vec<u8>>,
    ) -> Result<(), OutputError> {
        if !location.ends_with('/') {
            let bytes = zip_bytes(files, location.ends_with(".jar"))?;
            return self.stage_file(Path::new(location), location.to_string(), &bytes);
        }
        for (name, data) in files {
            let shown = format!("{location}{name}");
            let target = Path::new(location).join(name);
            if let Some(parent) = target.parent() {
                fs::create_dir_all(parent).map_err(|e| OutputError::io(&shown, &e))?;
            }
            self.stage_file(&target, shown, data)?;
        }
        Ok(())
    }

    fn stage_file(&mut self, target: &Path, shown: String, data: &[u8]) -> Result<(), OutputError> {
        let target = resolve_symlink(target).map_err(|e| OutputError::io(&shown, &e))?;
        if unchanged(&target, data).map_err(|e| OutputError::io(&shown, &e))? {
            self.unchanged.push(shown);
            return Ok(());
        }
        let dir = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if self.swept.insert(dir.to_path_buf()) {
            sweep_stale_temps(dir);
        }
        let temp = stage(&target, data).map_err(|e| OutputError::io(&shown, &e))?;
        self.staged.push(Staged {
            temp,
            target,
            shown,
        });
        Ok(())
    }

    /// Phase 2: rename staged files over their targets in order. A rename fails only for
    /// reasons that appeared after staging succeeded in the same directory (rare); files
    /// renamed before that stay written.
    fn commit(mut self) -> Result<WriteSummary, OutputError> {
        let mut summary = WriteSummary {
            written: Vec::new(),
            unchanged: std::mem::take(&mut self.unchanged),
        };
        let mut rest = std::mem::take(&mut self.staged).into_iter();
        while let Some(s) = rest.next() {
            if let Err(e) = fs::rename(&s.temp, &s.target) {
                let err = OutputError::io(&s.shown, &e);
                self.staged.push(s);
                self.staged.extend(rest);
                return Err(err);
            }
            summary.written.push(s.shown);
        }
        Ok(summary)
    }
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
        return Err(io::Error::other("Is a directory"));
    }
    if meta.len() != data.len() as u64 {
        return Ok(false);
    }
    Ok(fs::read(target)? == data)
}

/// Writes one whole file (`-o`, `--dependency_out`): through a temporary file and a rename, so
/// a failure leaves the old file whole, with the old file's permissions if it existed. A
/// target that exists but is not a regular file (`-o /dev/null`, a FIFO) is written in place,
/// as protoc writes it: renaming over it would replace the device with a file.
pub fn write_whole_file(target: &Path, data: &[u8]) -> io::Result<()> {
    if let Ok(meta) = fs::metadata(target) {
        if !meta.is_file() && !meta.is_dir() {
            let mut file = OpenOptions::new().write(true).truncate(true).open(target)?;
            return file.write_all(data);
        }
    }
    let temp = stage(target, data)?;
    fs::rename(&temp, target).inspect_err(|_| {
        let _ = fs::remove_file(&temp);
    })
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

/// Removes `.protowasm-PID-N.tmp` files whose process is gone: what a run killed between staging
/// and renaming (kill -9, a crash, power loss) leaves behind. The targets themselves were never
/// touched, since they are only ever replaced by a rename. Best effort: errors are ignored.
fn sweep_stale_temps(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(temp_owner) else {
            continue;
        };
        if pid != std::process::id() && !process_alive(pid) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// The pid in a temporary's name `.protowasm-PID-N.tmp`, if it is one.
fn temp_owner(name: &str) -> Option<u32> {
    let rest = name.strip_prefix(".protowasm-")?.strip_suffix(".tmp")?;
    let (pid, n) = rest.split_once('-')?;
    n.parse::<u64>().ok()?;
    pid.parse().ok()
}

fn process_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: kill with signal 0 only checks whether the process exists; it sends nothing.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
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
