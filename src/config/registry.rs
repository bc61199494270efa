//! `plugins-registry.toml`: named wasm plugins, each pinned by sha256.
//!
//! ```toml
//! [plugins.go]                                  # serves --go_out
//! source = "plugins/protoc-gen-go.wasm"         # relative to this file
//! sha256 = "0f3c..."                            # checked every time the plugin is loaded
//! version = "1.28.1"
//! description = "Go code (google.golang.org/protobuf)"
//! opt = ["paths=source_relative"]               # default options, before the user's
//! memory_limit = "3GiB"                         # overrides the default, not a command-line flag
//! timeout = "300s"
//! env = ["GOGC=off", "TZ"]                      # NAME=VALUE sets; NAME passes the host's value
//! ```
//!
//! The file is found at `$PROTOWASM_REGISTRY`, or else by walking up from the working directory.
//! Parsing is strict: an unknown key is an error that names it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::cli::protoc::{parse_duration, parse_size};

pub const FILE_NAME: &str = "plugins-registry.toml";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRegistry {
    #[serde(default)]
    plugins: BTreeMap<String, RawEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    source: String,
    sha256: String,
    version: Option<String>,
    description: Option<String>,
    #[serde(default)]
    opt: Vec<String>,
    memory_limit: Option<String>,
    timeout: Option<String>,
    #[serde(default)]
    env: Vec<String>,
}

/// One plugin, resolved: paths absolute, sizes and durations parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct RegistryEntry {
    pub name: String,
    pub path: PathBuf,
    pub sha256: [u8; 32],
    pub version: Option<String>,
    pub description: Option<String>,
    pub opt: Vec<String>,
    pub memory_limit: Option<u64>,
    pub timeout: Option<Duration>,
    /// Environment variables the plugin sees, resolved from the allow-list.
    pub env: Vec<(String, String)>,
}

#[derive(Debug, Default)]
pub struct Registry {
    pub file: Option<PathBuf>,
    entries: BTreeMap<String, RegistryEntry>,
}

impl Registry {
    /// The registry in effect for `cwd`: `$PROTOWASM_REGISTRY`, else the nearest
    /// `plugins-registry.toml` in `cwd` or above it, else an empty registry.
    pub fn discover(cwd: &Path) -> Result<Registry, String> {
        if let Some(path) = std::env::var_os("PROTOWASM_REGISTRY").filter(|p| !p.is_empty()) {
            return Registry::load(Path::new(&path));
        }
        for dir in cwd.ancestors() {
            let candidate = dir.join(FILE_NAME);
            if candidate.is_file() {
                return Registry::load(&candidate);
            }
        }
        Ok(Registry::default())
    }

    pub fn load(path: &Path) -> Result<Registry, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        let mut registry =
            Registry::parse(&text, base).map_err(|e| format!("{}: {e}", path.display()))?;
        registry.file = Some(path.to_path_buf());
        Ok(registry)
    }

    /// Parses registry text; relative sources are resolved against `base`.
    pub fn parse(text: &str, base: &Path) -> Result<Registry, String> {
        let raw: RawRegistry =
            toml::from_str(text).map_err(|e| e.to_string().trim_end().to_string())?;
        let mut entries = BTreeMap::new();
        for (name, e) in raw.plugins {
            let context = |what: String| format!("plugin \"{name}\": {what}");
            let sha256 = decode_sha256(&e.sha256).map_err(context)?;
            if e.source.starts_with("http://") || e.source.starts_with("https://") {
                return Err(context(format!("source {}: URL sources are not supported yet; download the module and give its path", e.source)));
            }
            let path = base.join(&e.source);
            let memory_limit = e
                .memory_limit
                .map(|v| parse_size("memory_limit", &v))
                .transpose()
                .map_err(|u| context(u.0))?;
            let timeout = e
                .timeout
                .map(|v| parse_duration("timeout", &v))
                .transpose()
                .map_err(|u| context(u.0))?;
            let env = e
                .env
                .iter()
                .filter_map(|item| match item.split_once('=') {
                    Some((k, v)) => Some((k.to_string(), v.to_string())),
                    None => std::env::var(item).ok().map(|v| (item.clone(), v)),
                })
                .collect();
            let entry = RegistryEntry {
                name: name.clone(),
                path,
                sha256,
                version: e.version,
                description: e.description,
                opt: e.opt,
                memory_limit,
                timeout,
                env,
            };
            entries.insert(name, entry);
        }
        Ok(Registry {
            file: None,
            entries,
        })
    }

    /// The entry serving `--NAME_out`.
    pub fn get(&self, name: &str) -> Option<&RegistryEntry> {
        self.entries.get(name)
    }

    pub fn entries(&self) -> impl Iterator<Item = &RegistryEntry> {
        self.entries.values()
    }
}

fn decode_sha256(text: &str) -> Result<[u8; 32], String> {
    let bytes = hex::decode(text.trim()).map_err(|_| format!("sha256 \"{text}\" is not hex"))?;
    bytes
        .try_into()
        .map_err(|_| format!("sha256 \"{text}\" is not 64 hex digits"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

    #[test]
    fn entries_resolve_relative_to_the_file() {
        let text = format!(
            "[plugins.go]\nsource = \"wasm/protoc-gen-go.wasm\"\nsha256 = \"{SHA}\"\nversion = \"1.28.1\"\nopt = [\"paths=source_relative\"]\nmemory_limit = \"2GiB\"\ntimeout = \"90s\"\nenv = [\"GOGC=off\"]\n"
        );
        let r = Registry::parse(&text, Path::new("/repo")).unwrap();
        let go = r.get("go").unwrap();
        assert_eq!(go.path, Path::new("/repo/wasm/protoc-gen-go.wasm"));
        assert_eq!(go.sha256[..4], [0x00, 0x11, 0x22, 0x33]);
        assert_eq!(go.opt, ["paths=source_relative"]);
        assert_eq!(go.memory_limit, Some(2 << 30));
        assert_eq!(go.timeout, Some(Duration::from_secs(90)));
        assert_eq!(go.env, [("GOGC".to_string(), "off".to_string())]);
        assert!(r.get("prost").is_none());
    }

    #[test]
    fn strict_parsing_names_the_problem() {
        let unknown =
            format!("[plugins.go]\nsource = \"x.wasm\"\nsha256 = \"{SHA}\"\nsha512 = \"no\"\n");
        assert!(Registry::parse(&unknown, Path::new("."))
            .unwrap_err()
            .contains("unknown field `sha512`"));
        let short = "[plugins.go]\nsource = \"x.wasm\"\nsha256 = \"abcd\"\n";
        assert_eq!(
            Registry::parse(short, Path::new(".")).unwrap_err(),
            "plugin \"go\": sha256 \"abcd\" is not 64 hex digits"
        );
        let missing = "[plugins.go]\nsource = \"x.wasm\"\n";
        assert!(Registry::parse(missing, Path::new("."))
            .unwrap_err()
            .contains("missing field `sha256`"));
        let bad_size = format!(
            "[plugins.go]\nsource = \"x.wasm\"\nsha256 = \"{SHA}\"\nmemory_limit = \"lots\"\n"
        );
        assert!(Registry::parse(&bad_size, Path::new("."))
            .unwrap_err()
            .starts_with("plugin \"go\": memory_limit: invalid size"));
    }
}
