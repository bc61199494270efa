//! `protowasm generate`: from a `buf.gen.yaml` (v2) to the engine's [`Run`], in buf's form: no
//! `compiler_version` in requests, each plugin's files grouped by its `strategy`, output
//! directories created, manifests kept, `clean` and `--check` as buf users expect. The
//! template's inputs are compiled once; nothing is written unless everything succeeded.

use std::path::{Path, PathBuf};

use clap::Args;

use crate::config::buf_gen::{Strategy, Template};
use crate::config::Registry;
use crate::model::{FilesMode, GroupBy, Grouping, Imports, Input, Output, PluginRun, Run};
use crate::plugins::{self, CacheMode, LimitFlags};

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
    pub timings: bool,
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

/// The run a template asks for: `-I` per input directory, the selected files as inputs, one
/// plugin run per template plugin. Printing `--timings` is the caller's.
pub fn to_run(args: &GenerateArgs, cwd: &Path) -> Result<Run, String> {
    let template_path = args
        .template
        .clone()
        .unwrap_or_else(|| PathBuf::from("buf.gen.yaml"));
    let template = Template::load(&template_path)?;
    let registry = Registry::discover(cwd)?;
    let input = select_inputs(args, &template, &template_path)?;
    let cache = match (args.no_cache, args.verify_cache) {
        (true, _) => CacheMode::Off,
        (_, true) => CacheMode::Verify,
        _ => CacheMode::On,
    };
    let mut clean = Vec::new();
    let mut runs = Vec::new();
    for (i, p) in template.plugins.iter().enumerate() {
        let out = match &args.output {
            Some(base) => base.join(&p.out),
            None => p.out.clone(),
        };
        let name = plugin_name(&p.local, &registry);
        let explicit: Vec<(String, PathBuf)> =
            if p.local.contains('/') || p.local.ends_with(".wasm") {
                vec![(name.clone(), PathBuf::from(&p.local))]
            } else {
                Vec::new()
            };
        let resolved = plugins::resolve(&name, &explicit, &registry);
        let imports = match (p.include_imports || args.include_imports, p.include_wkt) {
            (false, _) => Imports::No,
            (true, false) => Imports::WithoutWellKnownTypes,
            (true, true) => Imports::All,
        };
        if template.clean && !args.check {
            clean.push(out.clone());
        }
        runs.push(PluginRun {
            origin: format!("plugins[{i}] ({})", p.local),
            parameter: resolved.parameter(&p.opt.join(",")),
            limits: LimitFlags::default().resolve(resolved.limits),
            cache,
            requests: Grouping {
                by: match p.strategy {
                    Strategy::All => GroupBy::All,
                    Strategy::Directory => GroupBy::Directory,
                },
                imports,
                split_across_cores: resolved.per_file,
            },
            out: crate::output::normalize_location(&out.display().to_string()),
            source: resolved.source,
            name,
        });
    }
    let files = if args.check {
        FilesMode::Check
    } else {
        FilesMode::Write {
            create_dirs: true,
            clean,
            manifests: true,
        }
    };
    Ok(Run {
        warnings: Vec::new(),
        input,
        transforms: Vec::new(),
        // buf leaves compiler_version out of its requests.
        compiler_version: None,
        plugins: runs,
        output: Output {
            files,
            ..Output::default()
        },
    })
}

/// The template's input directories as `-I` paths, and the `.proto` files under them that the
/// template's and the command line's paths select, sorted, once each.
fn select_inputs(
    args: &GenerateArgs,
    template: &Template,
    template_path: &Path,
) -> Result<Input, String> {
    let mut input = Input::default();
    for spec in &template.inputs {
        let dir = &spec.directory;
        if !dir.is_dir() {
            return Err(format!(
                "{}: input directory {} does not exist",
                template_path.display(),
                dir.display()
            ));
        }
        input.proto_paths.push(dir.display().to_string());
        let mut files = Vec::new();
        collect_protos(dir, dir, &mut files)?;
        let selected = |virtual_name: &str| {
            let on_disk = dir.join(virtual_name);
            let under =
                |p: &PathBuf| on_disk.starts_with(p) || Path::new(virtual_name).starts_with(p);
            let included = |list: &[PathBuf]| list.is_empty() || list.iter().any(under);
            included(&spec.paths)
                && included(&args.paths)
                && !spec.exclude_paths.iter().any(under)
                && !args.exclude_paths.iter().any(under)
        };
        input
            .files
            .extend(files.into_iter().filter(|f| selected(f)));
    }
    input.files.sort();
    input.files.dedup();
    if input.files.is_empty() {
        return Err(format!(
            "{}: the inputs hold no .proto files to generate for",
            template_path.display()
        ));
    }
    Ok(input)
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
