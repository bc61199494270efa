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
mod transform;
mod write;

use std::time::{Duration, Instant};

use crate::cache::ModuleCache;
use crate::descriptor_set::FileSet;
use crate::model::Run;

pub use load::{Compiled, Inputs};

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

/// Runs `run`, compiled plugin modules cached in `cache`.
pub fn execute(run: &Run, cache: ModuleCache) -> Result<Report, Failure> {
    let total = Instant::now();
    let mut report = Report::default();

    let started = Instant::now();
    let loaded = load_stage(run)?;
    let what = match loaded.compiled {
        Some(_) => "compile .proto files",
        None => "load descriptor sets",
    };
    report.timings.push(timing(what, started.elapsed()));

    let loaded = transform::apply(&run.transforms, loaded)?;
    let jobs = plan::jobs(run, &loaded)?;

    let started = Instant::now();
    let ran = run::plugins(run, jobs, cache)?;
    report
        .timings
        .push(timing("plugins (parallel)", started.elapsed()));

    let tree = apply::responses(run, &loaded.files, ran, &mut report)?;
    write::outputs(run, &tree, &loaded, &mut report)?;
    report.timings.push(timing("total", total.elapsed()));
    Ok(report)
}

/// The load stage, with its messages: the front-end's warnings and the compiler's are printed
/// as protoc prints them, before any error.
fn load_stage(run: &Run) -> Result<Loaded, Failure> {
    let mut warnings = run.warnings.clone();
    let loaded = load::load(
        &run.input,
        run.output.descriptor_set.is_some(),
        &mut warnings,
    );
    for w in &warnings {
        eprintln!("{w}");
    }
    Ok(match loaded.map_err(|lines| Failure { lines })? {
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
    })
}

fn timing(what: &str, took: Duration) -> String {
    format!("{what}: {:.1} ms", took.as_secs_f64() * 1000.0)
}
