//! `buf.gen.yaml`, the template `protowasm generate` reads, in each version buf reads: `v2`,
//! `v1` and `v1beta1`, so an existing buf setup works unchanged.
//!
//! ```yaml
//! version: v2
//! clean: true
//! plugins:
//!   - local: protoc-gen-prost        # a registry name, a .wasm path, a program, or [program, args...]
//!     out: gen/rust
//!     opt: [compile_well_known_types] # a string or a list
//!     strategy: directory             # one request per directory (buf's default), or `all`
//!   - remote: buf.build/protocolbuffers/go:v1.36.5   # served by a registry entry's `serves`
//!     out: gen/go
//! inputs:
//!   - directory: proto
//!     paths: [proto/acme]
//!     exclude_paths: [proto/acme/internal]
//! ```
//!
//! v1 names a plugin with `plugin:` (a name or a remote reference) or `name:` (a name), with an
//! optional `path:` (the program, or a command list) or `protoc_path:`; v1beta1 with `name:` and
//! `path:`. A name `NAME` runs `protoc-gen-NAME`. Neither version has `inputs` or `clean`.
//!
//! Parsing is strict, as buf's is: an unknown key is an error naming it and its line, and buf's
//! own messages are kept for the rules it checks (`must specify one of remote, local or
//! protoc_builtin`, `cannot specify strategy for remote plugin ...`). `managed` and `types` are
//! read and kept for the transform stage.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::buf_managed::{Checked, ManagedMode, RawManagedV1, RawManagedV2, RawOptionsV1Beta1};
use crate::transform::managed::Managed;

/// A parsed template, whatever its version.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub version: Version,
    pub clean: bool,
    pub plugins: Vec<PluginConfig>,
    /// v2's `inputs`. `None`: the input is the command line's, else the workspace.
    pub inputs: Option<Vec<Input>>,
    /// Managed mode, when the template enables it (v1beta1: `managed: true` with its
    /// `options`), its rules checked.
    pub managed: Option<Managed>,
    /// v1's `types.include`.
    pub types: Vec<String>,
    /// The line of each top-level key, for messages about it.
    pub lines: std::collections::BTreeMap<String, usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V1Beta1,
    V1,
    V2,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PluginConfig {
    pub plugin: PluginRef,
    pub out: PathBuf,
    pub opt: Vec<String>,
    /// `None`: buf's default (`directory` for local plugins; a remote one gets every file).
    pub strategy: Option<Strategy>,
    pub include_imports: bool,
    pub include_wkt: bool,
    pub types: Vec<String>,
    pub exclude_types: Vec<String>,
}

/// What a template plugin names.
#[derive(Debug, Clone, PartialEq)]
pub enum PluginRef {
    /// v2 `local:`, v1 `path:`: a program (a registry name, a path, or a name on PATH) and its
    /// arguments.
    Local(Vec<String>),
    /// v1 `plugin:`/`name:` without a path: `protoc-gen-NAME`, or protoc's built-in NAME.
    Name(String),
    /// `remote:` (v1: `plugin:` with a reference): `buf.build/OWNER/NAME[:VERSION]`.
    Remote {
        reference: String,
        revision: Option<u32>,
    },
    /// `protoc_builtin:` (v1: `name:` with `protoc_path:`).
    ProtocBuiltin {
        name: String,
        protoc_path: Vec<String>,
    },
}

impl PluginRef {
    /// How the template names the plugin, for messages.
    pub fn describe(&self) -> String {
        match self {
            PluginRef::Local(command) => command.join(" "),
            PluginRef::Name(name) => name.clone(),
            PluginRef::Remote { reference, .. } => reference.clone(),
            PluginRef::ProtocBuiltin { name, .. } => name.clone(),
        }
    }
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
    /// The directory (for a `module:` input, empty until it is resolved).
    pub directory: PathBuf,
    /// `module:` as written: a module name (`buf.build/OWNER/NAME[:REF]`) or a local path.
    pub module: Option<String>,
    pub paths: Vec<PathBuf>,
    pub exclude_paths: Vec<PathBuf>,
    pub types: Vec<String>,
    pub exclude_types: Vec<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum StringOrList {
    One(String),
    Many(Vec<String>),
}

impl StringOrList {
    fn into_vec(v: Option<StringOrList>) -> Vec<String> {
        match v {
            None => Vec::new(),
            Some(StringOrList::One(s)) => vec![s],
            Some(StringOrList::Many(v)) => v,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawV2 {
    #[allow(dead_code)]
    version: String,
    #[serde(default)]
    clean: bool,
    #[serde(default)]
    plugins: Vec<RawPluginV2>,
    inputs: Option<Vec<RawInput>>,
    managed: Option<RawManagedV2>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPluginV2 {
    local: Option<StringOrList>,
    remote: Option<String>,
    protoc_builtin: Option<String>,
    out: Option<String>,
    opt: Option<StringOrList>,
    strategy: Option<String>,
    #[serde(default)]
    include_imports: bool,
    #[serde(default)]
    include_wkt: bool,
    #[serde(default)]
    types: Vec<String>,
    #[serde(default)]
    exclude_types: Vec<String>,
    revision: Option<u32>,
    protoc_path: Option<StringOrList>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawV1 {
    #[allow(dead_code)]
    version: String,
    #[serde(default)]
    plugins: Vec<RawPluginV1>,
    managed: Option<Checked<RawManagedV1, ManagedMode>>,
    types: Option<RawTypesV1>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTypesV1 {
    #[serde(default)]
    include: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPluginV1 {
    plugin: Option<String>,
    name: Option<String>,
    out: Option<String>,
    revision: Option<u32>,
    opt: Option<StringOrList>,
    path: Option<StringOrList>,
    protoc_path: Option<StringOrList>,
    strategy: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawV1Beta1 {
    #[allow(dead_code)]
    version: String,
    #[serde(default)]
    managed: bool,
    #[serde(default)]
    plugins: Vec<RawPluginV1Beta1>,
    options: Option<RawOptionsV1Beta1>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPluginV1Beta1 {
    name: Option<String>,
    out: Option<String>,
    opt: Option<StringOrList>,
    path: Option<String>,
    strategy: Option<String>,
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
    // Options of the kinds above, which protowasm refuses: accepted here so that the kind is
    // what the error names.
    #[allow(dead_code)]
    branch: Option<String>,
    #[allow(dead_code)]
    commit: Option<String>,
    #[allow(dead_code)]
    tag: Option<String>,
    #[allow(dead_code)]
    r#ref: Option<String>,
    #[allow(dead_code)]
    depth: Option<u32>,
    #[allow(dead_code)]
    recurse_submodules: Option<bool>,
    #[allow(dead_code)]
    subdir: Option<String>,
    #[allow(dead_code)]
    strip_components: Option<u32>,
    #[allow(dead_code)]
    compression: Option<String>,
    #[allow(dead_code)]
    include_package_files: Option<bool>,
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    exclude_paths: Vec<String>,
    #[serde(default)]
    types: Vec<String>,
    #[serde(default)]
    exclude_types: Vec<String>,
}

/// Any of buf's files, read only for its `version`, which decides how the rest is read.
#[derive(Deserialize)]
pub(super) struct VersionOnly {
    pub(super) version: Option<String>,
}

impl Template {
    /// Reads and parses the template at `path`; errors name the file.
    pub fn load(path: &Path) -> Result<Template, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Template::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Parses a template's text (YAML, or JSON, which is YAML too).
    pub fn parse(text: &str) -> Result<Template, String> {
        let yaml_error = |e: yaml_serde::Error| yaml_message(&e);
        let version: VersionOnly = yaml_serde::from_str(text).map_err(yaml_error)?;
        let lines = top_level_lines(text);
        let template = match version.version.as_deref() {
            None | Some("") => {
                return Err("\"version\" is not set. Please add \"version: v2\"".into())
            }
            Some("v2") => from_v2(yaml_serde::from_str(text).map_err(yaml_error)?),
            Some("v1") => from_v1(yaml_serde::from_str(text).map_err(yaml_error)?),
            Some("v1beta1") => from_v1beta1(yaml_serde::from_str(text).map_err(yaml_error)?),
            Some(other) => {
                let line = lines
                    .get("version")
                    .map_or(String::new(), |l| format!("line {l}: "));
                return Err(format!("{line}unknown file version: \"{other}\""));
            }
        };
        template
            .map(|t| Template { lines, ..t })
            .map_err(|(i, e)| match i {
                Some(i) => match plugin_line(text, i) {
                    Some(line) => format!("line {line}: plugins[{i}]: {e}"),
                    None => format!("plugins[{i}]: {e}"),
                },
                None => e,
            })
    }
}

/// A YAML error as buf words it: an unknown key is `line L: field KEY not found`, followed here
/// by where it is and the keys that would do; other errors as the parser gives them.
pub fn yaml_message(e: &yaml_serde::Error) -> String {
    let text = e.to_string();
    let text = text.trim_end();
    let Some(at) = text.find("unknown field `") else {
        // `PATH: MESSAGE at line L column C` reads `line L: PATH: MESSAGE`.
        return match text.rsplit_once(" at line ") {
            Some((message, position)) => match position.split_once(" column ") {
                Some((line, _)) => format!("line {line}: {message}"),
                None => text.to_string(),
            },
            None => text.to_string(),
        };
    };
    let (path, rest) = text.split_at(at);
    let rest = &rest["unknown field `".len()..];
    let Some((key, rest)) = rest.split_once('`') else {
        return text.to_string();
    };
    let (expected, line) = match rest.rsplit_once(" at line ") {
        Some((expected, position)) => (expected, position.split(' ').next().unwrap_or("")),
        None => (rest, ""),
    };
    let expected = expected.trim_start_matches(',').trim();
    let place = path.trim_end_matches(": ").trim();
    let hint = match (place.is_empty(), expected.is_empty()) {
        (true, true) => String::new(),
        (true, false) => format!(" ({expected})"),
        (false, true) => format!(" (in {place})"),
        (false, false) => format!(" (in {place}; {expected})"),
    };
    match line {
        "" => format!("field {key} not found{hint}"),
        line => format!("line {line}: field {key} not found{hint}"),
    }
}

/// An error, with the index of the plugin it is about.
type Located = (Option<usize>, String);

fn plugins<R>(
    raw: Vec<R>,
    each: impl Fn(R) -> Result<PluginConfig, String>,
) -> Result<Vec<PluginConfig>, Located> {
    if raw.is_empty() {
        return Err((None, "plugins: at least one plugin is required".into()));
    }
    raw.into_iter()
        .enumerate()
        .map(|(i, p)| each(p).map_err(|e| (Some(i), e)))
        .collect()
}

fn from_v2(raw: RawV2) -> Result<Template, Located> {
    let inputs = match raw.inputs {
        None => None,
        Some(inputs) => Some(
            inputs
                .into_iter()
                .enumerate()
                .map(|(i, input)| {
                    self::input(input).map_err(|e| (None, format!("inputs[{i}]: {e}")))
                })
                .collect::<Result<_, _>>()?,
        ),
    };
    let managed = raw.managed.map_or(ManagedMode(None), ManagedMode::from).0;
    Ok(Template {
        version: Version::V2,
        clean: raw.clean,
        plugins: plugins(raw.plugins, plugin_v2)?,
        inputs,
        managed,
        types: Vec::new(),
        lines: Default::default(),
    })
}

fn from_v1(raw: RawV1) -> Result<Template, Located> {
    Ok(Template {
        version: Version::V1,
        clean: false,
        plugins: plugins(raw.plugins, plugin_v1)?,
        inputs: None,
        managed: raw.managed.and_then(|m| m.0 .0),
        types: raw.types.map(|t| t.include).unwrap_or_default(),
        lines: Default::default(),
    })
}

fn from_v1beta1(raw: RawV1Beta1) -> Result<Template, Located> {
    let managed = raw
        .options
        .unwrap_or_default()
        .into_managed(raw.managed)
        .map_err(|e| (None, format!("options: {e}")))?
        .0;
    Ok(Template {
        version: Version::V1Beta1,
        clean: false,
        plugins: plugins(raw.plugins, plugin_v1beta1)?,
        inputs: None,
        managed,
        types: Vec::new(),
        lines: Default::default(),
    })
}

fn strategy(s: Option<&str>) -> Result<Option<Strategy>, String> {
    match s {
        None | Some("") => Ok(None),
        Some("directory") => Ok(Some(Strategy::Directory)),
        Some("all") => Ok(Some(Strategy::All)),
        Some(other) => Err(format!("unknown strategy: {other}")),
    }
}

fn plugin_v2(p: RawPluginV2) -> Result<PluginConfig, String> {
    let kinds = [
        p.remote.is_some(),
        p.local.is_some(),
        p.protoc_builtin.is_some(),
    ];
    match kinds.iter().filter(|k| **k).count() {
        0 => return Err("must specify one of remote, local or protoc_builtin".into()),
        1 => {}
        _ => return Err("only one of remote, local or protoc_builtin".into()),
    }
    let out = p.out.filter(|o| !o.is_empty()).ok_or("must specify out")?;
    let strategy_given = p.strategy.is_some();
    let parsed_strategy = strategy(p.strategy.as_deref())?;
    let plugin = if let Some(reference) = p.remote {
        if strategy_given {
            return Err(format!(
                "cannot specify strategy for remote plugin {reference}"
            ));
        }
        if p.protoc_path.is_some() {
            return Err(format!(
                "cannot specify protoc_path for remote plugin {reference}"
            ));
        }
        PluginRef::Remote {
            reference,
            revision: p.revision,
        }
    } else if let Some(local) = p.local {
        let command = StringOrList::into_vec(Some(local));
        let name = command.join(" ");
        if command.is_empty() || command[0].is_empty() {
            return Err("local: the program is empty".into());
        }
        if p.revision.is_some() {
            return Err(format!("cannot specify revision for local plugin {name}"));
        }
        if p.protoc_path.is_some() {
            return Err(format!(
                "cannot specify protoc_path for local plugin {name}"
            ));
        }
        PluginRef::Local(command)
    } else {
        let name = p.protoc_builtin.unwrap_or_default();
        if p.revision.is_some() {
            return Err(format!(
                "cannot specify revision for protoc built-in plugin {name}"
            ));
        }
        PluginRef::ProtocBuiltin {
            name,
            protoc_path: StringOrList::into_vec(p.protoc_path),
        }
    };
    if p.include_wkt && !p.include_imports {
        return Err("cannot include well-known types without including imports".into());
    }
    Ok(PluginConfig {
        plugin,
        out: PathBuf::from(out),
        opt: StringOrList::into_vec(p.opt),
        strategy: parsed_strategy,
        include_imports: p.include_imports,
        include_wkt: p.include_wkt,
        types: p.types,
        exclude_types: p.exclude_types,
    })
}

fn plugin_v1(p: RawPluginV1) -> Result<PluginConfig, String> {
    let id = match (p.plugin.as_deref(), p.name.as_deref()) {
        (None | Some(""), None | Some("")) => {
            return Err("one of plugin or name is required".into())
        }
        (Some(plugin), Some(_)) if !plugin.is_empty() => {
            return Err("only one of plugin or name can be set".into())
        }
        (Some(plugin), _) if !plugin.is_empty() => plugin.to_string(),
        (_, Some(name)) => {
            if is_remote_reference(name) {
                return Err(format!("invalid local plugin name: {name}"));
            }
            name.to_string()
        }
        _ => unreachable!("one of the two is non-empty"),
    };
    let out = p
        .out
        .filter(|o| !o.is_empty())
        .ok_or_else(|| format!("out is required for plugin {id}"))?;
    let strategy = strategy(p.strategy.as_deref())?;
    let path = StringOrList::into_vec(p.path);
    let plugin = if p.plugin.is_some() && is_remote_reference(&id) {
        if !path.is_empty() {
            return Err(format!("cannot specify path for remote plugin {id}"));
        }
        if strategy.is_some() {
            return Err(format!("cannot specify strategy for remote plugin {id}"));
        }
        if p.protoc_path.is_some() {
            return Err(format!("cannot specify protoc_path for remote plugin {id}"));
        }
        PluginRef::Remote {
            reference: id,
            revision: p.revision,
        }
    } else if !path.is_empty() {
        PluginRef::Local(path)
    } else if p.protoc_path.is_some() {
        PluginRef::ProtocBuiltin {
            name: id,
            protoc_path: StringOrList::into_vec(p.protoc_path),
        }
    } else {
        PluginRef::Name(id)
    };
    Ok(PluginConfig {
        plugin,
        out: PathBuf::from(out),
        opt: StringOrList::into_vec(p.opt),
        strategy,
        include_imports: false,
        include_wkt: false,
        types: Vec::new(),
        exclude_types: Vec::new(),
    })
}

fn plugin_v1beta1(p: RawPluginV1Beta1) -> Result<PluginConfig, String> {
    let name = p
        .name
        .filter(|n| !n.is_empty())
        .ok_or("plugin name is required")?;
    let out = p
        .out
        .filter(|o| !o.is_empty())
        .ok_or_else(|| format!("out is required for plugin {name}"))?;
    let plugin = match p.path.filter(|p| !p.is_empty()) {
        Some(path) => PluginRef::Local(vec![path]),
        None => PluginRef::Name(name),
    };
    Ok(PluginConfig {
        plugin,
        out: PathBuf::from(out),
        opt: StringOrList::into_vec(p.opt),
        strategy: strategy(p.strategy.as_deref())?,
        include_imports: false,
        include_wkt: false,
        types: Vec::new(),
        exclude_types: Vec::new(),
    })
}

/// `HOST/OWNER/NAME[:VERSION]`, as buf tells a remote plugin from a local name: three path
/// parts, the first a host.
pub fn is_remote_reference(s: &str) -> bool {
    let identity = s.split_once(':').map_or(s, |(id, _)| id);
    let parts: Vec<&str> = identity.split('/').collect();
    let host = parts[0];
    parts.len() == 3
        && parts.iter().all(|p| !p.is_empty())
        && host.contains('.')
        && !host.starts_with('.')
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
}

fn input(i: RawInput) -> Result<Input, String> {
    let others = [
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
    let (directory, module) = match (i.directory, i.module) {
        (Some(d), None) => (PathBuf::from(d), None),
        (None, Some(m)) => (PathBuf::new(), Some(m)),
        (Some(_), Some(_)) => return Err("an input has one kind: directory or module".into()),
        (None, None) => return Err("an input needs a kind: directory or module".into()),
    };
    Ok(Input {
        directory,
        module,
        paths: i.paths.into_iter().map(PathBuf::from).collect(),
        exclude_paths: i.exclude_paths.into_iter().map(PathBuf::from).collect(),
        types: i.types,
        exclude_types: i.exclude_types,
    })
}

/// The 1-based line of each top-level key of block-style YAML.
fn top_level_lines(text: &str) -> std::collections::BTreeMap<String, usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.starts_with([' ', '\t', '#', '-']))
        .filter_map(|(n, l)| Some((l.split_once(':')?.0.trim().to_string(), n + 1)))
        .collect()
}

/// The 1-based line of the `index`-th item of the top-level `plugins:` list, for block-style
/// YAML (what templates are written in); `None` for flow style or JSON.
fn plugin_line(text: &str, index: usize) -> Option<usize> {
    let mut lines = text.lines().enumerate();
    lines.find(|(_, l)| l.trim_end() == "plugins:")?;
    let mut indent = None;
    let mut seen = 0;
    for (n, line) in lines {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let this = line.len() - trimmed.len();
        if this == 0 && !trimmed.starts_with('-') {
            return None;
        }
        if trimmed.starts_with("- ") || trimmed == "-" {
            let item_indent = *indent.get_or_insert(this);
            if this == item_indent {
                if seen == index {
                    return Some(n + 1);
                }
                seen += 1;
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        Template::parse(text).unwrap_err()
    }

    #[test]
    fn a_full_v2_template() {
        let t = Template::parse(
            "version: v2\nclean: true\nplugins:\n  - local: prost\n    out: gen/rust\n    opt: [a=1, b]\n    strategy: all\n    include_imports: true\n  - local: protoc-gen-go\n    out: gen/go\n    opt: paths=source_relative\n  - local: [go, run, ./cmd/x]\n    out: gen/x\n  - remote: buf.build/grpc/go:v1.5.1\n    out: gen/go\ninputs:\n  - directory: proto\n    paths: [proto/a]\n    exclude_paths: [proto/a/x]\n",
        )
        .unwrap();
        assert!(t.clean);
        assert_eq!(t.plugins[0].opt, ["a=1", "b"]);
        assert_eq!(t.plugins[0].strategy, Some(Strategy::All));
        assert!(t.plugins[0].include_imports);
        assert_eq!(t.plugins[1].opt, ["paths=source_relative"]);
        assert_eq!(t.plugins[1].strategy, None);
        assert_eq!(
            t.plugins[2].plugin,
            PluginRef::Local(vec!["go".into(), "run".into(), "./cmd/x".into()])
        );
        assert_eq!(
            t.plugins[3].plugin,
            PluginRef::Remote {
                reference: "buf.build/grpc/go:v1.5.1".into(),
                revision: None
            }
        );
        let inputs = t.inputs.unwrap();
        assert_eq!(inputs[0].directory, PathBuf::from("proto"));
        assert_eq!(inputs[0].exclude_paths, [PathBuf::from("proto/a/x")]);
    }

    #[test]
    fn no_inputs_leaves_the_choice_to_the_workspace() {
        let t = Template::parse("version: v2\nplugins:\n  - local: x\n    out: o\n").unwrap();
        assert_eq!(t.inputs, None);
    }

    #[test]
    fn v1_plugin_keys_as_buf_reads_them() {
        let t = Template::parse(
            "version: v1\nplugins:\n  - plugin: buf.build/protocolbuffers/go:v1.36.5\n    out: gen/go\n    opt: paths=source_relative\n  - name: go-grpc\n    out: gen/go\n  - plugin: ts\n    out: gen/ts\n    path: [node, x.js]\n  - name: java\n    out: gen/java\n    protoc_path: /usr/bin/protoc\n    strategy: all\ntypes:\n  include: [a.b.C]\nmanaged:\n  enabled: true\n  go_package_prefix:\n    default: example.com/gen\n",
        )
        .unwrap();
        assert_eq!(t.version, Version::V1);
        assert!(
            matches!(&t.plugins[0].plugin, PluginRef::Remote { reference, .. } if reference == "buf.build/protocolbuffers/go:v1.36.5")
        );
        assert_eq!(t.plugins[1].plugin, PluginRef::Name("go-grpc".into()));
        assert_eq!(
            t.plugins[2].plugin,
            PluginRef::Local(vec!["node".into(), "x.js".into()])
        );
        assert!(
            matches!(&t.plugins[3].plugin, PluginRef::ProtocBuiltin { name, protoc_path } if name == "java" && protoc_path == &["/usr/bin/protoc"])
        );
        assert_eq!(t.plugins[3].strategy, Some(Strategy::All));
        assert_eq!(t.types, ["a.b.C"]);
        assert!(t.managed.is_some());
    }

    #[test]
    fn v1beta1_names_and_paths() {
        let t = Template::parse(
            "version: v1beta1\nplugins:\n  - name: go\n    out: gen\n  - name: x\n    out: gen\n    path: bin/protoc-gen-x\n",
        )
        .unwrap();
        assert_eq!(t.version, Version::V1Beta1);
        assert_eq!(t.plugins[0].plugin, PluginRef::Name("go".into()));
        assert_eq!(
            t.plugins[1].plugin,
            PluginRef::Local(vec!["bin/protoc-gen-x".into()])
        );
        assert_eq!(t.managed, None);
    }

    #[test]
    fn managed_disabled_is_no_managed_mode() {
        let t = Template::parse(
            "version: v2\nmanaged:\n  enabled: false\nplugins:\n  - local: x\n    out: o\n",
        )
        .unwrap();
        assert_eq!(t.managed, None);
    }

    #[test]
    fn mistakes_are_named_with_bufs_words_and_the_line() {
        assert_eq!(
            err("version: v2\nplugins:\n  - local: x\n    out: o\n    outt: p\n"),
            "line 5: field outt not found (in plugins[0]; expected one of `local`, `remote`, `protoc_builtin`, `out`, `opt`, `strategy`, `include_imports`, `include_wkt`, `types`, `exclude_types`, `revision`, `protoc_path`)"
        );
        assert_eq!(
            err("plugins:\n  - local: x\n    out: o\n"),
            "\"version\" is not set. Please add \"version: v2\""
        );
        assert_eq!(
            err("version: v3\nplugins: []\n"),
            "line 1: unknown file version: \"v3\""
        );
        assert_eq!(
            err("version: v2\nplugins:\n  - local: a\n    out: o\n  - remote: buf.build/a/b\n    out: o\n    strategy: all\n"),
            "line 5: plugins[1]: cannot specify strategy for remote plugin buf.build/a/b"
        );
        assert_eq!(
            err("version: v2\nplugins:\n  - out: o\n"),
            "line 3: plugins[0]: must specify one of remote, local or protoc_builtin"
        );
        assert_eq!(
            err("version: v2\nplugins:\n  - local: a\n    remote: buf.build/a/b\n    out: o\n"),
            "line 3: plugins[0]: only one of remote, local or protoc_builtin"
        );
        assert_eq!(
            err("version: v2\nplugins:\n  - local: x\n"),
            "line 3: plugins[0]: must specify out"
        );
        assert_eq!(
            err("version: v2\nplugins:\n  - local: x\n    out: o\n    include_wkt: true\n"),
            "line 3: plugins[0]: cannot include well-known types without including imports"
        );
        assert_eq!(
            err("version: v2\nplugins:\n  - local: x\n    out: o\n    strategy: each\n"),
            "line 3: plugins[0]: unknown strategy: each"
        );
        assert_eq!(
            err("version: v1\nplugins:\n  - plugin: a\n    name: b\n    out: o\n"),
            "line 3: plugins[0]: only one of plugin or name can be set"
        );
        assert_eq!(
            err("version: v1\nplugins:\n  - name: buf.build/a/b\n    out: o\n"),
            "line 3: plugins[0]: invalid local plugin name: buf.build/a/b"
        );
        assert_eq!(
            err("version: v1\nplugins:\n  - plugin: go\n"),
            "line 3: plugins[0]: out is required for plugin go"
        );
        assert_eq!(
            err("version: v1beta1\nplugins:\n  - out: o\n"),
            "line 3: plugins[0]: plugin name is required"
        );
        assert!(
            err("version: v2\nplugins:\n  - local: x\n    out: o\ninputs:\n  - git_repo: x\n")
                .contains("inputs[0]: git_repo inputs")
        );
        assert!(
            err("version: v2\nbogus: 1\nplugins:\n  - local: x\n    out: o\n")
                .starts_with("line 2: field bogus not found (expected one of `version`")
        );
    }

    #[test]
    fn remote_references_are_told_from_names() {
        for r in [
            "buf.build/protocolbuffers/go",
            "buf.build/grpc/go:v1.5.1",
            "example.com/a/b",
        ] {
            assert!(is_remote_reference(r), "{r}");
        }
        for n in [
            "go",
            "protoc-gen-go",
            "./bin/protoc-gen-x",
            "../x/y",
            "a/b/c",
            "buf.build/a",
        ] {
            assert!(!is_remote_reference(n), "{n}");
        }
    }
}
