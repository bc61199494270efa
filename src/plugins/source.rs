//! Where a plugin's program comes from, and how it becomes something to run.
//!
//! [`resolve`] is protoc's lookup with protowasm's registry in it: `--plugin=NAME=PATH` (the
//! last one for a name wins), else the `plugins-registry.toml` entry for NAME, else
//! `protoc-gen-NAME` and then `protoc-gen-NAME.wasm` on PATH. The front-ends call it when they
//! build the run; the engine calls [`PluginSource::prepare`] once the inputs compiled, so a run
//! that fails to compile downloads nothing. A new kind of source (protoc's built-in generators,
//! OCI references, buf's remote names) is a new variant here and an arm in each of the two.

use std::path::{Path, PathBuf};

use super::{is_wasm_file, LimitFlags, Plugin, PluginKind};
use crate::config::{registry, Registry, RegistryEntry};

/// A plugin's program.
#[derive(Debug, Clone, PartialEq)]
pub enum PluginSource {
    /// A file the user named (`--plugin`, or a path in a template): a wasm module or a native
    /// executable, told apart by its magic bytes when it runs.
    File(PathBuf),
    /// Found on PATH.
    OnPath(PathBuf),
    /// A program and its arguments (a template's `local:` list): a path, or a name looked up
    /// on PATH when it runs.
    Command(Vec<String>),
    /// Not found: running it reports protoc's "program not found".
    NotFound,
    /// protoc's built-in generator of the plugin's name, run by this protoc (its path, then
    /// arguments before protowasm's): buf's `protoc_builtin` with `protoc_path`.
    Protoc(Vec<String>),
    /// A pinned wasm module of the registry at `registry` (a URL source is downloaded into the
    /// plugin store beside that file when first used).
    Registry {
        entry: Box<RegistryEntry>,
        registry: Option<PathBuf>,
    },
}

/// A plugin name resolved: its source and what a registry entry adds to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub source: PluginSource,
    /// Options sent before the user's parameter (a registry entry's `opt`).
    pub default_opts: Vec<String>,
    /// Limits a registry entry sets; command-line flags win over them.
    pub limits: LimitFlags,
    /// The registry entry says the plugin generates each file on its own.
    pub per_file: bool,
}

impl Resolved {
    /// The parameter to send: the default options, then `user`'s, joined with ','.
    pub fn parameter(&self, user: &str) -> String {
        let mut parameter = self.default_opts.join(",");
        if !user.is_empty() {
            if !parameter.is_empty() {
                parameter.push(',');
            }
            parameter.push_str(user);
        }
        parameter
    }
}

/// Resolves plugin `name` (`protoc-gen-NAME`) against the `--plugin` mappings `explicit` (in
/// command-line order) and `registry`. Never fails: a plugin that cannot be found is reported
/// when it runs, with protoc's text.
pub fn resolve(name: &str, explicit: &[(String, PathBuf)], registry: &Registry) -> Resolved {
    let plain = |source| Resolved {
        source,
        default_opts: Vec::new(),
        limits: LimitFlags::default(),
        per_file: false,
    };
    if let Some((_, path)) = explicit.iter().rev().find(|(n, _)| n == name) {
        return plain(PluginSource::File(path.clone()));
    }
    let short = name.trim_start_matches("protoc-gen-");
    if let Some(entry) = registry.get(short) {
        return Resolved {
            source: PluginSource::Registry {
                entry: Box::new(entry.clone()),
                registry: registry.file.clone(),
            },
            default_opts: entry.opt.clone(),
            limits: LimitFlags {
                memory_bytes: entry.memory_limit,
                stdout_bytes: None,
                timeout: entry.timeout,
            },
            per_file: entry.per_file.holds_for(short),
        };
    }
    plain(match search_path(name) {
        Some(path) => PluginSource::OnPath(path),
        None => PluginSource::NotFound,
    })
}

impl PluginSource {
    /// The runnable plugin `name` from this source. A registry module is downloaded if its
    /// source is a URL and the store lacks it, and must be a WebAssembly module; errors start
    /// with `origin` (where the user declared the plugin). A file that cannot be read becomes a
    /// native plugin, so that running it reports protoc's error.
    pub fn prepare(&self, name: &str, origin: &str) -> Result<Plugin, String> {
        let at_path = |path: &Path| {
            Plugin::at_path(name, path).unwrap_or_else(|_| Plugin::native(name, path))
        };
        match self {
            PluginSource::File(path) | PluginSource::OnPath(path) => Ok(at_path(path)),
            PluginSource::NotFound => Ok(Plugin::native(name, Path::new(name))),
            PluginSource::Command(command) => {
                let path = program_path(command.first().map_or("", String::as_str));
                Ok(Plugin {
                    args: command.get(1..).unwrap_or_default().to_vec(),
                    ..at_path(&path)
                })
            }
            PluginSource::Registry { entry, registry } => {
                prepare_registry(name, origin, entry, registry.as_deref())
            }
            PluginSource::Protoc(command) => {
                let path = program_path(command.first().map_or("protoc", String::as_str));
                Ok(Plugin {
                    args: command.get(1..).unwrap_or_default().to_vec(),
                    kind: PluginKind::Protoc,
                    ..Plugin::native(name, &path)
                })
            }
        }
    }

    /// What protoc names in "program not found": the path the user gave, else the plugin name.
    pub fn program(&self, name: &str) -> String {
        match self {
            PluginSource::File(path) => path.display().to_string(),
            PluginSource::Command(command) | PluginSource::Protoc(command) => command.join(" "),
            _ => name.to_string(),
        }
    }
}

fn prepare_registry(
    name: &str,
    origin: &str,
    entry: &RegistryEntry,
    registry: Option<&Path>,
) -> Result<Plugin, String> {
    let file = registry.map_or_else(
        || "the plugin registry".to_string(),
        |f| f.display().to_string(),
    );
    let where_ = format!("{origin}: plugin \"{}\" in {file}", entry.name);
    registry::fetch(registry, entry).map_err(|e| format!("{origin}: {e}"))?;
    match is_wasm_file(&entry.path) {
        Ok(true) => {}
        Ok(false) => {
            return Err(format!(
                "{where_}: {} is not a WebAssembly module",
                entry.path.display()
            ))
        }
        Err(e) => return Err(format!("{where_}: {}: {e}", entry.path.display())),
    }
    Ok(Plugin {
        name: name.to_string(),
        path: entry.path.clone(),
        kind: PluginKind::Wasm,
        expected_sha256: Some(entry.sha256),
        args: Vec::new(),
        env: entry.env.clone(),
    })
}

/// A command's program: a path as given, or a name looked up on PATH (left as it is when not
/// found, so that running it reports protoc's error).
fn program_path(program: &str) -> PathBuf {
    match program.contains('/') {
        true => PathBuf::from(program),
        false => search_path(program).unwrap_or_else(|| PathBuf::from(program)),
    }
}

/// `name`, then `name.wasm`, in each PATH directory in turn: an executable file, or any
/// `.wasm` file.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_explicit_mapping_wins_over_the_registry() {
        let registry = Registry::parse(
            "[plugins.x]\nsource = \"x.wasm\"\nsha256 = \"00000000000000000000000000000000000000000000000000000000000000ff\"\nopt = [\"a\"]\n",
            Path::new("/r"),
        )
        .unwrap();
        let explicit = vec![
            ("protoc-gen-x".to_string(), PathBuf::from("/first")),
            ("protoc-gen-x".to_string(), PathBuf::from("/second")),
        ];
        let r = resolve("protoc-gen-x", &explicit, &registry);
        assert_eq!(r.source, PluginSource::File(PathBuf::from("/second")));
        assert_eq!(r.parameter("b"), "b");
        assert_eq!(r.source.program("protoc-gen-x"), "/second");

        let r = resolve("protoc-gen-x", &[], &registry);
        assert!(matches!(r.source, PluginSource::Registry { .. }));
        assert_eq!(r.parameter("b"), "a,b");
        assert_eq!(r.parameter(""), "a");
        assert_eq!(r.source.program("protoc-gen-x"), "protoc-gen-x");
    }

    #[test]
    fn an_unknown_name_is_not_found_until_it_runs() {
        let r = resolve(
            "protoc-gen-surely-not-on-path-1f3a",
            &[],
            &Registry::default(),
        );
        assert_eq!(r.source, PluginSource::NotFound);
        let plugin = r
            .source
            .prepare("protoc-gen-surely-not-on-path-1f3a", "--x_out")
            .unwrap();
        assert_eq!(plugin.kind, PluginKind::Native);
    }
}
