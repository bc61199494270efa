//! protoc's command line, parsed the way protoc 36.2 parses it: `@argfile`, `--name=value` and
//! `--name value`, `-Ivalue`, dynamic `--NAME_out`/`--NAME_opt`, and protoc's exact error texts.
//!
//! This is the raw layer: it records what the user typed. `protoc_run` resolves it into the
//! engine's `model::Run`. clap cannot express protoc's grammar (flags whose names come from the user, the
//! `--X_opt` merge rule), so this part is hand-written; everything else uses clap.

use std::path::PathBuf;

pub use crate::codec::Codec;
use crate::config::remote_cache::RemoteFlags;
use crate::model::{DependencyRule, ErrorFormat, InputRules};
use crate::plugins::{parse_duration, parse_size, CacheMode, LimitFlags};
pub use crate::request::CompilerVersion;

/// The protoc release whose behaviour protowasm follows.
pub const PROTOC_VERSION: &str = "36.2";

/// What a parsed command line asks for.
#[derive(Debug, PartialEq)]
pub enum Parsed {
    /// Generate code (the normal case).
    Run(Box<ProtocArgs>),
    /// Print this text to stdout and exit 0 (`--version`, `-h`).
    Print(String),
}

/// An error in the arguments: printed as it is, exit code 1.
#[derive(Debug, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// One `--NAME_out` directive.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputDirective {
    /// The flag as typed, e.g. `--prost_out`; used to prefix errors as protoc does.
    pub flag: String,
    /// `protoc-gen-NAME`.
    pub plugin_name: String,
    /// The final parameter: the text before the first ':' plus every `--NAME_opt`, as protoc merges them.
    pub parameter: String,
    /// The output location as protoc normalises it: a directory gains a trailing '/'.
    pub location: String,
}

/// The protoc-compatible arguments, as typed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProtocArgs {
    pub inputs: Vec<String>,
    pub proto_paths: Vec<String>,
    pub descriptor_set_in: Vec<PathBuf>,
    pub outputs: Vec<OutputDirective>,
    /// `--plugin` mappings, plugin name -> path, in command-line order (a later one wins).
    pub plugins: Vec<(String, PathBuf)>,
    /// `--compiler-version=MAJOR.MINOR.PATCH[-SUFFIX]` (protowasm's own flag).
    pub compiler_version: Option<CompilerVersion>,
    /// Limits given on the command line; they win over a registry entry's and the defaults.
    pub limits: LimitFlags,
    /// `--timings` (protowasm's own flag): print where the time went.
    pub timings: bool,
    /// `--no-cache` / `--verify-cache` (protowasm's own flags): the output cache.
    pub output_cache: CacheMode,
    /// `--remote-cache=URL` and its companions (protowasm's own flags).
    pub remote_cache: RemoteFlags,
    /// `-o`/`--descriptor_set_out`.
    pub descriptor_set_out: Option<PathBuf>,
    pub include_imports: bool,
    pub include_source_info: bool,
    pub retain_options: bool,
    /// `--dependency_out`: a make-style dependency file.
    pub dependency_out: Option<PathBuf>,
    pub error_format: ErrorFormat,
    pub fatal_warnings: bool,
    /// `--disallow_services`, `--direct_dependencies`, `--option_dependencies` and their messages.
    pub rules: InputRules,
    /// `--print_free_field_numbers`: compile, then print each input message's free numbers.
    pub print_free_field_numbers: bool,
    /// `--enable_codegen_trace=ANY`: plugins see `PROTOC_CODEGEN_TRACE=yes`.
    pub codegen_trace: bool,
    /// `--experimental_editions`: no edition range checks.
    pub experimental_editions: bool,
    /// `--unsafe_allow_out_dir_escape`: generated names may climb out of their directory.
    pub unsafe_allow_out_dir_escape: bool,
    /// `--edition_defaults_out` and its edition bounds.
    pub edition_defaults_out: Option<PathBuf>,
    pub edition_defaults_minimum: Option<i32>,
    pub edition_defaults_maximum: Option<i32>,
    /// `--decode_raw`, `--decode=TYPE` or `--encode=TYPE`: convert stdin instead of generating.
    pub codec: Option<Codec>,
    /// `--deterministic_output`: `--encode` sorts map entries by key.
    pub deterministic_output: bool,
    /// Messages protoc prints while reading the arguments but that do not stop it
    /// (`--include_imports only makes sense ...`).
    pub warnings: Vec<String>,
}

impl ProtocArgs {
    /// protoc's `mode_ == MODE_COMPILE`: generating code or descriptors, not converting a
    /// message (`--decode`) or printing (`--print_free_field_numbers`).
    fn compiling(&self) -> bool {
        self.codec.is_none() && !self.print_free_field_numbers
    }
}

/// Flags that never take a value (protoc's list, plus protowasm's own).
const NO_VALUE_FLAGS: &[&str] = &[
    "-h",
    "--help",
    "--version",
    "--include_imports",
    "--include_source_info",
    "--retain_options",
    "--decode_raw",
    "--print_free_field_numbers",
    "--experimental_editions",
    "--notices",
    "--fatal_warnings",
    "--experimental_allow_proto3_optional",
    "--deterministic_output",
    "--disallow_services",
    "--unsafe_allow_out_dir_escape",
    "--timings",
    "--no-cache",
    "--verify-cache",
    "--remote-cache-read-only",
    "--remote-cache-modules",
];

/// protoc's `kDefaultDirectDependenciesViolationMsg`.
const DIRECT_DEPENDENCIES_MESSAGE: &str =
    "File is imported but not declared in --direct_dependencies: %s";
/// protoc's `kDefaultOptionDependenciesViolationMsg`.
const OPTION_DEPENDENCIES_MESSAGE: &str =
    "File is option imported but not declared in --option_dependencies: %s";

/// A dependency rule's files (`None` until its flag is given) and its violation message.
type DependencyFlags = (Option<std::collections::BTreeSet<String>>, Option<String>);

/// Expands `@file` arguments: only those given directly, one argument per line, as protoc does.
pub fn expand_argfiles(args: Vec<String>) -> Result<Vec<String>, UsageError> {
    let mut out = Vec::with_capacity(args.len());
    for arg in args {
        match arg.strip_prefix('@') {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|_| UsageError(format!("Failed to open argument file: {path}")))?;
                out.extend(text.lines().filter(|l| !l.is_empty()).map(str::to_string));
            }
            None => out.push(arg),
        }
    }
    Ok(out)
}

/// Parses protoc's arguments (after the program name).
pub fn parse(args: Vec<String>, usage_name: &str) -> Result<Parsed, UsageError> {
    let args = expand_argfiles(args)?;
    let mut parsed = ProtocArgs::default();
    // `--X_opt` values per plugin name, in command-line order; merged after all flags are seen,
    // because protoc applies every opt to every directive of that plugin wherever it appears.
    let mut opts: Vec<(String, String)> = Vec::new();
    let mut out_params: Vec<String> = Vec::new();
    let mut descriptor_set_in_seen = false;
    // `--direct_dependencies` / `--option_dependencies` and their messages, which may come in
    // either order; they become rules once every flag is read.
    let mut direct = DependencyFlags::default();
    let mut option = DependencyFlags::default();

    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        if !arg.starts_with('-') || arg == "-" {
            parsed.inputs.push(arg.clone());
            continue;
        }
        let (name, inline_value) = split_flag(arg);
        let value = if NO_VALUE_FLAGS.contains(&name.as_str()) {
            // protoc 36.2 ignores a value typed after one of these (`--include_imports=1`),
            // except `--decode_raw`, which refuses one.
            if name == "--decode_raw" {
                inline_value.unwrap_or_default()
            } else {
                String::new()
            }
        } else if let Some(v) = inline_value {
            v
        } else if i < args.len() && !args[i].starts_with('-') {
            i += 1;
            args[i - 1].clone()
        } else {
            let hint = if name == "--decode" {
                DECODE_RAW_HINT
            } else {
                ""
            };
            return Err(UsageError(format!("Missing value for flag: {name}{hint}")));
        };

        match name.as_str() {
            "--version" => return Ok(Parsed::Print(format!("libprotoc {PROTOC_VERSION}\n"))),
            "-h" | "--help" => return Ok(Parsed::Print(help_text(usage_name))),
            "-I" | "--proto_path" => {
                for part in value.split(':').filter(|p| !p.is_empty()) {
                    let disk = part.split_once('=').map_or(part, |(_, d)| d);
                    if disk.is_empty() {
                        return Err(UsageError(
                            "--proto_path passed empty directory name.  (Use \".\" for current directory.)".into(),
                        ));
                    }
                    parsed.proto_paths.push(part.to_string());
                }
            }
            "-o" | "--descriptor_set_out" => {
                if parsed.descriptor_set_out.is_some() {
                    return Err(UsageError(format!("{name} may only be passed once.")));
                }
                if value.is_empty() {
                    return Err(UsageError(format!("{name} requires a non-empty value.")));
                }
                if !parsed.compiling() {
                    return Err(UsageError(
                        "Cannot use --encode or --decode and generate descriptors at the same time.".into(),
                    ));
                }
                parsed.descriptor_set_out = Some(PathBuf::from(&value));
            }
            "--dependency_out" => {
                if parsed.dependency_out.is_some() {
                    return Err(UsageError(format!("{name} may only be passed once.")));
                }
                if value.is_empty() {
                    return Err(UsageError(format!("{name} requires a non-empty value.")));
                }
                if descriptor_set_in_seen {
                    return Err(UsageError(format!(
                        "{name} cannot be used with --descriptor_set_in."
                    )));
                }
                parsed.dependency_out = Some(PathBuf::from(&value));
            }
            "--include_imports"
            | "--include_source_info"
            | "--retain_options"
            | "--fatal_warnings" => {
                let flag = match name.as_str() {
                    "--include_imports" => &mut parsed.include_imports,
                    "--include_source_info" => &mut parsed.include_source_info,
                    "--retain_options" => &mut parsed.retain_options,
                    _ => &mut parsed.fatal_warnings,
                };
                if *flag {
                    return Err(UsageError(format!("{name} may only be passed once.")));
                }
                *flag = true;
            }
            "--disallow_services" => parsed.rules.disallow_services = true,
            "--experimental_editions" => parsed.experimental_editions = true,
            "--unsafe_allow_out_dir_escape" => parsed.unsafe_allow_out_dir_escape = true,
            "--edition_defaults_out" => {
                if parsed.edition_defaults_out.is_some() {
                    return Err(UsageError(format!("{name} may only be passed once.")));
                }
                if value.is_empty() {
                    return Err(UsageError(format!("{name} requires a non-empty value.")));
                }
                if !parsed.compiling() {
                    return Err(UsageError(
                        "Cannot use --encode or --decode and generate defaults at the same time."
                            .into(),
                    ));
                }
                parsed.edition_defaults_out = Some(PathBuf::from(&value));
            }
            "--edition_defaults_minimum" | "--edition_defaults_maximum" => {
                let slot = if name == "--edition_defaults_minimum" {
                    &mut parsed.edition_defaults_minimum
                } else {
                    &mut parsed.edition_defaults_maximum
                };
                if slot.is_some() {
                    return Err(UsageError(format!("{name} may only be passed once.")));
                }
                *slot = Some(
                    crate::feature_check::edition_by_name(&value).ok_or_else(|| {
                        UsageError(format!("{name} unknown edition \"{value}\"."))
                    })?,
                );
            }
            "--print_free_field_numbers" => {
                if !parsed.compiling() {
                    return Err(UsageError(format!(
                        "Cannot use {name} and use --encode, --decode or print other info at the same time."
                    )));
                }
                if !parsed.outputs.is_empty() || parsed.descriptor_set_out.is_some() {
                    return Err(UsageError(format!(
                        "Cannot use {name} and generate code or descriptors at the same time."
                    )));
                }
                parsed.print_free_field_numbers = true;
            }
            // protoc sets the variable for the plugins it starts; any value turns it on.
            "--enable_codegen_trace" => parsed.codegen_trace = true,
            "--notices" => return Ok(Parsed::Print(format!("{}\n", protoc_notices()))),
            // protoc no longer reads it, and accepts it for old build scripts.
            "--experimental_allow_proto3_optional" => {}
            "--direct_dependencies" | "--option_dependencies" => {
                let (allowed, what) = if name == "--direct_dependencies" {
                    (&mut direct.0, "direct")
                } else {
                    (&mut option.0, "option")
                };
                if allowed.is_some() {
                    return Err(UsageError(format!(
                        "{name} may only be passed once. To specify multiple {what} dependencies, pass them all as a single parameter separated by ':'."
                    )));
                }
                *allowed = Some(
                    value
                        .split(':')
                        .filter(|p| !p.is_empty())
                        .map(str::to_string)
                        .collect(),
                );
            }
            "--direct_dependencies_violation_msg" => direct.1 = Some(value),
            "--option_dependencies_violation_msg" => option.1 = Some(value),
            "--error_format" => {
                parsed.error_format = match value.as_str() {
                    "gcc" => ErrorFormat::Gcc,
                    "msvs" => ErrorFormat::Msvs,
                    _ => return Err(UsageError(format!("Unknown error format: {value}"))),
                }
            }
            "--descriptor_set_in" => {
                if descriptor_set_in_seen {
                    return Err(UsageError(
                        "--descriptor_set_in may only be passed once. To specify multiple descriptor sets, pass them all as a single parameter separated by ':'.".into(),
                    ));
                }
                descriptor_set_in_seen = true;
                if value.is_empty() {
                    return Err(UsageError(format!("{name} requires a non-empty value.")));
                }
                if parsed.dependency_out.is_some() {
                    return Err(UsageError(format!(
                        "{name} cannot be used with --dependency_out."
                    )));
                }
                parsed.descriptor_set_in = value
                    .split(':')
                    .filter(|p| !p.is_empty())
                    .map(PathBuf::from)
                    .collect();
            }
            "--plugin" => {
                let (plugin, path) = match value.split_once('=') {
                    Some((n, p)) => (n.to_string(), p),
                    None => (plugin_name_from_path(&value), value.as_str()),
                };
                parsed.plugins.push((plugin, PathBuf::from(path)));
            }
            "--compiler-version" => {
                parsed.compiler_version = Some(value.parse().map_err(UsageError)?)
            }
            "--plugin-memory-limit" => {
                parsed.limits.memory_bytes = Some(parse_size(&name, &value).map_err(UsageError)?)
            }
            "--plugin-output-limit" => {
                parsed.limits.stdout_bytes = Some(parse_size(&name, &value).map_err(UsageError)?)
            }
            "--plugin-timeout" => {
                parsed.limits.timeout = Some(parse_duration(&name, &value).map_err(UsageError)?)
            }
            "--timings" => parsed.timings = true,
            "--no-cache" => parsed.output_cache = CacheMode::Off,
            "--verify-cache" => parsed.output_cache = CacheMode::Verify,
            "--remote-cache" => parsed.remote_cache.url = Some(value),
            "--remote-cache-read-only" => parsed.remote_cache.read_only = true,
            "--remote-cache-modules" => parsed.remote_cache.modules = true,
            "--remote-cache-timeout" => {
                parsed.remote_cache.timeout =
                    Some(parse_duration(&name, &value).map_err(UsageError)?)
            }
            "--encode" | "--decode" | "--decode_raw" => {
                parsed.codec = Some(codec_flag(&parsed, &name, value)?);
            }
            "--deterministic_output" => parsed.deterministic_output = true,
            n if n.starts_with("--") && n.ends_with("_out") && n.len() > "--_out".len() => {
                if !parsed.compiling() {
                    return Err(UsageError(
                        "Cannot use --encode, --decode or print .proto info and generate code at the same time.".into(),
                    ));
                }
                let lang = &n[2..n.len() - 4];
                let (param, location) = match value.split_once(':') {
                    Some((p, l)) => (p.to_string(), l.to_string()),
                    None => (String::new(), value.clone()),
                };
                out_params.push(param);
                parsed.outputs.push(OutputDirective {
                    flag: n.to_string(),
                    plugin_name: format!("protoc-gen-{lang}"),
                    parameter: String::new(),
                    location: crate::output::normalize_location(&location),
                });
            }
            n if n.starts_with("--") && n.ends_with("_opt") && n.len() > "--_opt".len() => {
                opts.push((format!("protoc-gen-{}", &n[2..n.len() - 4]), value));
            }
            n => return Err(UsageError(format!("Unknown flag: {n}"))),
        }
    }

    // An `--X_opt` with no `--X_out` is reported the way protoc reports it.
    if let Some((plugin, _)) = opts
        .iter()
        .find(|(p, _)| !parsed.outputs.iter().any(|o| &o.plugin_name == p))
    {
        let lang = plugin.trim_start_matches("protoc-gen-");
        return Err(UsageError(format!("Unknown flag: --{lang}_opt")));
    }
    for (directive, param) in parsed.outputs.iter_mut().zip(out_params) {
        directive.parameter = merge_parameter(
            param,
            opts.iter()
                .filter(|(p, _)| *p == directive.plugin_name)
                .map(|(_, v)| v.as_str()),
        );
    }

    // A rule exists once its flag is given; a violation message alone sets none.
    let rule = |(allowed, message): DependencyFlags, default: &str| {
        allowed.map(|allowed| DependencyRule {
            allowed,
            message: message.unwrap_or_else(|| default.to_string()),
        })
    };
    parsed.rules.direct_dependencies = rule(direct, DIRECT_DEPENDENCIES_MESSAGE);
    parsed.rules.option_dependencies = rule(option, OPTION_DEPENDENCIES_MESSAGE);
    // protoc's checks once every flag is read, in its order.
    let definitions = !parsed.inputs.is_empty() || !parsed.descriptor_set_in.is_empty();
    let missing_input = match &parsed.codec {
        Some(Codec::DecodeRaw) if definitions => {
            return Err(UsageError(
                "When using --decode_raw, no input files should be given.".into(),
            ))
        }
        Some(Codec::DecodeRaw) => false,
        _ if !parsed.compiling() => !definitions,
        _ => parsed.inputs.is_empty(),
    };
    if missing_input {
        return Err(UsageError("Missing input file.".into()));
    }
    if parsed.compiling()
        && parsed.outputs.is_empty()
        && parsed.descriptor_set_out.is_none()
        && parsed.edition_defaults_out.is_none()
    {
        return Err(UsageError("Missing output directives.".into()));
    }
    if !parsed.compiling() && parsed.dependency_out.is_some() {
        return Err(UsageError(
            "Can only use --dependency_out=FILE when generating code.".into(),
        ));
    }
    if parsed.deterministic_output && !matches!(parsed.codec, Some(Codec::Encode(_))) {
        return Err(UsageError(
            "Can only use --deterministic_output with --encode.".into(),
        ));
    }
    if parsed.dependency_out.is_some() && parsed.inputs.len() > 1 {
        return Err(UsageError(
            "Can only process one input file when using --dependency_out=FILE.".into(),
        ));
    }
    if parsed.descriptor_set_out.is_none() {
        for (set, flag) in [
            (parsed.include_imports, "--include_imports"),
            (parsed.include_source_info, "--include_source_info"),
            (parsed.retain_options, "--retain_options"),
        ] {
            if set {
                parsed.warnings.push(format!(
                    "{flag} only makes sense when combined with --descriptor_set_out."
                ));
            }
        }
    }
    Ok(Parsed::Run(Box::new(parsed)))
}

/// The second line protoc adds to errors about `--decode`'s value.
const DECODE_RAW_HINT: &str = "\nTo decode an unknown message, use --decode_raw.";

/// `--encode=T`, `--decode=T` or `--decode_raw`, checked as protoc checks it when it is read.
fn codec_flag(parsed: &ProtocArgs, name: &str, value: String) -> Result<Codec, UsageError> {
    if !parsed.compiling() {
        return Err(UsageError(
            "Only one of --encode and --decode can be specified.".into(),
        ));
    }
    if !parsed.outputs.is_empty() || parsed.descriptor_set_out.is_some() {
        return Err(UsageError(format!(
            "Cannot use {name} and generate code or descriptors at the same time."
        )));
    }
    match name {
        "--decode_raw" if !value.is_empty() => {
            Err(UsageError("--decode_raw does not take a parameter.".into()))
        }
        "--decode_raw" => Ok(Codec::DecodeRaw),
        _ if value.is_empty() => {
            let hint = if name == "--decode" {
                DECODE_RAW_HINT
            } else {
                ""
            };
            Err(UsageError(format!(
                "Type name for {name} cannot be blank.{hint}"
            )))
        }
        "--encode" => Ok(Codec::Encode(value)),
        _ => Ok(Codec::Decode(value)),
    }
}

/// `--name=value` -> (name, Some(value)); `--name` -> (name, None); `-Ivalue` -> ("-I", Some(value)).
fn split_flag(arg: &str) -> (String, Option<String>) {
    if arg.starts_with("--") {
        match arg.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (arg.to_string(), None),
        }
    } else {
        // Single-dash flags are one letter; the rest of the argument is the value.
        let split = arg.char_indices().nth(2).map_or(arg.len(), |(i, _)| i);
        let (n, v) = arg.split_at(split);
        (n.to_string(), (!v.is_empty()).then(|| v.to_string()))
    }
}

/// protoc's rule: append ',' when the buffer is non-empty, then the value.
fn merge_parameter<'a>(mut parameter: String, opts: impl Iterator<Item = &'a str>) -> String {
    for opt in opts {
        if !parameter.is_empty() {
            parameter.push(',');
        }
        parameter.push_str(opt);
    }
    parameter
}

/// `--plugin=PATH`: the plugin's name is the file name. protoc strips nothing on Unix; protowasm also
/// strips `.wasm`, so `--plugin=dir/protoc-gen-prost.wasm` serves `--prost_out`.
fn plugin_name_from_path(path: &str) -> String {
    let base = path.rsplit('/').next().unwrap_or(path);
    base.strip_suffix(".wasm").unwrap_or(base).to_string()
}

fn help_text(program: &str) -> String {
    format!(
        "Usage: {program} [OPTION] PROTO_FILES
Compile .proto files and generate code with protoc plugins, run as WebAssembly
modules or native executables. protowasm accepts protoc {PROTOC_VERSION}'s command line;
this build supports:
  -IPATH, --proto_path=PATH   A directory to search for imports (VIRT=DISK maps
                              the virtual prefix VIRT to the directory DISK).
                              May be given several times, or ':'-separated;
                              searched in order. Without -I (and without
                              --descriptor_set_in), the current directory.
                              protoc's well-known types are built in.
  --descriptor_set_in=FILES   A ':'-separated list of FileDescriptorSet files,
                              consulted after the -I directories. With no -I,
                              PROTO_FILES name files inside these sets.
  -oFILE,                     Write a FileDescriptorSet of the input files to
    --descriptor_set_out=FILE FILE, as protoc writes it.
  --include_imports           With -o: include every imported file.
  --include_source_info       With -o: keep SourceCodeInfo.
  --retain_options            With -o: keep options with source retention.
  --dependency_out=FILE       Write a make-style dependency file (one input).
  --error_format=FORMAT       gcc (default) or msvs.
  --disallow_services         Fail if an input declares a service.
  --direct_dependencies=FILES  ':'-separated files the inputs may import;
                              an import of any other fails the run.
  --direct_dependencies_violation_msg=MSG  Its message (%s: the file).
  --option_dependencies=FILES  The same for `import option`.
  --option_dependencies_violation_msg=MSG
  --NAME_out=[PARAMS:]DIR     Run protoc-gen-NAME and write its output to DIR
                              (or to a .zip, .jar or .srcjar archive).
  --NAME_opt=PARAMS           Extra parameters for protoc-gen-NAME.
  --plugin=EXECUTABLE         A plugin: a .wasm module (WASI preview 1) or a
                              native executable. NAME=PATH maps a plugin name
                              to a path; PATH alone takes the file name (with
                              any .wasm suffix removed) as the plugin name.
  @<filename>                 Read arguments from a file, one per line.
  --version                   Show version info and exit.
  -h, --help                  Show this text and exit.
protowasm's own flags:
  --plugin-memory-limit=SIZE  Linear memory cap per wasm plugin (default 3GiB).
  --plugin-timeout=DURATION   Wall-clock limit per plugin (default 300s).
  --plugin-output-limit=SIZE  Cap on a plugin's response size (default 256MiB).
  --compiler-version=X.Y.Z[-S]  compiler_version sent to plugins (default 7.36.2,
                              what protoc {PROTOC_VERSION} sends).
  --no-cache                  Run every wasm plugin, without the output cache.
  --verify-cache              Run every wasm plugin and fail if a cached response
                              differs (the cache assumes plugins are
                              deterministic).
  --remote-cache=URL          A Bazel HTTP remote cache shared by machines
                              (https://HOST[/INSTANCE]; http:// on loopback), behind
                              the local cache. Also $PROTOWASM_REMOTE_CACHE.
                              Credentials: $PROTOWASM_REMOTE_CACHE_TOKEN, or
                              $PROTOWASM_REMOTE_CACHE_USER and _PASSWORD.
  --remote-cache-read-only    Read the remote cache, never write it.
  --remote-cache-modules      Share compiled modules too: code from the cache is
                              executed, so only if you trust its writers.
  --remote-cache-timeout=DURATION  Bound on each request to it (default 10s).
  --timings                   Print where the time went, to stderr.
"
    )
}

/// What protoc 36.2 prints for `--notices` (its third-party notices), taken from the protoc of
/// the crate protoc-bin-vendored at build time (build.rs).
fn protoc_notices() -> &'static str {
    include_str!(concat!(env!("OUT_DIR"), "/protoc_notices.txt"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn run(args: &[&str]) -> Result<ProtocArgs, UsageError> {
        match parse(args.iter().map(|s| s.to_string()).collect(), "protoc")? {
            Parsed::Run(a) => Ok(*a),
            Parsed::Print(p) => panic!("unexpected print: {p}"),
        }
    }

    fn err(args: &[&str]) -> String {
        run(args).unwrap_err().0
    }

    #[test]
    fn opts_merge_as_protoc_merges_them() {
        // Checked against protoc 36.2: "x,y:out --cap_opt=z --cap_opt=" gives "x,y,z,".
        let a = run(&["--cap_out=x,y:out", "--cap_opt=z", "--cap_opt=", "a.proto"]).unwrap();
        assert_eq!(a.outputs[0].parameter, "x,y,z,");
        // Opts before the directive apply too, and to every directive of that plugin.
        let a = run(&[
            "--cap_opt=a",
            "--cap_out=out",
            "--cap_opt=b",
            "--cap_out=p:out",
            "a.proto",
        ])
        .unwrap();
        assert_eq!(a.outputs[0].parameter, "a,b");
        assert_eq!(a.outputs[1].parameter, "p,a,b");
        // Only the first ':' splits: protoc 36.2 reads `a:b:out` as parameter `a`, location `b:out`.
        let a = run(&["--cap_out=a:b:out", "a.proto"]).unwrap();
        assert_eq!(
            (
                a.outputs[0].parameter.as_str(),
                a.outputs[0].location.as_str()
            ),
            ("a", "b:out/")
        );
        assert_eq!(a.outputs[0].plugin_name, "protoc-gen-cap");
    }

    #[test]
    fn locations_are_normalised() {
        let a = run(&[
            "--a_out=out",
            "--b_out=out/",
            "--c_out=x.zip",
            "--d_out=./out",
            "f.proto",
        ])
        .unwrap();
        let locs: Vec<_> = a.outputs.iter().map(|o| o.location.as_str()).collect();
        assert_eq!(locs, ["out/", "out/", "x.zip", "./out/"]);
    }

    #[test]
    fn values_in_the_next_argument() {
        let a = run(&[
            "--descriptor_set_in",
            "a.pb:b.pb",
            "--plugin",
            "protoc-gen-x=/p/x",
            "--x_out",
            "o",
            "-I",
            "inc",
            "-Iinc2",
            "f.proto",
        ])
        .unwrap();
        assert_eq!(
            a.descriptor_set_in,
            [PathBuf::from("a.pb"), PathBuf::from("b.pb")]
        );
        assert_eq!(
            a.plugins,
            [("protoc-gen-x".to_string(), PathBuf::from("/p/x"))]
        );
        assert_eq!(a.proto_paths, ["inc", "inc2"]);
        assert_eq!(a.inputs, ["f.proto"]);
    }

    #[test]
    fn plugin_name_from_a_bare_path() {
        let a = run(&[
            "--plugin=/x/protoc-gen-prost.wasm",
            "--plugin=./cap.sh",
            "--prost_out=o",
            "f.proto",
        ])
        .unwrap();
        assert_eq!(a.plugins[0].0, "protoc-gen-prost");
        assert_eq!(a.plugins[1].0, "cap.sh");
    }

    #[test]
    fn protoc_error_texts() {
        assert_eq!(
            err(&["--descriptor_set_in", "--cap_out=out", "a.proto"]),
            "Missing value for flag: --descriptor_set_in"
        );
        assert_eq!(
            err(&["--cap_opt=x", "--x_out=o", "a.proto"]),
            "Unknown flag: --cap_opt"
        );
        assert_eq!(err(&["--cap_out=out"]), "Missing input file.");
        assert_eq!(err(&["a.proto"]), "Missing output directives.");
        assert_eq!(err(&["--bogus", "a.proto"]), "Unknown flag: --bogus");
        assert_eq!(
            err(&["--bogus", "--version"]),
            "Missing value for flag: --bogus"
        );
        assert_eq!(
            err(&["--descriptor_set_in=a", "--descriptor_set_in=b", "--x_out=o", "f"]),
            "--descriptor_set_in may only be passed once. To specify multiple descriptor sets, pass them all as a single parameter separated by ':'."
        );
        assert_eq!(
            err(&["@/nonexistent/args"]),
            "Failed to open argument file: /nonexistent/args"
        );
    }

    #[test]
    fn version_wins_as_soon_as_it_is_seen() {
        let p = parse(vec!["--version".into(), "--bogus".into()], "protoc").unwrap();
        assert_eq!(p, Parsed::Print("libprotoc 36.2\n".into()));
        assert!(
            matches!(parse(vec!["-h".into()], "protoc").unwrap(), Parsed::Print(t) if t.starts_with("Usage: protoc"))
        );
    }

    #[test]
    fn argfile_expands_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("args");
        std::fs::write(&file, "--x_out=o\n\nwith space.proto\n").unwrap();
        let a = run(&["a.proto", &format!("@{}", file.display()), "b.proto"]).unwrap();
        assert_eq!(a.inputs, ["a.proto", "with space.proto", "b.proto"]);
    }

    #[test]
    fn protowasm_flags() {
        let a = run(&[
            "--plugin-memory-limit=512MiB",
            "--plugin-timeout=1.5s",
            "--compiler-version=3.21.0-rc1",
            "--x_out=o",
            "f",
        ])
        .unwrap();
        assert_eq!(a.limits.memory_bytes, Some(512 << 20));
        assert_eq!(a.limits.timeout, Some(Duration::from_millis(1500)));
        assert_eq!(
            a.compiler_version,
            Some(CompilerVersion {
                major: 3,
                minor: 21,
                patch: 0,
                suffix: "rc1".into()
            })
        );
        assert!(err(&["--plugin-memory-limit=lots", "--x_out=o", "f"])
            .contains("invalid size \"lots\""));
        assert!(err(&["--plugin-timeout=0", "--x_out=o", "f"]).contains("invalid duration"));
        assert!(err(&["--compiler-version=1.2", "--x_out=o", "f"]).contains("MAJOR.MINOR.PATCH"));
    }
}
