//! The command line: clap for protowasm's own subcommands, `protoc` for the protoc-compatible one.
//! Invoked under the name `protoc` (through a symlink), the binary behaves as `protowasm protoc`.

pub mod buf_generate;
pub mod codec_run;
pub mod plugin;
pub mod protoc;
pub mod protoc_run;

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::cache::{prune, BlobCache, DigestMemo, ModuleCache, RemoteCache};
use crate::config::remote_cache::RemoteFlags;
use crate::config::Registry;
use crate::engine;
use crate::model::Run;
use crate::plugins::{format_size, parse_duration, parse_size};

#[derive(Parser, Debug)]
#[command(
    name = "protowasm",
    version,
    about = "Run protoc plugins compiled to WebAssembly: protoc-compatible, cached, in parallel"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// protoc's command line: `protowasm protoc -I proto --prost_out=out proto/a.proto`.
    /// Run `protowasm protoc --help` for its flags.
    #[command(disable_help_flag = true)]
    Protoc {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Generate code from a buf.gen.yaml (v2, v1 or v1beta1) on the buf.yaml workspace:
    /// `protowasm generate [DIR] [--template F]`.
    Generate(buf_generate::GenerateArgs),
    /// Remove what the last `generate` wrote (as its manifests record), and nothing else.
    Clean(buf_generate::CleanArgs),
    /// Manage the caches: compiled plugin modules, plugin responses (the output cache) and
    /// compiled runs (the compile cache).
    Cache {
        #[command(subcommand)]
        action: CacheAction,
    },
    /// Manage the wasm plugins in plugins-registry.toml and the plugin store beside it.
    Plugin {
        #[command(subcommand)]
        action: plugin::PluginAction,
    },
}

#[derive(Subcommand, Debug)]
enum CacheAction {
    /// Print the cache directory ($PROTOWASM_CACHE_DIR, or the platform cache directory).
    Dir,
    /// List the compiled modules in the cache, and count the cached responses and compiled runs.
    List,
    /// Remove the least recently used entries until the cache fits: to `--max` (default
    /// $PROTOWASM_CACHE_MAX, else 4 GiB), and every entry unused for `--older-than`.
    Prune {
        /// The size to prune to, e.g. 2GiB (0 empties the cache).
        #[arg(long, value_name = "SIZE")]
        max: Option<String>,
        /// Also remove every entry not used for this long, e.g. 30d or 12h.
        #[arg(long, value_name = "DURATION")]
        older_than: Option<String>,
    },
    /// Empty the cache: compiled modules, cached responses and compiled runs.
    Clean {
        /// Remove only the compiled modules (and the remembered digests of module files).
        #[arg(long, conflicts_with = "responses")]
        modules: bool,
        /// Remove only the cached plugin responses.
        #[arg(long)]
        responses: bool,
    },
}

/// Entry point: decides between protoc mode and protowasm's subcommands.
pub fn main(args: Vec<OsString>) -> ExitCode {
    let invoked_as = args.first().map(|a| {
        std::path::Path::new(a)
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned()
    });
    if invoked_as.as_deref() == Some("protoc") {
        let program = args[0].to_string_lossy().into_owned();
        return run_protoc(
            args.into_iter()
                .skip(1)
                .map(|a| a.to_string_lossy().into_owned())
                .collect(),
            &program,
        );
    }
    let cli = Cli::parse_from(args);
    match cli.command {
        Command::Protoc { args } => run_protoc(args, "protowasm protoc"),
        Command::Cache { action } => run_cache(action),
        Command::Generate(args) => run_generate(&args),
        Command::Clean(args) => match buf_generate::clean(&args) {
            Ok(removed) => {
                for path in removed {
                    println!("removed {}", path.display());
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{e}");
                ExitCode::FAILURE
            }
        },
        Command::Plugin { action } => match std::env::current_dir() {
            Ok(cwd) => plugin::run(action, &cwd),
            Err(e) => {
                eprintln!("protowasm: the working directory: {e}");
                ExitCode::FAILURE
            }
        },
    }
}

fn run_protoc(args: Vec<String>, program: &str) -> ExitCode {
    let parsed = match protoc::parse(args, program) {
        Ok(protoc::Parsed::Print(text)) => {
            print!("{text}");
            return ExitCode::SUCCESS;
        }
        Ok(protoc::Parsed::Run(parsed)) => parsed,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(codec) = parsed.codec.clone() {
        return codec_run::run(*parsed, &codec);
    }
    // The registry is read only when a plugin may come from it.
    let registry = if parsed.outputs.is_empty() {
        Ok(Registry::default())
    } else {
        std::env::current_dir()
            .map_err(|e| format!("the working directory: {e}"))
            .and_then(|cwd| Registry::discover(&cwd))
    };
    let registry = match registry {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let timings = parsed.timings;
    let remote = parsed.remote_cache.clone();
    execute(&protoc_run::to_run(*parsed, &registry), timings, &remote)
}

fn run_generate(args: &buf_generate::GenerateArgs) -> ExitCode {
    let cwd = match std::env::current_dir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("protowasm generate: the working directory: {e}");
            return ExitCode::FAILURE;
        }
    };
    match buf_generate::to_run(args, &cwd) {
        Ok(run) => execute(&run, args.timings, &args.remote_flags()),
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// `42s`, `17m`, `5h`, `3d`: an age in its largest whole unit.
fn format_age(age: std::time::Duration) -> String {
    let s = age.as_secs();
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86400 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86400),
    }
}

/// Runs `run` and reports it: timings on request, failures as protoc prints them.
fn execute(run: &Run, timings: bool, remote: &RemoteFlags) -> ExitCode {
    let remote = match remote.resolve() {
        Ok(settings) => settings.map(|s| std::sync::Arc::new(RemoteCache::new(s))),
        Err(e) => {
            eprintln!("protowasm: {e}");
            return ExitCode::FAILURE;
        }
    };
    let cache = ModuleCache::from_env().with_remote(remote.clone());
    let dir = cache.dir().map(|d| d.to_path_buf());
    let result = engine::execute(run, cache);
    // Uploads started during the run may still be in flight; the exit waits for them, bounded.
    if let Some(remote) = &remote {
        remote.finish();
    }
    if let Some(dir) = dir {
        prune::after_run(&dir);
    }
    match result {
        Ok(report) => {
            if timings {
                let mut err = std::io::stderr().lock();
                for line in &report.timings {
                    let _ = writeln!(err, "timing: {line}");
                }
                let _ = writeln!(
                    err,
                    "timing: {} files written, {} unchanged",
                    report.files_written, report.files_unchanged
                );
            }
            ExitCode::SUCCESS
        }
        Err(failure) => {
            // No lines: the reason is already on stderr (--fatal_warnings).
            if !failure.lines.is_empty() {
                eprintln!("{failure}");
            }
            ExitCode::FAILURE
        }
    }
}

fn run_cache(action: CacheAction) -> ExitCode {
    let cache = ModuleCache::from_env();
    let Some(dir) = cache.dir() else {
        eprintln!("protowasm: no cache directory: set PROTOWASM_CACHE_DIR");
        return ExitCode::FAILURE;
    };
    let responses = BlobCache::responses(Some(dir));
    let result = match action {
        CacheAction::Dir => {
            println!("{}", dir.display());
            Ok(())
        }
        CacheAction::List => cache.list().and_then(|modules| {
            let now = std::time::SystemTime::now();
            let age = |used| format_age(now.duration_since(used).unwrap_or_default());
            for e in &modules {
                println!(
                    "{}  {:>10}  used {:>4} ago  {}",
                    e.module_sha256,
                    format_size(e.size),
                    age(e.last_used),
                    e.path.display()
                );
            }
            let total: u64 = modules.iter().map(|e| e.size).sum();
            println!("{} modules, {}", modules.len(), format_size(total));
            // Least recently used first, so the first is the oldest.
            let entries = prune::entries(dir)?;
            for (kind, what) in [
                (crate::cache::RESPONSES, "cached responses"),
                (crate::cache::COMPILED, "compiled runs"),
            ] {
                let of_kind: Vec<_> = entries
                    .iter()
                    .filter(|e| e.path.extension().is_some_and(|x| x == kind.ext))
                    .collect();
                let oldest = of_kind
                    .first()
                    .map(|e| format!("; least recently used {} ago", age(e.last_used)))
                    .unwrap_or_default();
                let bytes: u64 = of_kind.iter().map(|e| e.size).sum();
                println!("{} {what}, {}{oldest}", of_kind.len(), format_size(bytes));
            }
            Ok(())
        }),
        CacheAction::Prune { max, older_than } => (|| {
            let bounds = prune::Bounds {
                max: match max {
                    Some(text) => Some(parse_size("--max", &text).map_err(std::io::Error::other)?),
                    None => prune::max_from_env().map_err(std::io::Error::other)?,
                },
                older_than: older_than
                    .map(|text| parse_duration("--older-than", &text))
                    .transpose()
                    .map_err(std::io::Error::other)?,
            };
            let pruned = prune::prune(dir, bounds, std::time::SystemTime::now())?;
            println!(
                "removed {} entries ({}); {} left ({}) in {}",
                pruned.removed,
                format_size(pruned.removed_bytes),
                pruned.kept,
                format_size(pruned.kept_bytes),
                dir.display()
            );
            Ok(())
        })(),
        CacheAction::Clean {
            modules,
            responses: only_responses,
        } => (|| {
            let mut removed = (0, 0);
            if !only_responses {
                removed = cache.clean()?;
                // Bookkeeping, not counted: the remembered digests of module files.
                DigestMemo::new(Some(dir)).clean()?;
            }
            if !modules {
                let (files, bytes) = responses.clean()?;
                removed = (removed.0 + files, removed.1 + bytes);
            }
            // Compiled runs go with everything but the modules alone.
            if !modules && !only_responses {
                let (files, bytes) = BlobCache::compiled(Some(dir)).clean()?;
                removed = (removed.0 + files, removed.1 + bytes);
            }
            println!(
                "removed {} files ({}) from {}",
                removed.0,
                format_size(removed.1),
                dir.display()
            );
            Ok(())
        })(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("protowasm: cache at {}: {e}", dir.display());
            ExitCode::FAILURE
        }
    }
}
