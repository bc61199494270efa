//! `protowasm generate`: from a `buf.gen.yaml` (v2, v1 or v1beta1) to the engine's [`Run`], in
//! buf's form: no `compiler_version` in requests, each plugin's files grouped by its `strategy`,
//! output directories created, manifests kept, `clean` and `--check` as buf users expect. A
//! `remote:` plugin runs the registry entry that `serves` it. The template's inputs are compiled
//! once; nothing is written unless everything succeeded.

use std::path::{Path, PathBuf};

use clap::Args;

use crate::config::buf_gen::{self, PluginConfig, PluginRef, Strategy, Template};
use crate::config::remote_cache::RemoteFlags;
use crate::config::Registry;
use crate::config::{buf_deps, buf_yaml};
use crate::model::{
    ErrorFormat, FilesMode, GroupBy, Grouping, Imports, Input, ModuleRoot, Output, PluginRun,
    ProtoFileOrder, Run, Transform,
};
use crate::plugins::{self, builtins, CacheMode, LimitFlags, PluginSource, Resolved};
use crate::transform::types::TypeFilter;

#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// The input directory (default: the template's inputs, else the workspace of `.`); its
    /// workspace (buf.yaml, buf.work.yaml) gives the import roots.
    input: Option<PathBuf>,
    /// The template: a file, or the template itself as YAML or JSON (default: buf.gen.yaml in
    /// the working directory).
    #[arg(long)]
    template: Option<String>,
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
    /// With --include-imports: the well-known types too (every plugin).
    #[arg(long, requires = "include_imports")]
    include_wkt: bool,
    /// Empty every plugin's `out` first, as the template's `clean: true`.
    #[arg(long)]
    clean: bool,
    /// How compiler errors are printed: `text` (file:line:col: message) or `msvs`.
    #[arg(long, default_value = "text")]
    error_format: String,
    /// Generate only these types and what they need (buf's type filter).
    #[arg(long = "type")]
    types: Vec<String>,
    /// Leave these types out (buf's type filter).
    #[arg(long = "exclude-type")]
    exclude_types: Vec<String>,
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
    /// Run a `remote:` plugin whose pinned version differs from its registry entry's.
    #[arg(long)]
    accept_version_mismatch: bool,
    /// A Bazel HTTP remote cache shared by machines (https://HOST[/INSTANCE]; http:// on
    /// loopback), behind the local cache. Default: $PROTOWASM_REMOTE_CACHE; an empty URL turns
    /// it off. Credentials come from $PROTOWASM_REMOTE_CACHE_TOKEN, or
    /// $PROTOWASM_REMOTE_CACHE_USER and $PROTOWASM_REMOTE_CACHE_PASSWORD.
    #[arg(long, value_name = "URL")]
    remote_cache: Option<String>,
    /// Read the remote cache, never write it (developer machines; CI writes).
    #[arg(long)]
    remote_cache_read_only: bool,
    /// Share compiled modules through the remote cache too. Loading one runs code that came
    /// from the cache: only if you trust everyone who can write it.
    #[arg(long)]
    remote_cache_modules: bool,
    /// Bound on each request to the remote cache, and on the wait for uploads (default 10s).
    #[arg(long, value_name = "DURATION",
          value_parser = |v: &str| plugins::parse_duration("--remote-cache-timeout", v))]
    remote_cache_timeout: Option<std::time::Duration>,
}

impl GenerateArgs {
    /// The `--remote-cache*` flags, as protoc mode has them.
    pub fn remote_flags(&self) -> RemoteFlags {
        RemoteFlags {
            url: self.remote_cache.clone(),
            read_only: self.remote_cache_read_only,
            modules: self.remote_cache_modules,
            timeout: self.remote_cache_timeout,
        }
    }
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
    let (template, template_path) = load_template(args.template.as_deref())?;
    let error_format = match args.error_format.as_str() {
        "text" => ErrorFormat::Gcc,
        "msvs" => ErrorFormat::Msvs,
        other => {
            return Err(format!(
                "--error-format: \"{other}\" is not supported by protowasm: use text or msvs"
            ))
        }
    };
    let registry = Registry::discover(cwd)?;
    let (mut input, modules) = select_inputs(args, &template, &template_path, &registry)?;
    input.error_format = error_format;
    let mut transforms = vec![Transform::AsBufCompiles];
    let (filter, origin) = input_types(args, &template, &template_path)?;
    if !filter.is_empty() {
        transforms.push(Transform::Types { filter, origin });
    }
    if let Some(rules) = &template.managed {
        transforms.push(Transform::Managed {
            rules: rules.clone(),
            modules,
        });
    }
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
        if (template.clean || args.clean) && !args.check {
            clean.push(out.clone());
        }
        let mut run = plugin_run(p, &registry, args.accept_version_mismatch)
            .map_err(|e| format!("{}: plugins[{i}]: {e}", template_path.display()))?;
        run.origin = format!("plugins[{i}] ({})", p.plugin.describe());
        run.cache = cache;
        if args.include_imports {
            run.requests.imports = match p.include_wkt || args.include_wkt {
                false => Imports::WithoutWellKnownTypes,
                true => Imports::All,
            };
        }
        run.out = crate::output::normalize_location(&out.display().to_string());
        runs.push(run);
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
        transforms,
        // buf leaves compiler_version out of its requests.
        compiler_version: None,
        proto_file_order: ProtoFileOrder::Compiled,
        plugins: runs,
        output: Output {
            files,
            insertion: crate::output::InsertionStyle::Buf,
            ..Output::default()
        },
        compile_cache: cache,
        codegen_trace: false,
    })
}

/// The template `--template` names: a file, or (when no such file exists and the value looks
/// like YAML or JSON) the template itself. Returns it with the name messages give it.
fn load_template(flag: Option<&str>) -> Result<(Template, PathBuf), String> {
    let value = flag.unwrap_or("buf.gen.yaml");
    let inline = !Path::new(value).exists()
        && (value.contains('\n') || value.trim_start().starts_with('{') || value.contains(": "));
    if inline {
        let template = Template::parse(value).map_err(|e| format!("--template: {e}"))?;
        return Ok((template, PathBuf::from("--template")));
    }
    let path = PathBuf::from(value);
    Ok((Template::load(&path)?, path))
}

/// The input's type filter, as buf picks it: `--type` and `--exclude-type` override the
/// template's (v1's `types.include`, or each v2 input's `types` and `exclude_types`). buf
/// generates each v2 input on its own; protowasm generates them together, so inputs that ask
/// for different filters are refused.
fn input_types(
    args: &GenerateArgs,
    template: &Template,
    path: &Path,
) -> Result<(TypeFilter, String), String> {
    let origin = |key: &str| match (args.types.is_empty(), args.exclude_types.is_empty()) {
        (true, true) => format!("{}: {key}", path.display()),
        _ => "--type/--exclude-type".to_string(),
    };
    let chosen = |include: &[String], exclude: &[String]| TypeFilter {
        include: if args.types.is_empty() {
            include.to_vec()
        } else {
            args.types.clone()
        },
        exclude: if args.exclude_types.is_empty() {
            exclude.to_vec()
        } else {
            args.exclude_types.clone()
        },
    };
    match (&args.input, &template.inputs) {
        (None, Some(inputs)) if !inputs.is_empty() => {
            let filters: Vec<TypeFilter> = inputs
                .iter()
                .map(|i| chosen(&i.types, &i.exclude_types))
                .collect();
            if filters.iter().any(|f| *f != filters[0]) {
                return Err(format!(
                    "{}: inputs: inputs with different types or exclude_types are not supported by protowasm (it generates the inputs together): give them the same filter, or use --type and --exclude-type",
                    path.display()
                ));
            }
            Ok((filters[0].clone(), origin("inputs: types")))
        }
        _ => Ok((chosen(&template.types, &[]), origin("types"))),
    }
}

/// The files to generate and their import roots. Each input directory (the command line's,
/// else the template's, else `.`) is resolved to the workspace that controls it, as buf
/// resolves it: every module of that workspace is an import root, and the input's files are
/// the modules' files under the input directory, narrowed by the input's paths (or the command
/// line's, which replace them, as in buf). Also returns the roots that hold named modules (workspace modules with a
/// `name`, and deps).
fn select_inputs(
    args: &GenerateArgs,
    template: &Template,
    template_path: &Path,
    registry: &Registry,
) -> Result<(Input, Vec<ModuleRoot>), String> {
    let directory = |dir: PathBuf| buf_gen::Input {
        directory: dir,
        module: None,
        paths: Vec::new(),
        exclude_paths: Vec::new(),
        types: Vec::new(),
        exclude_types: Vec::new(),
    };
    let specs = match (&args.input, &template.inputs) {
        (Some(dir), _) => vec![directory(dir.clone())],
        (None, Some(inputs)) => inputs.clone(),
        (None, None) => vec![directory(PathBuf::from("."))],
    };
    let mut input = Input::default();
    let mut named = Vec::new();
    for spec in &specs {
        let resolved = match &spec.module {
            Some(module) => module_dir(module, registry, template_path)?,
            None => spec.directory.clone(),
        };
        let dir = &resolved;
        let target = std::fs::canonicalize(dir).ok().filter(|d| d.is_dir());
        let Some(target) = target else {
            return Err(format!(
                "{}: input directory {} does not exist",
                template_path.display(),
                dir.display()
            ));
        };
        let workspace = buf_yaml::controlling(dir)?;
        let dep_dirs = dep_dirs(&workspace, registry)?;
        for module in &workspace.modules {
            let root = module.dir.display().to_string();
            if !input.proto_paths.contains(&root) {
                if let Some(name) = &module.name {
                    named.push(ModuleRoot {
                        root: root.clone(),
                        name: name.clone(),
                    });
                }
                input.proto_paths.push(root);
            }
            let no_files = || {
                format!(
                    "Module \"path: \"{}\"\" had no .proto files",
                    module.dir.display()
                )
            };
            // buf refuses a module with nothing to build.
            let canonical = std::fs::canonicalize(&module.dir).map_err(|_| no_files())?;
            // `--path` and `--exclude-path` replace the input's own, as in buf.
            let paths = if args.paths.is_empty() {
                &spec.paths
            } else {
                &args.paths
            };
            let exclude_paths = if args.exclude_paths.is_empty() {
                &spec.exclude_paths
            } else {
                &args.exclude_paths
            };
            let mut files = Vec::new();
            collect_protos(&module.dir, &module.dir, &mut files)?;
            if !files.iter().any(|f| module.holds(Path::new(f))) {
                return Err(no_files());
            }
            let selected = |virtual_name: &str| {
                let on_disk = module.dir.join(virtual_name);
                let under =
                    |p: &PathBuf| on_disk.starts_with(p) || Path::new(virtual_name).starts_with(p);
                module.holds(Path::new(virtual_name))
                    && canonical.join(virtual_name).starts_with(&target)
                    && (paths.is_empty() || paths.iter().any(under))
                    && !exclude_paths.iter().any(under)
            };
            input
                .files
                .extend(files.into_iter().filter(|f| selected(f)));
        }
        // Deps are import roots after the workspace's modules; their files are not generated.
        for (d, name) in dep_dirs {
            let root = d.display().to_string();
            if !input.proto_paths.contains(&root) {
                named.push(ModuleRoot {
                    root: root.clone(),
                    name,
                });
                input.proto_paths.push(root);
            }
        }
    }
    input.files.sort();
    input.files.dedup();
    if input.files.is_empty() {
        return Err(format!(
            "{}: the inputs hold no .proto files to generate for",
            template_path.display()
        ));
    }
    Ok((input, named))
}

/// The directory of a `module:` input, offline: a local directory as it is, or a module name
/// that the `[deps]` table of protowasm's config maps to one.
fn module_dir(module: &str, registry: &Registry, template: &Path) -> Result<PathBuf, String> {
    if Path::new(module).is_dir() {
        return Ok(PathBuf::from(module));
    }
    let name = module.split_once(':').map_or(module, |(n, _)| n);
    match registry.dep_dir(name) {
        Some(dir) => Ok(dir.to_path_buf()),
        None => Err(format!(
            "{}: input module {module}: protowasm fetches no module from the network; give a local directory as `module:`, or map the module to one in plugins-registry.toml:\n  [deps]\n  \"{name}\" = \"path/to/{}\"",
            template.display(),
            name.rsplit('/').next().unwrap_or(name)
        )),
    }
}

/// The directories of the deps the workspace's modules declare, as import roots: a dep that
/// the `[deps]` table of protowasm's config maps to a directory is read from there; else the
/// commit buf.lock pins is read from buf's module cache, its b5 digest checked. With a
/// buf.lock, every dep it pins counts (it lists the deps of deps too). A dep found in neither
/// is an error that names it and both ways to provide it.
fn dep_dirs(
    workspace: &buf_yaml::Workspace,
    registry: &Registry,
) -> Result<Vec<(PathBuf, String)>, String> {
    let mut dirs = Vec::new();
    let cache = buf_deps::cache_root();
    // The modules of one buf.yaml share its deps and buf.lock: each file is handled once, so
    // a cached dep's files are hashed once however many modules there are.
    let mut configs_seen: Vec<Option<&Path>> = Vec::new();
    for module in workspace.modules.iter().filter(|m| !m.deps.is_empty()) {
        if configs_seen.contains(&module.config.as_deref()) {
            continue;
        }
        configs_seen.push(module.config.as_deref());
        let config_dir = module.config.as_deref().and_then(Path::parent);
        let locked = match config_dir {
            Some(d) => buf_deps::read_lock(d)?.unwrap_or_default(),
            None => Vec::new(),
        };
        let mut names: Vec<String> = locked.iter().map(|d| d.name.clone()).collect();
        for dep in &module.deps {
            let name = dep.split_once(':').map_or(dep.as_str(), |(n, _)| n);
            if !names.iter().any(|n| n == name) {
                names.push(name.to_string());
            }
        }
        for name in &names {
            let dir = match registry.dep_dir(name) {
                Some(dir) if dir.is_dir() => dir.to_path_buf(),
                Some(dir) => {
                    return Err(format!(
                        "dep {name}: {} (from [deps] in {}) is not a directory",
                        dir.display(),
                        registry
                            .file
                            .as_ref()
                            .map_or(String::new(), |f| f.display().to_string())
                    ))
                }
                None => {
                    let pin = locked.iter().find(|d| &d.name == name);
                    let found = match (pin, &cache) {
                        (Some(pin), Some(root)) => buf_deps::cached_files(root, pin)?,
                        _ => None,
                    };
                    found
                        .ok_or_else(|| missing_dep(module, name, pin.is_some(), cache.as_deref()))?
                }
            };
            if !dirs.iter().any(|(d, _)| *d == dir) {
                dirs.push((dir, name.clone()));
            }
        }
    }
    Ok(dirs)
}

/// The error for a dep that is neither mapped nor in buf's cache.
fn missing_dep(
    module: &buf_yaml::Module,
    name: &str,
    pinned: bool,
    cache: Option<&Path>,
) -> String {
    let why = match (pinned, cache) {
        (false, _) => "no buf.lock pins it".to_string(),
        (true, Some(root)) => format!(
            "buf's module cache ({}) does not hold the commit buf.lock pins",
            root.display()
        ),
        (true, None) => "there is no buf cache directory".to_string(),
    };
    format!(
        "{}: dep {name} is not available: {why}, and protowasm fetches no module from the network. Fill buf's cache once with `buf dep update` (or any buf build), or give a directory that holds its files in plugins-registry.toml:\n  [deps]\n  \"{name}\" = \"path/to/{}\"",
        module
            .config
            .as_deref()
            .unwrap_or(Path::new("buf.yaml"))
            .display(),
        name.rsplit('/').next().unwrap_or(name)
    )
}

/// One template plugin resolved: its name and source, parameter, limits and grouping (the
/// caller sets where it came from, its cache mode and its output).
fn plugin_run(
    p: &PluginConfig,
    registry: &Registry,
    accept_version_mismatch: bool,
) -> Result<PluginRun, String> {
    let (name, resolved) = match &p.plugin {
        PluginRef::Local(command) if command.len() == 1 => {
            let local = &command[0];
            let name = plugin_name(local, registry);
            let explicit = if local.contains('/') || local.ends_with(".wasm") {
                vec![(name.clone(), PathBuf::from(local))]
            } else {
                Vec::new()
            };
            let resolved = plugins::resolve(&name, &explicit, registry);
            (name, resolved)
        }
        PluginRef::Local(command) => {
            let name = plugin_name(&command[0], registry);
            let resolved = Resolved {
                source: PluginSource::Command(command.clone()),
                default_opts: Vec::new(),
                limits: LimitFlags::default(),
                per_file: false,
            };
            (name, resolved)
        }
        PluginRef::Name(short) => {
            let name = format!("protoc-gen-{short}");
            let resolved = plugins::resolve(&name, &[], registry);
            if resolved.source == PluginSource::NotFound && builtins::is_builtin(short) {
                return Err(builtins::missing(short));
            }
            (name, resolved)
        }
        // buf runs the protoc named by protoc_path; without one, the builtins module serves.
        PluginRef::ProtocBuiltin { name, protoc_path } if !protoc_path.is_empty() => {
            let resolved = Resolved {
                source: PluginSource::Protoc(protoc_path.clone()),
                default_opts: Vec::new(),
                limits: LimitFlags::default(),
                per_file: false,
            };
            (format!("protoc-gen-{name}"), resolved)
        }
        PluginRef::ProtocBuiltin { name, .. } => {
            let plugin = format!("protoc-gen-{name}");
            let resolved = plugins::resolve(&plugin, &[], registry);
            if !matches!(resolved.source, PluginSource::Registry { .. }) {
                return Err(builtins::missing(name));
            }
            (plugin, resolved)
        }
        PluginRef::Remote { reference, .. } => {
            remote_plugin(reference, registry, accept_version_mismatch)?
        }
    };
    let imports = match (p.include_imports, p.include_wkt) {
        (false, _) => Imports::No,
        (true, false) => Imports::WithoutWellKnownTypes,
        (true, true) => Imports::All,
    };
    // A remote plugin gets every file in one request: buf sends its server the whole image.
    let by = match (&p.plugin, p.strategy) {
        (PluginRef::Remote { .. }, _) | (_, Some(Strategy::All)) => GroupBy::All,
        _ => GroupBy::Directory,
    };
    Ok(PluginRun {
        origin: String::new(),
        parameter: resolved.parameter(&p.opt.join(",")),
        limits: LimitFlags::default().resolve(resolved.limits),
        cache: CacheMode::default(),
        requests: Grouping {
            by,
            imports,
            split_across_cores: resolved.per_file,
        },
        types: TypeFilter {
            include: p.types.clone(),
            exclude: p.exclude_types.clone(),
        },
        out: String::new(),
        source: resolved.source,
        name,
    })
}

/// The registry entry serving remote plugin `reference` (`HOST/OWNER/NAME[:VERSION]`), checked
/// against the version the reference pins.
fn remote_plugin(
    reference: &str,
    registry: &Registry,
    accept_version_mismatch: bool,
) -> Result<(String, Resolved), String> {
    let (identity, pinned) = match reference.split_once(':') {
        Some((id, v)) => (id, Some(v)),
        None => (reference, None),
    };
    let Some(entry) = registry.serving(identity) else {
        let file = registry
            .file
            .as_ref()
            .map_or("plugins-registry.toml".to_string(), |f| {
                f.display().to_string()
            });
        return Err(format!(
            "remote plugin {reference}: no entry of {file} serves {identity}, and protowasm runs no plugin remotely. Add a wasm build of it with `protowasm plugin add PLUGIN.wasm --serves {reference}`, or list \"{identity}\" in an entry's `serves`"
        ));
    };
    let bare = |v: &str| v.trim_start_matches('v').to_string();
    if let Some(pinned) = pinned {
        let have = entry.version.as_deref().map(bare);
        if have.as_deref() != Some(bare(pinned).as_str()) && !accept_version_mismatch {
            let have = entry
                .version
                .as_deref()
                .map_or("no version".to_string(), |v| format!("version {v}"));
            return Err(format!(
                "remote plugin {reference}: the registry entry \"{}\" that serves it is {have}, not {pinned}; pin the entry's version, or pass --accept-version-mismatch to run it anyway",
                entry.name
            ));
        }
    }
    let name = format!("protoc-gen-{}", entry.name);
    let resolved = plugins::resolve(&name, &[], registry);
    Ok((name, resolved))
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
