//! `protowasm generate`: a `buf.gen.yaml` (v2) run. The template's inputs are compiled once by
//! protowasm's own compiler, and every plugin's requests (one per directory, or one with every
//! file) run as parallel jobs, applied in the order the plugins are declared; nothing is
//! written unless everything succeeded.

use std::path::{Path, PathBuf};

use clap::Args;

use crate::buf_gen::{Strategy, Template};
use crate::cli::protoc::{OutputDirective, Plan, ProtocArgs};
use crate::config::Registry;

#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// The template (default: buf.gen.yaml in the working directory).
    #[arg(long)]
    template: Option<PathBuf>,
    /// A base directory for every plugin's `out`.
    #[arg(short = 'o', long = "output")]
    output: Option<PathBuf>,
    /// Generate only for these files or directories (as written in the inputs, e.g.
    /// proto/acme/v1).
    #[arg(long = "path")]
    paths: Vec<PathBuf>,
    /// Leave out these files or directories.
    #[arg(long = "exclude-path")]
    exclude_paths: Vec<PathBuf>,
    /// Also generate for the files the inputs import (every plugin), as buf's flag.
    #[arg(long)]
    include_imports: bool,
    /// Golden-file mode: generate in memory, write nothing, print a unified diff of each file
    /// that differs from the disk and list missing and extra files; exit 1 if anything differs.
    #[arg(long)]
    check: bool,
    /// Print where the time went.
    #[arg(long)]
    timings: bool,
    /// Run every wasm plugin, without the output cache.
    #[arg(long, conflicts_with = "verify_cache")]
    no_cache: bool,
    /// Run every wasm plugin and fail if a cached response differs.
    #[arg(long)]
    verify_cache: bool,
}

#[derive(Args, Debug)]
pub struct CleanArgs {
    /// The template (default: buf.gen.yaml in the working directory).
    #[arg(long)]
    template: Option<PathBuf>,
    /// The base directory given to `generate -o`.
    #[arg(short = 'o', long = "output")]
    output: Option<PathBuf>,
}

/// `protowasm clean`: removes from each plugin's `out` exactly the files the last `generate`
/// recorded in its manifest, then the directories that leaves empty. Returns what was removed.
pub fn clean(args: &CleanArgs) -> Result<Vec<PathBuf>, String> {
    let template_path = args
        .template
        .clone()
        .unwrap_or_else(|| PathBuf::from("buf.gen.yaml"));
    let template = Template::load(&template_path)?;
    let mut removed = Vec::new();
    for p in &template.plugins {
        let out = match &args.output {
            Some(base) => base.join(&p.out),
            None => p.out.clone(),
        };
        let fail = |e: std::io::Error| format!("{}: {e}", out.display());
        removed.extend(crate::output::remove_stale(&out, &Default::default()).map_err(fail)?);
        let manifest = out.join(crate::output::MANIFEST);
        if manifest.exists() {
            std::fs::remove_file(&manifest).map_err(fail)?;
            removed.push(manifest);
            // The output directory itself, if that left it empty.
            let _ = std::fs::remove_dir(&out);
        }
    }
    Ok(removed)
}

/// Builds the protoc-style run for a template: `-I` per input directory, the selected files as
/// inputs, one directive per plugin, and the plan that splits them into requests.
pub fn plan(args: &GenerateArgs, cwd: &Path) -> Result<ProtocArgs, String> {
    let template_path = args
        .template
        .clone()
        .unwrap_or_else(|| PathBuf::from("buf.gen.yaml"));
    let template = Template::load(&template_path)?;
    let registry = Registry::discover(cwd)?;

    let mut run = ProtocArgs::default();
    for input in &template.inputs {
        let dir = &input.directory;
        if !dir.is_dir() {
            return Err(format!(
                "{}: input directory {} does not exist",
                template_path.display(),
                dir.display()
            ));
        }
        run.proto_paths.push(dir.display().to_string());
        let mut files = Vec::new();
        collect_protos(dir, dir, &mut files)?;
        let selected = |virtual_name: &str| {
            let on_disk = dir.join(virtual_name);
            let under =
                |p: &PathBuf| on_disk.starts_with(p) || Path::new(virtual_name).starts_with(p);
            let included = |list: &[PathBuf]| list.is_empty() || list.iter().any(under);
            included(&input.paths)
                && included(&args.paths)
                && !input.exclude_paths.iter().any(under)
                && !args.exclude_paths.iter().any(under)
        };
        run.inputs.extend(files.into_iter().filter(|f| selected(f)));
    }
    run.inputs.sort();
    run.inputs.dedup();
    if run.inputs.is_empty() {
        return Err(format!(
            "{}: the inputs hold no .proto files to generate for",
            template_path.display()
        ));
    }

    let mut plan = Plan {
        no_compiler_version: true,
        check: args.check,
        manifests: true,
        ..Plan::default()
    };
    for (i, p) in template.plugins.iter().enumerate() {
        let out = match &args.output {
            Some(base) => base.join(&p.out),
            None => p.out.clone(),
        };
        let plugin_name = plugin_name(&p.local, &registry);
        if p.local.contains('/') || p.local.ends_with(".wasm") {
            run.plugins
                .push((plugin_name.clone(), PathBuf::from(&p.local)));
        }
        run.outputs.push(OutputDirective {
            flag: format!("plugins[{i}] ({})", p.local),
            plugin_name,
            parameter: p.opt.join(","),
            location: crate::output::normalize_location(&out.display().to_string()),
        });
        plan.requests.push(match p.strategy {
            Strategy::All => vec![run.inputs.clone()],
            Strategy::Directory => by_directory(&run.inputs),
        });
        plan.include_imports
            .push((p.include_imports || args.include_imports).then_some(p.include_wkt));
        if template.clean && !args.check {
            plan.clean.push(out.clone());
        }
        // buf creates output directories; an archive out (.zip, .jar, .srcjar) is a file.
        if !args.check && !crate::output::is_archive(&out.display().to_string()) {
            std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
        }
    }
    run.plan = Some(plan);
    run.timings = args.timings;
    run.output_cache = match (args.no_cache, args.verify_cache) {
        (true, _) => crate::plugins::CacheMode::Off,
        (_, true) => crate::plugins::CacheMode::Verify,
        _ => crate::plugins::CacheMode::On,
    };
    Ok(run)
}

/// The plugin name a `local:` value runs as: a registry entry's (`protoc-gen-NAME`), a path's
/// file name without `.wasm`, or the program name itself.
fn plugin_name(local: &str, registry: &Registry) -> String {
    if local.contains('/') || local.ends_with(".wasm") {
        let base = local.rsplit('/').next().unwrap_or(local);
        return base.strip_suffix(".wasm").unwrap_or(base).to_string();
    }
    let short = local.strip_prefix("protoc-gen-").unwrap_or(local);
    if registry.get(short).is_some() {
        return format!("protoc-gen-{short}");
    }
    local.to_string()
}

/// Groups files by directory, as buf's `strategy: directory` does: one request per directory,
/// directories in order.
fn by_directory(files: &[String]) -> Vec<Vec<String>> {
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for f in files {
        let dir = f.rsplit_once('/').map_or("", |(d, _)| d).to_string();
        match groups.iter_mut().find(|(d, _)| *d == dir) {
            Some((_, g)) => g.push(f.clone()),
            None => groups.push((dir, vec![f.clone()])),
        }
    }
    groups.sort_by(|a, b| a.0.cmp(&b.0));
    groups.into_iter().map(|(_, g)| g).collect()
}

/// Every `.proto` under `dir`, as names relative to `root`, sorted.
fn collect_protos(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<(), String> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect_protos(root, &p, out)?;
        } else if p.extension().is_some_and(|e| e == "proto") {
            let rel = p.strip_prefix(root).unwrap_or(&p);
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_group_in_order() {
        let files: Vec<String> = ["b/x.proto", "a/y.proto", "b/z.proto", "top.proto"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            by_directory(&files),
            [
                vec!["top.proto".to_string()],
                vec!["a/y.proto".into()],
                vec!["b/x.proto".into(), "b/z.proto".into()],
            ]
        );
    }
}
