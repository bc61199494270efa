//! The engine: a [`Run`] taken through its stages, each a function with typed input and output.
//!
//! ```text
//! load       model::Input                 -> Loaded     compile .proto files, or take descriptor sets
//! transform  Loaded + [Transform]         -> Loaded     rewrite the files (buf's managed mode, type filters)
//! plan       Run + Loaded                 -> [Job]      each plugin made runnable; its files grouped into requests
//! run        [Job]                        -> [Ran]      every request at once (rayon), cached where allowed
//! apply      [Ran], in declared order     -> OutputTree protoc's rules: files, insertion points, feature checks
//! write      OutputTree + model::Output   -> Report     write or check; manifests, -o, --dependency_out
//! ```
//!
//! Nothing is written unless every plugin succeeded. The engine knows nothing of the command
//! lines: both front-ends (`cli`) build the [`Run`].

mod apply;
pub mod load;
mod plan;
mod run;
mod snapshot;
mod transform;
mod write;

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::cache::ModuleCache;
use crate::descriptor_set::FileSet;
use crate::model::Run;
use crate::plugins::CacheMode;

pub use load::{Compiled, Inputs};
pub use write::write_edition_defaults;

/// A failed command: the lines to print on stderr, exit status 1.
#[derive(Debug, thiserror::Error)]
#[error("{}", lines.join("\n"))]
pub struct Failure {
    pub lines: Vec<String>,
}

impl Failure {
    fn one(line: impl Into<String>) -> Self {
        Failure {
            lines: vec![line.into()],
        }
    }
}

/// The result of a successful run, for `--timings` and tests.
#[derive(Debug, Default)]
pub struct Report {
    pub files_written: usize,
    pub files_unchanged: usize,
    pub timings: Vec<String>,
}

/// What the load stage gives the later ones.
pub struct Loaded {
    /// The files plugins are sent (empty when no plugin runs).
    pub files: FileSet,
    /// The compiled pool, unless the files came from descriptor sets as they are.
    pub compiled: Option<Compiled>,
    /// The inputs' virtual names, in command-line order.
    pub inputs: Vec<String>,
}

/// Everything the stages after the transforms need of the compiled files, and nothing of the
/// compiler: what the compile cache stores ([`snapshot`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Prepared {
    /// The files plugins are sent (empty when no plugin runs).
    pub files: FileSet,
    /// The inputs' virtual names, in command-line order.
    pub inputs: Vec<String>,
    /// For each of the run's plugins, the `proto_file` entries of its files to generate that
    /// depart from `files` (see `plan::generate_entries`).
    pub entries: Vec<HashMap<String, Vec<u8>>>,
    /// The `-o` set, when asked for and the files were compiled.
    pub descriptor_set: Option<Vec<u8>>,
    /// For `--dependency_out`: the disk files the outputs depend on, when the files were
    /// compiled.
    pub dependencies: Option<Vec<String>>,
    /// Whether the compiler warned (`--fatal_warnings` then fails the run, after writing).
    pub found_warnings: bool,
    /// What `--print_free_field_numbers` prints, when asked for.
    pub free_field_numbers: Option<String>,
    /// `--edition_defaults_out`'s bytes, or protoc's message, when asked for.
    pub edition_defaults: Option<Result<Vec<u8>, String>>,
}

/// Runs `run`, compiled plugin modules cached in `cache`.
pub fn execute(run: &Run, cache: ModuleCache) -> Result<Report, Failure> {
    let total = Instant::now();
    let mut report = Report::default();

    let started = Instant::now();
    let (prepared, what) = prepare_stage(run, cache.dir())?;
    report.timings.push(timing(what, started.elapsed()));

    let started = Instant::now();
    let jobs = plan::jobs(run, &prepared)?;
    report
        .timings
        .push(timing("requests (plan)", started.elapsed()));

    let started = Instant::now();
    let ran = run::plugins(run, jobs, cache)?;
    report
        .timings
        .push(timing("plugins (parallel)", started.elapsed()));

    let started = Instant::now();
    let tree = apply::responses(run, &prepared.files, ran, &mut report)?;
    // What protoc prints and carries on from (an archive entry named with "..", a .pb.meta it
    // could not update).
    for w in tree.warnings() {
        eprintln!("{w}");
    }
    report
        .timings
        .push(timing("apply responses", started.elapsed()));
    write::outputs(run, &tree, &prepared, &mut report)?;
    report.timings.push(timing("total", total.elapsed()));
    Ok(report)
}

/// Load, transform and prepare, or all three from the compile cache under `root`. Messages come
/// out as protoc prints them, before any error: the front-end's warnings, the source tree's,
/// then the compiler's (replayed on a hit).
fn prepare_stage(run: &Run, root: Option<&Path>) -> Result<(Prepared, &'static str), Failure> {
    for w in &run.warnings {
        eprintln!("{w}");
    }
    let (tree, missing_dirs) = match load::source_tree(&run.input) {
        Some((tree, missing)) => (Some(tree), missing),
        None => (None, Vec::new()),
    };
    for w in &missing_dirs {
        eprintln!("{w}");
    }
    let cached = match (&tree, root) {
        (Some(tree), Some(root)) => snapshot::Snapshot::for_run(run, root, tree),
        _ => None,
    };
    // A hit is used as it is (moved, not copied); under --verify-cache it is kept to compare.
    let stored = match (cached.as_ref().and_then(|c| c.lookup()), run.compile_cache) {
        (Some(hit), CacheMode::On) => {
            for w in &hit.warnings {
                eprintln!("{w}");
            }
            return Ok((hit.prepared, "compile (compile cache hit)"));
        }
        (stored, _) => stored,
    };

    let reads = cached.as_ref().map(|_| load::Reads::default());
    let mut warnings = Vec::new();
    let inputs = load::load(
        &run.input,
        tree.clone(),
        run.output.descriptor_set.is_some(),
        &mut warnings,
        reads.as_ref(),
    );
    for w in &warnings {
        eprintln!("{w}");
    }
    let loaded = match inputs.map_err(|lines| Failure { lines })? {
        Inputs::DescriptorSets(files) => Loaded {
            files,
            compiled: None,
            inputs: run.input.files.clone(),
        },
        Inputs::Compiled(c) => Loaded {
            // Building the request files costs time on a large set: only when a plugin runs.
            files: if run.plugins.is_empty() {
                FileSet::default()
            } else {
                c.request_files()
            },
            inputs: c.inputs.clone(),
            compiled: Some(c),
        },
    };
    let what = match loaded.compiled {
        Some(_) => "compile .proto files",
        None => "load descriptor sets",
    };
    let loaded = transform::apply(&run.transforms, loaded)?;
    let prepared = prepare(run, loaded, root);
    if let (Some(cached), Some(reads)) = (cached, reads) {
        let entry = snapshot::Entry { prepared, warnings };
        if let Some(stored) = stored {
            if stored != entry {
                cached.remove();
                return Err(Failure::one(format!(
                    "protowasm: --verify-cache: the compile cache entry {} differs from a fresh compile; it was removed",
                    cached.key_hex()
                )));
            }
        } else {
            cached.store(&entry, reads);
        }
        return Ok((entry.prepared, what));
    }
    Ok((prepared, what))
}

/// What the later stages need of `loaded`, the compiler's products made once.
fn prepare(run: &Run, loaded: Loaded, root: Option<&Path>) -> Prepared {
    let compiled = loaded.compiled.as_ref();
    Prepared {
        entries: run
            .plugins
            .iter()
            .map(|plugin| plan::generate_entries(compiled, &loaded.files, &loaded.inputs, plugin))
            .collect(),
        descriptor_set: match (&run.output.descriptor_set, compiled) {
            (Some(out), Some(c)) => Some(c.descriptor_set(out)),
            _ => None,
        },
        dependencies: match (&run.output.dependency_file, compiled) {
            (Some(_), Some(c)) => {
                let include =
                    root.map(|r| r.join("include").join(crate::cli::protoc::PROTOC_VERSION));
                Some(c.dependency_files(include.as_deref()))
            }
            _ => None,
        },
        found_warnings: compiled.is_some_and(|c| c.found_warnings),
        edition_defaults: match (&run.output.edition_defaults, compiled) {
            (Some(out), Some(c)) => Some(crate::compiler::edition_defaults::compile(
                &c.pool,
                out.minimum,
                out.maximum,
            )),
            _ => None,
        },
        free_field_numbers: match compiled {
            Some(c) if run.output.print_free_field_numbers => Some(c.free_field_numbers()),
            _ => None,
        },
        files: loaded.files,
        inputs: loaded.inputs,
    }
}

fn timing(what: &str, took: Duration) -> String {
    format!("{what}: {:.1} ms", took.as_secs_f64() * 1000.0)
}
