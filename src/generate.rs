//! Orchestration: every `--NAME_out` directive's plugin runs as its own rayon job; responses are
//! applied in command-line order; nothing is written unless every plugin succeeded.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use prost::Message;
use prost_types::compiler::CodeGeneratorResponse;
use rayon::prelude::*;

use crate::cache::{ModuleCache, ResponseCache};
use crate::cli::protoc::{OutputDirective, ProtocArgs};
use crate::compile::{self, Compiled, Inputs};
use crate::config::{Registry, RegistryEntry};
use crate::descriptor_set::FileSet;
use crate::feature_check::{self, EditionBounds};
use crate::output::{self, OutputTree};
use crate::plugins::{
    is_wasm_file, CachedRunner, LimitFlags, Limits, NativeRunner, Plugin, PluginError, PluginKind,
    PluginRunner, RunOutput, WasmRuntime,
};
use crate::request;

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

/// One plugin run to do.
struct Job<'a> {
    directive: &'a OutputDirective,
    plugin: Plugin,
    request: Vec<u8>,
    limits: Limits,
    /// The request's files to generate.
    files: &'a [String],
}

/// `--X_out: protoc-gen-X`, the prefix protoc puts on a plugin's errors.
fn label(directive: &OutputDirective) -> String {
    format!("{}: {}", directive.flag, directive.plugin_name)
}

/// Runs `protowasm protoc ...` after argument parsing.
pub fn run_protoc(args: &ProtocArgs, cache: ModuleCache) -> Result<Report, Failure> {
    let total = Instant::now();
    let mut report = Report::default();

    let started = Instant::now();
    let mut warnings = args.warnings.clone();
    let loaded = compile::load(args, &mut warnings);
    // protoc prints these as it goes, before any error.
    for w in &warnings {
        eprintln!("{w}");
    }
    let (set, compiled) = match loaded.map_err(|lines| Failure { lines })? {
        Inputs::DescriptorSets(set) => (set, None),
        Inputs::Compiled(c) if args.outputs.is_empty() => (FileSet::default(), Some(c)),
        Inputs::Compiled(c) => (c.request_files(), Some(c)),
    };
    // The inputs' virtual names (an input given as a disk path is mapped through -I).
    let inputs: &[String] = compiled.as_ref().map_or(&args.inputs, |c| &c.inputs);
    report.timings.push(timing(
        if compiled.is_some() {
            "compile .proto files"
        } else {
            "load descriptor sets"
        },
        started.elapsed(),
    ));

    let version = args.compiler_version.clone().unwrap_or_default();
    let version = match &args.plan {
        Some(plan) if plan.no_compiler_version => None,
        _ => Some(&version),
    };
    let cwd =
        std::env::current_dir().map_err(|e| Failure::one(format!("the working directory: {e}")))?;
    let registry = Registry::discover(&cwd).map_err(Failure::one)?;
    // Each directive sends one request with every input, unless `generate` split them.
    let all = vec![inputs.to_vec()];
    let mut expanded: Vec<Vec<Vec<String>>> = Vec::new();
    let mut jobs: Vec<Job> = Vec::new();
    for (i, _) in args.outputs.iter().enumerate() {
        let requests = args
            .plan
            .as_ref()
            .and_then(|p| p.requests.get(i))
            .unwrap_or(&all);
        let imports = args
            .plan
            .as_ref()
            .and_then(|p| p.include_imports.get(i).copied().flatten());
        let requests: Vec<Vec<String>> = match (imports, compiled.as_ref()) {
            (Some(wkt), Some(c)) => requests.iter().map(|f| c.with_imports(f, wkt)).collect(),
            _ => requests.clone(),
        };
        expanded.push(requests);
    }
    for (i, directive) in args.outputs.iter().enumerate() {
        let resolved = resolve_plugin(directive, &args.plugins, &registry)?;
        let limits = args.limits.resolve(resolved.limits);
        for files in &expanded[i] {
            let entries =
                generate_entries(compiled.as_ref(), files, directive, &resolved.parameter);
            let request = request::build(&set, files, &resolved.parameter, version, &entries);
            jobs.push(Job {
                directive,
                plugin: resolved.plugin.clone(),
                request,
                limits: limits.clone(),
                files,
            });
        }
    }

    // Only build the wasm engine when a wasm plugin is in play: it costs a few milliseconds.
    let responses = ResponseCache::new(cache.dir());
    let wasm = if jobs.iter().any(|j| j.plugin.kind == PluginKind::Wasm) {
        Some(WasmRuntime::new(cache).map_err(|e| Failure::one(e.to_string()))?)
    } else {
        None
    };
    let cached = wasm.as_ref().map(|wasm| CachedRunner {
        wasm,
        responses,
        mode: args.output_cache,
    });
    let started = Instant::now();
    let order: Vec<(&OutputDirective, &[String])> =
        jobs.iter().map(|j| (j.directive, j.files)).collect();
    let results: Vec<Result<RunOutput, PluginError>> = jobs
        .into_par_iter()
        .map(|job| {
            let label = label(job.directive);
            let runner: &dyn PluginRunner = match (&job.plugin.kind, &cached) {
                (PluginKind::Wasm, Some(w)) => w,
                _ => &NativeRunner,
            };
            runner.run(&job.plugin, &label, job.request, &job.limits)
        })
        .collect();
    report
        .timings
        .push(timing("plugins (parallel)", started.elapsed()));

    // Apply in declared order, reporting as protoc does: a failed plugin stops the run there; an
    // output error (a duplicate file, a failed insertion) is reported and later plugins go on.
    let mut tree = OutputTree::new();
    let mut lines = Vec::new();
    for ((directive, files), result) in order.into_iter().zip(results) {
        let label = label(directive);
        let (response, bounds) = match result.and_then(|out| decode(out, directive, &mut report)) {
            Ok(decoded) => decoded,
            Err(PluginError::NotFound) => {
                let program = plugin_program(directive, &args.plugins);
                lines.push(format!("{program}: {}", PluginError::NotFound));
                lines.push(format!("{label}: {}", PluginError::Exit(1)));
                break;
            }
            Err(e) => {
                lines.push(format!("{label}: {e}"));
                break;
            }
        };
        let applied = tree.apply(&directive.location, &directive.plugin_name, &response);
        let errors = applied.err().map(|e| e.errors).unwrap_or_default();
        let plugin_failed = errors.iter().any(|e| e.is_plugin_failure());
        for e in errors {
            let prefix = if e.is_plugin_failure() {
                format!("{}: ", directive.flag)
            } else {
                String::new()
            };
            lines.push(format!("{prefix}{e}"));
        }
        if plugin_failed {
            break;
        }
        let missing = feature_check::check(
            &set,
            files,
            &directive.plugin_name,
            response.supported_features(),
            &bounds,
        );
        if !missing.is_empty() || !response.error().is_empty() {
            lines.push(format!("{missing}{}: {}", directive.flag, response.error()));
            break;
        }
    }
    if !lines.is_empty() {
        return Err(Failure { lines });
    }

    if args.plan.as_ref().is_some_and(|p| p.check) {
        // Golden-file mode: report, write nothing.
        let check = output::check_tree(&tree);
        print!("{}", check.text);
        if check.differs {
            return Err(Failure {
                lines: vec![
                    "protowasm generate --check: the generated files differ from the disk".into(),
                ],
            });
        }
        report.timings.push(timing("total", total.elapsed()));
        return Ok(report);
    }
    let started = Instant::now();
    // `generate` with `clean: true`: only now that every plugin succeeded.
    for dir in args.plan.iter().flat_map(|p| &p.clean) {
        clean_dir(dir).map_err(|e| Failure::one(format!("clean {}: {e}", dir.display())))?;
    }
    let summary = output::write_tree(&tree).map_err(|e| Failure::one(e.to_string()))?;
    if args.plan.as_ref().is_some_and(|p| p.manifests) {
        update_manifests(&tree)?;
    }
    report.files_written = summary.written.len();
    report.files_unchanged = summary.unchanged.len();
    report
        .timings
        .push(timing("write outputs", started.elapsed()));

    // protoc's order: generated files, then the dependency file, then the descriptor set.
    if let (Some(path), Some(c)) = (&args.dependency_out, &compiled) {
        let mut outputs: Vec<String> = Vec::new();
        for (location, files) in tree.locations() {
            for name in files.files().keys() {
                let full = format!("{location}{name}");
                outputs.push(full.strip_prefix("./").map(str::to_string).unwrap_or(full));
            }
        }
        if let Some(o) = &args.descriptor_set_out {
            outputs.push(o.display().to_string());
        }
        write_file(path, c.dependency_rule(&outputs).as_bytes())?;
    }
    if let (Some(path), Some(c)) = (&args.descriptor_set_out, &compiled) {
        write_file(path, &c.descriptor_set(args))?;
    }
    // As protoc does: the outputs are written, then warnings fail the run.
    if args.fatal_warnings && compiled.as_ref().is_some_and(|c| c.found_warnings) {
        return Err(Failure { lines: Vec::new() });
    }
    report.timings.push(timing("total", total.elapsed()));
    Ok(report)
}

/// Writes one whole file (`-o`, `--dependency_out`; see [`output::write_whole_file`]); errors
/// name the file as protoc does (`F: reason`).
fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    output::write_whole_file(path, bytes)
        .map_err(|e| Failure::one(format!("{}: {}", path.display(), io_reason(&e))))
}

/// After `generate` wrote its directories: removes what the last run generated there and this
/// one did not, and records what this one did.
fn update_manifests(tree: &OutputTree) -> Result<(), Failure> {
    for (location, loc) in tree.locations() {
        if output::is_archive(location) {
            continue;
        }
        let dir = Path::new(location);
        let keep: std::collections::BTreeSet<&String> = loc.files().keys().collect();
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

/// Plugins that protoc 36.2 still sends no computed json_names, as it did when their generators
/// were built into it.
const FORMER_BUILT_INS: &[&str] = &[
    "protoc-gen-cpp",
    "protoc-gen-java",
    "protoc-gen-mutable_java",
    "protoc-gen-python",
];

/// The `proto_file` entries of the files to generate, where this plugin's request departs from
/// the usual form: the `bootstrap` parameter drops source info and computed json_names, and
/// protoc's former built-in generators get no computed json_names. Only for compiled inputs;
/// files from descriptor sets are sent as they are.
fn generate_entries(
    compiled: Option<&Compiled>,
    inputs: &[String],
    directive: &OutputDirective,
    parameter: &str,
) -> HashMap<String, Vec<u8>> {
    let Some(c) = compiled else {
        return HashMap::new();
    };
    let bootstrap = parameter.split(',').any(|p| p == "bootstrap");
    let json_names = !FORMER_BUILT_INS.contains(&directive.plugin_name.as_str()) && !bootstrap;
    if !bootstrap && json_names {
        return HashMap::new();
    }
    inputs
        .iter()
        .filter_map(|name| {
            Some((
                name.clone(),
                c.generate_entry(name, !bootstrap, json_names)?,
            ))
        })
        .collect()
}

/// Decodes a response, and the edition bounds prost-types has no fields for.
fn decode(
    out: RunOutput,
    directive: &OutputDirective,
    report: &mut Report,
) -> Result<(CodeGeneratorResponse, EditionBounds), PluginError> {
    for (what, took) in &out.timings {
        report
            .timings
            .push(timing(&format!("{} {what}", directive.plugin_name), *took));
    }
    let unparseable = |_| {
        PluginError::Io(format!(
            "Plugin output is unparseable: {}",
            c_escape_prefix(&out.stdout, 256)
        ))
    };
    let response = CodeGeneratorResponse::decode(&out.stdout[..]).map_err(unparseable)?;
    let bounds = EditionBounds::decode(&out.stdout[..]).map_err(unparseable)?;
    Ok((response, bounds))
}

/// protoc prints the whole output C-escaped; a plugin can write megabytes, so only a prefix is shown.
fn c_escape_prefix(bytes: &[u8], max: usize) -> String {
    let mut s = String::new();
    for &b in bytes.iter().take(max) {
        match b {
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            b'"' => s.push_str("\\\""),
            b'\'' => s.push_str("\\'"),
            b'\\' => s.push_str("\\\\"),
            0x20..=0x7e => s.push(b as char),
            _ => s.push_str(&format!("\\{b:03o}")),
        }
    }
    if bytes.len() > max {
        s.push_str(&format!("... ({} bytes in all)", bytes.len()));
    }
    s
}

/// What protoc names in "program not found": the `--plugin` path if one was given, else the name.
fn plugin_program(directive: &OutputDirective, plugins: &[(String, PathBuf)]) -> String {
    match plugins
        .iter()
        .rev()
        .find(|(n, _)| *n == directive.plugin_name)
    {
        Some((_, path)) => path.display().to_string(),
        None => directive.plugin_name.clone(),
    }
}

/// A directive's plugin, with what a registry entry adds to it.
struct Resolved {
    plugin: Plugin,
    /// The directive's parameter, after the registry entry's default options.
    parameter: String,
    /// The registry entry's limits, if any.
    limits: LimitFlags,
}

/// `--plugin=NAME=PATH` (the last one for a name wins, as in protoc), else the registry entry for
/// NAME, else `protoc-gen-NAME` on PATH, else `protoc-gen-NAME.wasm` on PATH. A plugin that
/// cannot be found is reported when its job runs, with protoc's text.
fn resolve_plugin(
    directive: &OutputDirective,
    plugins: &[(String, PathBuf)],
    registry: &Registry,
) -> Result<Resolved, Failure> {
    let name = &directive.plugin_name;
    let plain = |plugin| Resolved {
        plugin,
        parameter: directive.parameter.clone(),
        limits: LimitFlags::default(),
    };
    if let Some((_, path)) = plugins.iter().rev().find(|(n, _)| n == name) {
        // Unreadable or missing: let the native runner report it as protoc does.
        return Ok(plain(
            Plugin::at_path(name, path).unwrap_or_else(|_| Plugin::native(name, path)),
        ));
    }
    if let Some(entry) = registry.get(name.trim_start_matches("protoc-gen-")) {
        return from_registry(directive, entry, registry);
    }
    Ok(plain(match search_path(name) {
        Some(path) => Plugin::at_path(name, &path).unwrap_or_else(|_| Plugin::native(name, &path)),
        None => Plugin::native(name, Path::new(name)),
    }))
}

fn from_registry(
    directive: &OutputDirective,
    entry: &RegistryEntry,
    registry: &Registry,
) -> Result<Resolved, Failure> {
    let file = registry.file.as_deref().map_or_else(
        || "the plugin registry".to_string(),
        |f| f.display().to_string(),
    );
    let where_ = format!("{}: plugin \"{}\" in {file}", directive.flag, entry.name);
    // A URL source is downloaded now, when a directive uses it, not when the registry loads.
    registry
        .fetch(entry)
        .map_err(|e| Failure::one(format!("{}: {e}", directive.flag)))?;
    match is_wasm_file(&entry.path) {
        Ok(true) => {}
        Ok(false) => {
            return Err(Failure::one(format!(
                "{where_}: {} is not a WebAssembly module",
                entry.path.display()
            )))
        }
        Err(e) => {
            return Err(Failure::one(format!(
                "{where_}: {}: {e}",
                entry.path.display()
            )))
        }
    }
    let mut parameter = entry.opt.join(",");
    if !directive.parameter.is_empty() {
        if !parameter.is_empty() {
            parameter.push(',');
        }
        parameter.push_str(&directive.parameter);
    }
    let plugin = Plugin {
        name: directive.plugin_name.clone(),
        path: entry.path.clone(),
        kind: PluginKind::Wasm,
        expected_sha256: Some(entry.sha256),
        env: entry.env.clone(),
    };
    let limits = LimitFlags {
        memory_bytes: entry.memory_limit,
        stdout_bytes: None,
        timeout: entry.timeout,
    };
    Ok(Resolved {
        plugin,
        parameter,
        limits,
    })
}

fn search_path(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let dirs = std::env::var_os("PATH")?;
    let candidates = |dir: PathBuf| [dir.join(name), dir.join(format!("{name}.wasm"))];
    std::env::split_paths(&dirs).flat_map(candidates).find(|p| {
        std::fs::metadata(p).is_ok_and(|m| {
            m.is_file()
                && (m.permissions().mode() & 0o111 != 0
                    || p.extension().is_some_and(|e| e == "wasm"))
        })
    })
}

fn timing(what: &str, took: Duration) -> String {
    format!("{what}: {:.1} ms", took.as_secs_f64() * 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unparseable_output_is_escaped_and_bounded() {
        assert_eq!(c_escape_prefix(b"\xff\x0fa\"\n", 10), "\\377\\017a\\\"\\n");
        let long = vec![b'x'; 300];
        assert!(c_escape_prefix(&long, 256).ends_with("... (300 bytes in all)"));
    }
}
