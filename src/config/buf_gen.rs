//! `buf.gen.yaml` (version v2), the template `protowasm generate` reads, so an existing buf
//! setup works unchanged:
//!
//! ```yaml
//! version: v2
//! clean: true
//! plugins:
//!   - local: protoc-gen-prost        # a registry name, a .wasm path, or an executable on PATH
//!     out: gen/rust
//!     opt: [compile_well_known_types] # a string or a list
//!     strategy: directory             # one request per directory (buf's default), or `all`
//!     include_imports: false
//!     include_wkt: false
//! inputs:
//!   - directory: proto
//!     paths: [proto/acme]
//!     exclude_paths: [proto/acme/internal]
//! ```
//!
//! Parsing is strict: an unknown key is an error that names it. Keys buf has but protowasm does
//! not implement yet (`remote`, `protoc_builtin`, `types`, other input kinds, `managed`) are
//! refused with a clear message rather than ignored.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// A parsed template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub clean: bool,
    pub plugins: Vec<PluginConfig>,
    pub inputs: Vec<Input>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PluginConfig {
    /// What `local:` names: a registry name, a path, or a program on PATH.
    pub local: String,
    pub out: PathBuf,
    pub opt: Vec<String>,
    pub strategy: Strategy,
    pub include_imports: bool,
    pub include_wkt: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// One request per directory of files (buf's default).
    Directory,
    /// One request with every file.
    All,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    pub directory: PathBuf,
    pub paths: Vec<PathBuf>,
    pub exclude_paths: Vec<PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTemplate {
    version: String,
    #[serde(default)]
    clean: bool,
    #[serde(default)]
    plugins: Vec<RawPlugin>,
    #[serde(default)]
    inputs: Option<Vec<RawInput>>,
    managed: Option<yaml_serde::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlugin {
    local: Option<yaml_serde::Value>,
    remote: Option<String>,
    protoc_builtin: Option<String>,
    out: String,
    opt: Option<StringOrList>,
    strategy: Option<String>,
    #[serde(default)]
    include_imports: bool,
    #[serde(default)]
    include_wkt: bool,
    types: Option<Vec<String>>,
    exclude_types: Option<Vec<String>>,
    revision: Option<u32>,
    protoc_path: Option<yaml_serde::Value>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum StringOrList {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInput {
    directory: Option<String>,
    module: Option<String>,
    git_repo: Option<String>,
    tarball: Option<String>,
    zip_archive: Option<String>,
    proto_file: Option<String>,
    binary_image: Option<String>,
    json_image: Option<String>,
    text_image: Option<String>,
    yaml_image: Option<String>,
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    exclude_paths: Vec<String>,
    types: Option<Vec<String>>,
    exclude_types: Option<Vec<String>>,
}

impl Template {
    /// Reads and parses the template at `path`; errors name the file.
    pub fn load(path: &Path) -> Result<Template, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Template::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn parse(text: &str) -> Result<Template, String> {
        let raw: RawTemplate =
            yaml_serde::from_str(text).map_err(|e| e.to_string().trim_end().to_string())?;
        if raw.version != "v2" {
            return Err(format!(
                "version \"{}\" is not supported: protowasm reads buf.gen.yaml version v2",
                raw.version
            ));
        }
        if raw.managed.is_some() {
            return Err("managed mode is not supported by protowasm yet".into());
        }
        if raw.plugins.is_empty() {
            return Err("plugins: at least one plugin is required".into());
        }
        let plugins = raw
            .plugins
            .into_iter()
            .enumerate()
            .map(|(i, p)| plugin(p).map_err(|e| format!("plugins[{i}]: {e}")))
            .collect::<Result<_, _>>()?;
        let inputs = match raw.inputs {
            None => vec![Input {
                directory: PathBuf::from("."),
                paths: Vec::new(),
                exclude_paths: Vec::new(),
            }],
            Some(inputs) => inputs
                .into_iter()
                .enumerate()
                .map(|(i, input)| self::input(input).map_err(|e| format!("inputs[{i}]: {e}")))
                .collect::<Result<_, _>>()?,
        };
        Ok(Template {
            clean: raw.clean,
            plugins,
            inputs,
        })
    }
}

fn plugin(p: RawPlugin) -> Result<PluginConfig, String> {
    if p.remote.is_some() {
        return Err("remote plugins are not supported by protowasm: use `local:` with a registry name or a .wasm path".into());
    }
    if p.protoc_builtin.is_some() || p.protoc_path.is_some() {
        return Err("protoc_builtin plugins are not supported by protowasm: use `local:`".into());
    }
    if p.types.is_some() || p.exclude_types.is_some() {
        return Err("types and exclude_types are not supported by protowasm yet".into());
    }
    let _ = p.revision;
    let local = match p.local {
        Some(yaml_serde::Value::String(s)) => s,
        Some(yaml_serde::Value::Sequence(_)) => return Err(
            "local: a command with arguments is not supported by protowasm yet; give one program"
                .into(),
        ),
        Some(_) => return Err("local: expected a string".into()),
        None => return Err("one of local, remote or protoc_builtin is required".into()),
    };
    let strategy = match p.strategy.as_deref() {
        None | Some("directory") => Strategy::Directory,
        Some("all") => Strategy::All,
        Some(other) => {
            return Err(format!(
                "strategy: unknown value \"{other}\" (expected directory or all)"
            ))
        }
    };
    let opt = match p.opt {
        None => Vec::new(),
        Some(StringOrList::One(s)) => vec![s],
        Some(StringOrList::Many(v)) => v,
    };
    Ok(PluginConfig {
        local,
        out: PathBuf::from(p.out),
        opt,
        strategy,
        include_imports: p.include_imports,
        include_wkt: p.include_wkt,
    })
}

fn input(i: RawInput) -> Result<Input, String> {
    let others = [
        ("module", &i.module),
        ("git_repo", &i.git_repo),
        ("tarball", &i.tarball),
        ("zip_archive", &i.zip_archive),
        ("proto_file", &i.proto_file),
        ("binary_image", &i.binary_image),
        ("json_image", &i.json_image),
        ("text_image", &i.text_image),
        ("yaml_image", &i.yaml_image),
    ];
    if let Some((kind, _)) = others.iter().find(|(_, v)| v.is_some()) {
        return Err(format!(
            "{kind} inputs are not supported by protowasm yet: use a directory"
        ));
    }
    if i.types.is_some() || i.exclude_types.is_some() {
        return Err("types and exclude_types are not supported by protowasm yet".into());
    }
    let Some(directory) = i.directory else {
        return Err("an input needs a kind: directory".into());
    };
    Ok(Input {
        directory: PathBuf::from(directory),
        paths: i.paths.into_iter().map(PathBuf::from).collect(),
        exclude_paths: i.exclude_paths.into_iter().map(PathBuf::from).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_template() {
        let t = Template::parse(
            "version: v2\nclean: true\nplugins:\n  - local: prost\n    out: gen/rust\n    opt: [a=1, b]\n    strategy: all\n    include_imports: true\n  - local: protoc-gen-go\n    out: gen/go\n    opt: paths=source_relative\ninputs:\n  - directory: proto\n    paths: [proto/a]\n    exclude_paths: [proto/a/x]\n",
        )
        .unwrap();
        assert!(t.clean);
        assert_eq!(t.plugins[0].opt, ["a=1", "b"]);
        assert_eq!(t.plugins[0].strategy, Strategy::All);
        assert!(t.plugins[0].include_imports);
        assert_eq!(t.plugins[1].opt, ["paths=source_relative"]);
        assert_eq!(t.plugins[1].strategy, Strategy::Directory);
        assert_eq!(t.inputs[0].directory, PathBuf::from("proto"));
        assert_eq!(t.inputs[0].exclude_paths, [PathBuf::from("proto/a/x")]);
    }

    #[test]
    fn no_inputs_means_the_current_directory() {
        let t = Template::parse("version: v2\nplugins:\n  - local: x\n    out: o\n").unwrap();
        assert_eq!(t.inputs[0].directory, PathBuf::from("."));
    }

    #[test]
    fn mistakes_are_named() {
        let err = |text: &str| Template::parse(text).unwrap_err();
        assert!(
            err("version: v2\nplugins:\n  - local: x\n    out: o\n    outt: p\n")
                .contains("unknown field `outt`")
        );
        assert!(err("version: v1\nplugins: []\n").contains("version \"v1\""));
        assert!(
            err("version: v2\nplugins:\n  - remote: buf.build/x\n    out: o\n")
                .contains("plugins[0]: remote plugins")
        );
        assert!(
            err("version: v2\nplugins:\n  - local: x\n    out: o\n    strategy: each\n")
                .contains("unknown value \"each\"")
        );
        assert!(
            err("version: v2\nplugins:\n  - local: x\n    out: o\ninputs:\n  - git_repo: x\n")
                .contains("inputs[0]: git_repo inputs")
        );
        assert!(
            err("version: v2\nbogus: 1\nplugins:\n  - local: x\n    out: o\n")
                .contains("unknown field `bogus`")
        );
    }
}
