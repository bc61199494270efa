//! Golden-file mode and stale-file cleanup for directory outputs.
//!
//! - [`check_tree`] compares what a run would write with what is on disk, writing nothing: a
//!   unified diff for each file that differs, and the files missing from disk or extra on it.
//! - [`MANIFEST`] records, in each output directory, what the last `protowasm generate` wrote
//!   there, so the next run (and `protowasm clean`) can remove files no plugin generates any
//!   more, and the directories that leaves empty, and nothing else.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use similar::TextDiff;

use super::tree::{is_archive, OutputTree};

/// The manifest file in each output directory.
pub const MANIFEST: &str = ".protowasm-generated";

/// The outcome of a check: printable report lines and whether anything differs.
#[derive(Debug, Default)]
pub struct CheckReport {
    pub text: String,
    pub differs: bool,
}

/// Compares `tree` with the disk. Extra files are the ones in an output directory that this run
/// does not generate (the manifest itself excepted).
pub fn check_tree(tree: &OutputTree) -> CheckReport {
    let mut report = CheckReport::default();
    for (location, loc) in tree.locations() {
        if is_archive(location) {
            let same = std::fs::read(location)
                .ok()
                .zip(super::zip_bytes(loc.files(), location.ends_with(".jar")).ok())
                .is_some_and(|(disk, ours)| disk == ours);
            if !same {
                report.differs = true;
                report.text += &format!("differs: {location}\n");
            }
            continue;
        }
        let dir = Path::new(location);
        for (name, content) in loc.files() {
            let path = dir.join(name);
            let shown = path.display().to_string();
            match std::fs::read(&path) {
                Err(_) => {
                    report.differs = true;
                    report.text += &format!("missing: {shown}\n");
                }
                Ok(disk) if disk != *content => {
                    report.differs = true;
                    let old = String::from_utf8_lossy(&disk);
                    let new = String::from_utf8_lossy(content);
                    let diff = TextDiff::from_lines(&old, &new);
                    report.text += &diff
                        .unified_diff()
                        .header(&format!("a/{shown}"), &format!("b/{shown}"))
                        .to_string();
                }
                Ok(_) => {}
            }
        }
        let generated: BTreeSet<&String> = loc.files().keys().collect();
        for extra in files_under(dir) {
            if extra != MANIFEST && !generated.contains(&extra) {
                report.differs = true;
                report.text += &format!("extra: {}\n", dir.join(&extra).display());
            }
        }
    }
    report
}

/// Every file under `dir`, as '/'-separated relative names, sorted; none if it does not exist.
pub fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() && !path.is_symlink() {
            walk(root, &path, out);
        } else if let Ok(rel) = path.strip_prefix(root) {
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
}

/// The files the manifest in `dir` lists (none if there is none).
pub fn read_manifest(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join(MANIFEST))
        .map(|t| {
            t.lines()
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Writes the manifest of `dir`: the files generated there, one per line.
pub fn write_manifest(dir: &Path, files: &[&String]) -> std::io::Result<()> {
    let mut text = String::new();
    for f in files {
        text.push_str(f);
        text.push('\n');
    }
    super::write_whole_file(&dir.join(MANIFEST), text.as_bytes())
}

/// Removes from `dir` the files its manifest lists that are not in `keep`, and the directories
/// that leaves empty; only listed files are ever removed, and only names the output rules
/// accept (no absolute paths, no `..`). Returns what was removed.
pub fn remove_stale(dir: &Path, keep: &BTreeSet<&String>) -> std::io::Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    for name in read_manifest(dir) {
        if keep.contains(&name) || super::tree::check_name(&name).is_err() {
            continue;
        }
        let path = dir.join(&name);
        match std::fs::remove_file(&path) {
            Ok(()) => removed.push(path.clone()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        // Empty parents, up to (not including) `dir`.
        let mut parent = path.parent();
        while let Some(p) = parent {
            if p == dir || std::fs::remove_dir(p).is_err() {
                break;
            }
            parent = p.parent();
        }
    }
    Ok(removed)
}
