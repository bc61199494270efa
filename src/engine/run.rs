//! The run stage: every request at once on rayon's pool, each through the runner for its kind:
//! wasm plugins behind the output cache (as their plugin's cache mode says), native plugins as
//! subprocesses.

use rayon::prelude::*;

use super::plan::Job;
use super::Failure;
use crate::cache::{BlobCache, ModuleCache};
use crate::model::Run;
use crate::plugins::{
    CachedRunner, NativeRunner, PluginError, PluginKind, PluginRunner, ProtocProxyRunner,
    RunOutput, WasmRuntime,
};

/// One request's outcome, with what it asked.
pub struct Ran {
    /// Which of the run's plugins (an index into `Run::plugins`).
    pub plugin: usize,
    /// The request's files to generate.
    pub files: Vec<String>,
    pub result: Result<RunOutput, PluginError>,
    /// The response decoded, beside the run (`None` when it did not run).
    pub decoded: Option<super::apply::Decoded>,
}

/// Runs every job; the outcomes come back in the jobs' order.
pub fn plugins(run: &Run, jobs: Vec<Job>, cache: ModuleCache) -> Result<Vec<Ran>, Failure> {
    let dir = cache.dir().map(|d| d.to_path_buf());
    let remote = cache.remote().cloned();
    // Only build the wasm engine when a wasm plugin is in play: it costs a few milliseconds.
    let wasm = if jobs.iter().any(|j| j.runnable.kind == PluginKind::Wasm) {
        Some(WasmRuntime::new(cache).map_err(|e| Failure::one(e.to_string()))?)
    } else {
        None
    };
    let ran = jobs
        .into_par_iter()
        .map(|job| {
            let plugin = &run.plugins[job.plugin];
            let label = format!("{}: {}", plugin.origin, plugin.name);
            let cached = wasm.as_ref().map(|wasm| CachedRunner {
                wasm,
                responses: BlobCache::responses(dir.as_deref()),
                remote: remote.clone(),
                mode: plugin.cache,
            });
            let runner: &dyn PluginRunner = match (&job.runnable.kind, &cached) {
                (PluginKind::Wasm, Some(w)) => w,
                (PluginKind::Protoc, _) => &ProtocProxyRunner,
                _ => &NativeRunner,
            };
            let result = runner.run(&job.runnable, &label, job.request, &plugin.limits);
            Ran {
                decoded: result
                    .as_ref()
                    .ok()
                    .map(|out| super::apply::decode_stdout(&out.stdout)),
                result,
                plugin: job.plugin,
                files: job.files,
            }
        })
        .collect();
    Ok(ran)
}
