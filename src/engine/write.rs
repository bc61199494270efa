//! The write stage, reached only when every plugin succeeded: the generated files written (or,
//! in check mode, compared with the disk), then protoc's other outputs in protoc's order: the
//! dependency file, then the descriptor set; last, `--fatal_warnings`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::{load, timing, Failure, Prepared, Report};
use crate::model::{FilesMode, Run};
use crate::output::{self, OutputTree};

/// Writes (or checks) everything the run produces.
pub fn outputs(
    run: &Run,
    tree: &OutputTree,
    prepared: &Prepared,
    report: &mut Report,
) -> Result<(), Failure> {
    if let Some(text) = &prepared.free_field_numbers {
        // protoc prints nothing when --fatal_warnings fails the run.
        if run.output.fatal_warnings && prepared.found_warnings {
            return Err(Failure { lines: Vec::new() });
        }
        print!("{text}");
        return Ok(());
    }
    let (create_dirs, clean, manifests) = match &run.output.files {
        FilesMode::Check => return check(tree),
        FilesMode::Write {
            create_dirs,
            clean,
            manifests,
        } => (*create_dirs, clean, *manifests),
    };
    let started = Instant::now();
    if create_dirs {
        create_out_dirs(run)?;
    }
    for dir in clean {
        clean_dir(dir).map_err(|e| Failure::one(format!("clean {}: {e}", dir.display())))?;
    }
    let summary = output::write_tree(tree).map_err(|e| Failure::one(e.to_string()))?;
    if manifests {
        update_manifests(tree)?;
    }
    report.files_written = summary.written.len();
    report.files_unchanged = summary.unchanged.len();
    report
        .timings
        .push(timing("write outputs", started.elapsed()));

    if let (Some(path), Some(disk)) = (&run.output.dependency_file, &prepared.dependencies) {
        let mut outputs: Vec<String> = Vec::new();
        for (location, files) in tree.locations() {
            for name in files.files().keys() {
                let full = format!("{location}{name}");
                outputs.push(full.strip_prefix("./").map(str::to_string).unwrap_or(full));
            }
        }
        if let Some(o) = &run.output.descriptor_set {
            outputs.push(o.path.display().to_string());
        }
        if let Some(o) = &run.output.edition_defaults {
            outputs.push(o.path.display().to_string());
        }
        write_file(path, load::dependency_rule(&outputs, disk).as_bytes())?;
    }
    if let (Some(out), Some(set)) = (&run.output.descriptor_set, &prepared.descriptor_set) {
        write_file(&out.path, set)?;
    }
    if let (Some(out), Some(defaults)) = (&run.output.edition_defaults, &prepared.edition_defaults)
    {
        write_edition_defaults(out, defaults)?;
    }
    // As protoc does: the outputs are written, then warnings fail the run.
    if run.output.fatal_warnings && prepared.found_warnings {
        return Err(Failure { lines: Vec::new() });
    }
    Ok(())
}

/// Golden-file mode: prints how the tree differs from the disk, writes nothing.
fn check(tree: &OutputTree) -> Result<(), Failure> {
    let check = output::check_tree(tree);
    print!("{}", check.text);
    if check.differs {
        return Err(Failure::one(
            "protowasm generate --check: the generated files differ from the disk",
        ));
    }
    Ok(())
}

/// Creates each plugin's output directory (an archive location is a file, not a directory).
fn create_out_dirs(run: &Run) -> Result<(), Failure> {
    for plugin in &run.plugins {
        if output::is_archive(&plugin.out) {
            continue;
        }
        let dir = PathBuf::from(plugin.out.strip_suffix('/').unwrap_or(&plugin.out));
        std::fs::create_dir_all(&dir)
            .map_err(|e| Failure::one(format!("{}: {e}", dir.display())))?;
    }
    Ok(())
}

/// Writes one whole file (`-o`, `--dependency_out`; see [`output::write_whole_file`]); errors
/// name the file as protoc does (`F: reason`).
/// `--edition_defaults_out`: the compiled defaults, or protoc's message naming the file.
pub fn write_edition_defaults(
    out: &crate::model::EditionDefaultsOut,
    defaults: &Result<Vec<u8>, String>,
) -> Result<(), Failure> {
    match defaults {
        Ok(bytes) => write_file(&out.path, bytes),
        Err(message) => Err(Failure::one(format!("{}: {message}", out.path.display()))),
    }
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    output::write_whole_file(path, bytes)
        .map_err(|e| Failure::one(format!("{}: {}", path.display(), io_reason(&e))))
}

/// After the directories are written: removes what the last run generated there and this one
/// did not, and records what this one did.
fn update_manifests(tree: &OutputTree) -> Result<(), Failure> {
    for (location, loc) in tree.locations() {
        if output::is_archive(location) {
            continue;
        }
        let dir = Path::new(location);
        let keep: BTreeSet<&String> = loc.files().keys().collect();
        let fail = |e: std::io::Error| Failure::one(format!("{}: {e}", dir.display()));
        output::remove_stale(dir, &keep).map_err(fail)?;
        output::write_manifest(dir, &keep.into_iter().collect::<Vec<_>>()).map_err(fail)?;
    }
    Ok(())
}

/// Empties directory `dir` (buf's `clean`), keeping the directory itself; a missing one is
/// fine.
fn clean_dir(dir: &Path) -> std::io::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let path = entry?.path();
        if path.is_dir() && !path.is_symlink() {
            std::fs::remove_dir_all(&path)?;
        } else {
            std::fs::remove_file(&path)?;
        }
    }
    Ok(())
}

/// The text `perror` prints for an I/O error.
fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "No such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "Permission denied".into(),
        _ => e.to_string(),
    }
}
