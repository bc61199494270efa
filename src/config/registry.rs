//! `plugins-registry.toml`: named wasm plugins, each pinned by sha256.
//!
//! ```toml
//! [plugins.go]                                  # serves --go_out
//! source = "plugins/protoc-gen-go.wasm"         # relative to this file, or an http(s) URL
//! sha256 = "0f3c..."                            # checked every time the plugin is loaded
//! version = "1.28.1"
//! description = "Go code (google.golang.org/protobuf)"
//! opt = ["paths=source_relative"]               # default options, before the user's
//! memory_limit = "3GiB"                         # overrides the default, not a command-line flag
//! timeout = "300s"
//! env = ["GOGC=off", "TZ"]                      # NAME=VALUE sets; NAME passes the host's value
//! per_file = true                               # each file's output depends on that file alone
//! serves = ["buf.build/protocolbuffers/go"]     # buf.gen.yaml `remote:` references it answers
//!
//! [plugins.builtins]                            # one module, many generators
//! source = "plugins/protoc-gen-builtins.wasm"
//! sha256 = "..."
//! builtins = ["cpp", "java", "python"]          # --cpp_out runs it as protoc-gen-cpp
//! ```
//!
//! `per_file` may also list builtins (`per_file = ["cpp", "python"]`): the generators of the
//! module that write each file alone; the others get whole requests.
//!
//! `builtins` names the `--NAME_out` generators one module serves: it is run with argv[0] =
//! `protoc-gen-NAME`, and picks its generator from that (testdata/build-builtins.sh builds protoc's
//! built-in generators this way). An entry's own name wins over another entry's `builtins`, and
//! two entries may not list the same builtin.
//!
//! `per_file` lets protowasm split a request's files to generate into one request per core and
//! run them in parallel. Only for plugins whose output for a file does not depend on the other
//! files generated with it (protoc-gen-go, protoc-gen-go-grpc); not for plugins that write one
//! file per package (protoc-gen-prost).
//!
//! A `[deps]` table maps buf.yaml deps to local directories, for `generate` (buf's modules
//! are not fetched):
//!
//! ```toml
//! [deps]
//! "buf.build/googleapis/googleapis" = "third_party/googleapis"   # relative to this file
//! ```
//!
//! `serves` names the buf remote plugins (`HOST/OWNER/NAME`, without a version) that a
//! template's `remote:` may use this entry for; the entry's `version` is checked against a
//! version the template pins.
//!
//! The file is found at `$PROTOWASM_REGISTRY`, or else by walking up from the working directory.
//! Parsing is strict: an unknown key is an error that names it. A URL source is loaded from the
//! plugin store by its sha256, downloaded (and checked against the pin) when it is missing.
//! `plugin add` and `plugin remove` edit the file with toml_edit, keeping comments and layout.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::store::{is_url, PluginStore};
use crate::plugins::{parse_duration, parse_size};

pub const FILE_NAME: &str = "plugins-registry.toml";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRegistry {
    #[serde(default)]
    plugins: BTreeMap<String, RawEntry>,
    /// buf.yaml deps (`buf.build/OWNER/NAME`) -> a local directory holding the module's files.
    #[serde(default)]
    deps: BTreeMap<String, String>,
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
    #[serde(default)]
    per_file: RawPerFile,
    #[serde(default)]
    serves: Vec<String>,
    #[serde(default)]
    builtins: Vec<String>,
}

/// `per_file = true`, or the builtins it holds for: `per_file = ["cpp", "python"]`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawPerFile {
    All(bool),
    Builtins(Vec<String>),
}

impl Default for RawPerFile {
    fn default() -> Self {
        RawPerFile::All(false)
    }
}

/// Which of an entry's generators write each file's output from that file alone.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum PerFile {
    /// None of them (`per_file = false`, the default).
    #[default]
    No,
    /// All of them (`per_file = true`).
    All,
    /// The builtins named (`per_file = ["cpp", ...]`): a module serving several generators,
    /// some of which write one file for all inputs (the Rust generator's entry point).
    Builtins(Vec<String>),
}

impl PerFile {
    /// Whether generator `name` (the entry's own name, or one of its builtins) is per file.
    pub fn holds_for(&self, name: &str) -> bool {
        match self {
            PerFile::No => false,
            PerFile::All => true,
            PerFile::Builtins(names) => names.iter().any(|n| n == name),
        }
    }
}

/// One plugin, resolved: paths absolute, sizes and durations parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct RegistryEntry {
    pub name: String,
    /// The module: the source path, or for a URL source its place in the plugin store.
    pub path: PathBuf,
    /// A URL source, downloaded into `path` when it is missing.
    pub url: Option<String>,
    pub sha256: [u8; 32],
    pub version: Option<String>,
    pub description: Option<String>,
    pub opt: Vec<String>,
    pub memory_limit: Option<u64>,
    pub timeout: Option<Duration>,
    /// Environment variables the plugin sees, resolved from the allow-list.
    pub env: Vec<(String, String)>,
    /// The plugin generates each file on its own, so a request may be split by files.
    pub per_file: PerFile,
    /// The buf remote plugins (`HOST/OWNER/NAME`) this entry serves.
    pub serves: Vec<String>,
    /// The `--NAME_out` generators this module serves besides its own name, each run with
    /// argv[0] = `protoc-gen-NAME`.
    pub builtins: Vec<String>,
}

#[derive(Debug, Default)]
pub struct Registry {
    pub file: Option<PathBuf>,
    entries: BTreeMap<String, RegistryEntry>,
    /// `[deps]`: buf module names and the directories (resolved against the file's) that
    /// hold their files.
    deps: BTreeMap<String, PathBuf>,
}

impl Registry {
    /// The registry in effect for `cwd`: `$PROTOWASM_REGISTRY`, else the nearest
    /// `plugins-registry.toml` in `cwd` or above it, else an empty registry. Nothing is
    /// downloaded: a URL source is fetched when its plugin is used ([`Registry::fetch`]).
    pub fn discover(cwd: &Path) -> Result<Registry, String> {
        match locate(cwd) {
            Some(path) => Registry::read(&path),
            None => Ok(Registry::default()),
        }
    }

    /// Makes sure `entry`'s module is on disk: for a URL source missing from the plugin store,
    /// downloads it and checks it against the pin (a mismatch stores nothing).
    pub fn fetch(&self, entry: &RegistryEntry) -> Result<(), String> {
        fetch(self.file.as_deref(), entry)
    }

    /// Reads the registry at `path` and downloads the URL sources missing from the store.
    pub fn load(path: &Path) -> Result<Registry, String> {
        let registry = Registry::read(path)?;
        let store = PluginStore::beside(path);
        for entry in registry.entries() {
            if let Some(url) = &entry.url {
                store
                    .fetch(url, &entry.sha256)
                    .map_err(|e| format!("{}: plugin \"{}\": {e}", path.display(), entry.name))?;
            }
        }
        Ok(registry)
    }

    /// Reads the registry at `path`, touching nothing else.
    pub fn read(path: &Path) -> Result<Registry, String> {
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
            if let Some(bad) = e.builtins.iter().find(|b| !is_generator_name(b)) {
                return Err(context(format!(
                    "builtins: \"{bad}\" is not a generator name: expected what goes between -- and _out, e.g. python for --python_out"
                )));
            }
            if let Some(bad) = e.serves.iter().find(|r| !is_identity(r)) {
                return Err(context(format!(
                    "serves: \"{bad}\" is not a remote plugin name: expected HOST/OWNER/NAME, e.g. buf.build/protocolbuffers/go, without a version"
                )));
            }
            let (path, url) = if is_url(&e.source) {
                let store = PluginStore::beside(&base.join(FILE_NAME));
                (store.path(&sha256), Some(e.source))
            } else {
                (base.join(&e.source), None)
            };
            let memory_limit = e
                .memory_limit
                .map(|v| parse_size("memory_limit", &v))
                .transpose()
                .map_err(context)?;
            let timeout = e
                .timeout
                .map(|v| parse_duration("timeout", &v))
                .transpose()
                .map_err(context)?;
            let env = e
                .env
                .iter()
                .filter_map(|item| match item.split_once('=') {
                    Some((k, v)) => Some((k.to_string(), v.to_string())),
                    None => std::env::var(item).ok().map(|v| (item.clone(), v)),
                })
                .collect();
            let per_file = match e.per_file {
                RawPerFile::All(false) => PerFile::No,
                RawPerFile::All(true) => PerFile::All,
                RawPerFile::Builtins(names) => {
                    if let Some(bad) = names.iter().find(|n| !e.builtins.contains(n)) {
                        return Err(context(format!(
                            "per_file: \"{bad}\" is not one of this entry's builtins"
                        )));
                    }
                    PerFile::Builtins(names)
                }
            };
            let entry = RegistryEntry {
                name: name.clone(),
                path,
                url,
                sha256,
                version: e.version,
                description: e.description,
                opt: e.opt,
                memory_limit,
                timeout,
                env,
                per_file,
                serves: e.serves,
                builtins: e.builtins,
            };
            entries.insert(name, entry);
        }
        let mut served: BTreeMap<&str, &str> = BTreeMap::new();
        for entry in entries.values() {
            for builtin in &entry.builtins {
                if let Some(other) = served.insert(builtin, &entry.name) {
                    return Err(format!(
                        "plugin \"{}\": builtins: \"{builtin}\" is also served by plugin \"{other}\"; list each generator in one entry",
                        entry.name
                    ));
                }
            }
        }
        let mut deps = BTreeMap::new();
        for (name, dir) in raw.deps {
            if name.contains(':') || !crate::config::buf_gen::is_remote_reference(&name) {
                return Err(format!(
                    "deps: \"{name}\" is not a buf module name: expected HOST/OWNER/NAME, e.g. buf.build/googleapis/googleapis, without a version"
                ));
            }
            deps.insert(name, base.join(dir));
        }
        Ok(Registry {
            file: None,
            entries,
            deps,
        })
    }

    /// The local directory `[deps]` maps buf module `name` (`HOST/OWNER/NAME`) to.
    pub fn dep_dir(&self, name: &str) -> Option<&Path> {
        self.deps.get(name).map(PathBuf::as_path)
    }

    /// The entry serving `--NAME_out`: the entry named NAME, else the one listing NAME in
    /// `builtins`.
    pub fn get(&self, name: &str) -> Option<&RegistryEntry> {
        self.entries.get(name).or_else(|| {
            self.entries
                .values()
                .find(|e| e.builtins.iter().any(|b| b == name))
        })
    }

    pub fn entries(&self) -> impl Iterator<Item = &RegistryEntry> {
        self.entries.values()
    }

    /// The entry that serves the buf remote plugin `identity` (`HOST/OWNER/NAME`).
    pub fn serving(&self, identity: &str) -> Option<&RegistryEntry> {
        self.entries
            .values()
            .find(|e| e.serves.iter().any(|s| s == identity))
    }
}

/// What may stand between `--` and `_out`: protoc takes any flag name, but a builtin's name is
/// also part of argv[0] and of file names, so it is kept to letters, digits, `_` and `-`.
fn is_generator_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// `HOST/OWNER/NAME`: a buf remote plugin's name without a version.
fn is_identity(s: &str) -> bool {
    !s.contains(':') && crate::config::buf_gen::is_remote_reference(s)
}

/// Makes sure `entry`'s module is on disk, for the registry at `file`: a URL source missing
/// from the plugin store beside it is downloaded and checked against the pin (a mismatch stores
/// nothing).
pub fn fetch(file: Option<&Path>, entry: &RegistryEntry) -> Result<(), String> {
    let (Some(url), Some(file)) = (&entry.url, file) else {
        return Ok(());
    };
    PluginStore::beside(file)
        .fetch(url, &entry.sha256)
        .map(|_| ())
        .map_err(|e| format!("{}: plugin \"{}\": {e}", file.display(), entry.name))
}

/// The registry file in effect for `cwd`, if there is one: `$PROTOWASM_REGISTRY`, else the
/// nearest `plugins-registry.toml` in `cwd` or above it.
pub fn locate(cwd: &Path) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("PROTOWASM_REGISTRY").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    cwd.ancestors()
        .map(|dir| dir.join(FILE_NAME))
        .find(|candidate| candidate.is_file())
}

/// What `plugin add` writes into an entry; keys it does not name are kept as they were.
#[derive(Debug, Clone, Default)]
pub struct EntryEdit {
    pub source: String,
    pub sha256: [u8; 32],
    pub version: Option<String>,
    pub description: Option<String>,
    /// Remote plugins served (`serves`); none leaves the key as it is.
    pub serves: Vec<String>,
    /// Generators served (`builtins`); none leaves the key as it is.
    pub builtins: Vec<String>,
}

/// `text` with `[plugins.NAME]` added, or updated in place, keeping comments, layout and the
/// entry's other keys. A new entry goes at the end of the file, after any closing comments.
pub fn set_entry(text: &str, name: &str, edit: &EntryEdit) -> Result<String, String> {
    let mut doc: toml_edit::DocumentMut = text.parse().map_err(|e| format!("{e}"))?;
    let is_new = doc
        .get("plugins")
        .and_then(|p| p.as_table_like())
        .is_none_or(|p| !p.contains_key(name));
    // toml_edit prints comments at the end of the file after every table; they would end up
    // below the new entry, so they become the text above it instead.
    let closing = doc.trailing().as_str().unwrap_or("").to_string();
    if is_new {
        doc.set_trailing("");
    }
    let plugins = doc
        .entry("plugins")
        .or_insert_with(|| {
            let mut t = toml_edit::Table::new();
            t.set_implicit(true);
            toml_edit::Item::Table(t)
        })
        .as_table_like_mut()
        .ok_or("`plugins` is not a table")?;
    let entry = plugins
        .entry(name)
        .or_insert_with(|| {
            let mut t = toml_edit::Table::new();
            if is_new && !closing.is_empty() {
                let gap = if closing.ends_with("\n\n") { "" } else { "\n" };
                t.decor_mut().set_prefix(format!("{closing}{gap}"));
            }
            toml_edit::Item::Table(t)
        })
        .as_table_like_mut()
        .ok_or_else(|| format!("`plugins.{name}` is not a table"))?;
    entry.insert("source", toml_edit::value(&edit.source));
    entry.insert("sha256", toml_edit::value(hex::encode(edit.sha256)));
    if let Some(v) = &edit.version {
        entry.insert("version", toml_edit::value(v));
    }
    if let Some(d) = &edit.description {
        entry.insert("description", toml_edit::value(d));
    }
    if !edit.builtins.is_empty() {
        let list: toml_edit::Array = edit.builtins.iter().map(String::as_str).collect();
        entry.insert("builtins", toml_edit::value(list));
    }
    if !edit.serves.is_empty() {
        let list: toml_edit::Array = edit.serves.iter().map(String::as_str).collect();
        entry.insert("serves", toml_edit::value(list));
    }
    Ok(doc.to_string())
}

/// `text` without `[plugins.NAME]`, or `None` if there is no such entry. Comments right above
/// the entry go with it; a block separated from it by a blank line (a file's header, say) stays.
pub fn remove_entry(text: &str, name: &str) -> Result<Option<String>, String> {
    let mut doc: toml_edit::DocumentMut = text.parse().map_err(|e| format!("{e}"))?;
    let removed = doc
        .get_mut("plugins")
        .and_then(|p| p.as_table_like_mut())
        .and_then(|p| p.remove(name));
    let Some(removed) = removed else {
        return Ok(None);
    };
    let (prefix, position) = match &removed {
        toml_edit::Item::Table(t) => (
            t.decor().prefix().and_then(|p| p.as_str()).unwrap_or(""),
            t.position(),
        ),
        _ => ("", None),
    };
    let kept = match prefix.rfind("\n\n") {
        Some(i) => &prefix[..i + 2],
        None => "",
    };
    if !kept.is_empty() {
        let next = position.and_then(|after| next_position(doc.as_table(), after));
        match next.and_then(|at| table_at(doc.as_table_mut(), at)) {
            Some(t) => {
                let own = t.decor().prefix().and_then(|p| p.as_str()).unwrap_or("");
                let joined = format!("{kept}{own}");
                t.decor_mut().set_prefix(joined);
            }
            None => {
                let closing = doc.trailing().as_str().unwrap_or("").to_string();
                let joined = format!("{}\n{closing}", kept.trim_end_matches('\n'));
                doc.set_trailing(joined);
            }
        }
    }
    Ok(Some(doc.to_string()))
}

/// The tables nested in `table`, at any depth.
fn subtables(table: &toml_edit::Table) -> Vec<&toml_edit::Table> {
    let mut out = Vec::new();
    for (_, item) in table.iter() {
        match item {
            toml_edit::Item::Table(t) => out.push(t),
            toml_edit::Item::ArrayOfTables(a) => out.extend(a.iter()),
            _ => {}
        }
    }
    let nested: Vec<_> = out.iter().flat_map(|t| subtables(t)).collect();
    out.extend(nested);
    out
}

/// The position of the first table printed after position `after`.
fn next_position(root: &toml_edit::Table, after: isize) -> Option<isize> {
    subtables(root)
        .into_iter()
        .filter_map(|t| t.position().filter(|p| *p > after))
        .min()
}

fn table_at(table: &mut toml_edit::Table, at: isize) -> Option<&mut toml_edit::Table> {
    for (_, item) in table.iter_mut() {
        let found = match item {
            toml_edit::Item::Table(t) => {
                if t.position() == Some(at) {
                    Some(t)
                } else {
                    table_at(t, at)
                }
            }
            toml_edit::Item::ArrayOfTables(a) => a.iter_mut().find_map(|t| {
                if t.position() == Some(at) {
                    Some(t)
                } else {
                    table_at(t, at)
                }
            }),
            _ => None,
        };
        if found.is_some() {
            return found;
        }
    }
    None
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
    fn one_entry_serves_the_builtins_it_lists_and_an_entry_of_the_name_wins() {
        let text = format!(
            "[plugins.builtins]\nsource = \"b.wasm\"\nsha256 = \"{SHA}\"\nbuiltins = [\"cpp\", \"python\"]\n[plugins.python]\nsource = \"p.wasm\"\nsha256 = \"{SHA}\"\n"
        );
        let r = Registry::parse(&text, Path::new("/repo")).unwrap();
        assert_eq!(r.get("cpp").unwrap().name, "builtins");
        assert_eq!(r.get("python").unwrap().name, "python");
        assert_eq!(r.get("builtins").unwrap().name, "builtins");
        assert!(r.get("java").is_none());

        let twice = format!(
            "[plugins.a]\nsource = \"a.wasm\"\nsha256 = \"{SHA}\"\nbuiltins = [\"cpp\"]\n[plugins.b]\nsource = \"b.wasm\"\nsha256 = \"{SHA}\"\nbuiltins = [\"cpp\"]\n"
        );
        assert_eq!(
            Registry::parse(&twice, Path::new(".")).unwrap_err(),
            "plugin \"b\": builtins: \"cpp\" is also served by plugin \"a\"; list each generator in one entry"
        );
        let bad = format!(
            "[plugins.a]\nsource = \"a.wasm\"\nsha256 = \"{SHA}\"\nbuiltins = [\"python_out\", \"../x\"]\n"
        );
        assert_eq!(
            Registry::parse(&bad, Path::new(".")).unwrap_err(),
            "plugin \"a\": builtins: \"../x\" is not a generator name: expected what goes between -- and _out, e.g. python for --python_out"
        );
    }

    #[test]
    fn per_file_may_name_some_of_the_builtins() {
        let text = format!(
            "[plugins.builtins]\nsource = \"b.wasm\"\nsha256 = \"{SHA}\"\nbuiltins = [\"cpp\", \"rust\"]\nper_file = [\"cpp\"]\n"
        );
        let r = Registry::parse(&text, Path::new("/repo")).unwrap();
        let e = r.get("cpp").unwrap();
        assert!(e.per_file.holds_for("cpp"));
        assert!(!e.per_file.holds_for("rust"));
        let all =
            format!("[plugins.go]\nsource = \"a.wasm\"\nsha256 = \"{SHA}\"\nper_file = true\n");
        assert_eq!(
            Registry::parse(&all, Path::new("."))
                .unwrap()
                .get("go")
                .unwrap()
                .per_file,
            PerFile::All
        );
        let stray = text.replace("per_file = [\"cpp\"]", "per_file = [\"java\"]");
        assert_eq!(
            Registry::parse(&stray, Path::new(".")).unwrap_err(),
            "plugin \"builtins\": per_file: \"java\" is not one of this entry's builtins"
        );
    }

    #[test]
    fn an_entry_serves_the_remote_plugins_it_names() {
        let text = format!(
            "[plugins.go]\nsource = \"a.wasm\"\nsha256 = \"{SHA}\"\nserves = [\"buf.build/protocolbuffers/go\"]\n[plugins.grpc]\nsource = \"b.wasm\"\nsha256 = \"{SHA}\"\n"
        );
        let r = Registry::parse(&text, Path::new("/repo")).unwrap();
        assert_eq!(
            r.serving("buf.build/protocolbuffers/go").unwrap().name,
            "go"
        );
        assert!(r.serving("buf.build/grpc/go").is_none());
        for bad in [
            "buf.build/protocolbuffers/go:v1.36.5",
            "protocolbuffers/go",
            "go",
        ] {
            let text = format!(
                "[plugins.go]\nsource = \"a.wasm\"\nsha256 = \"{SHA}\"\nserves = [\"{bad}\"]\n"
            );
            let e = Registry::parse(&text, Path::new(".")).unwrap_err();
            assert!(
                e.starts_with(&format!(
                    "plugin \"go\": serves: \"{bad}\" is not a remote plugin name"
                )),
                "{e}"
            );
        }
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

    #[test]
    fn a_url_source_is_loaded_from_the_store_by_its_pin() {
        let text =
            format!("[plugins.go]\nsource = \"https://example.com/go.wasm\"\nsha256 = \"{SHA}\"\n");
        let r = Registry::parse(&text, Path::new("/repo")).unwrap();
        let go = r.get("go").unwrap();
        assert_eq!(go.url.as_deref(), Some("https://example.com/go.wasm"));
        assert_eq!(
            go.path,
            Path::new("/repo/.protowasm/plugins").join(format!("{SHA}.wasm"))
        );
    }

    #[test]
    fn edits_keep_comments_layout_and_other_keys() {
        let text = "# my plugins\n\n[plugins.go] # Go\nsource = \"old.wasm\"\nsha256 = \"00\"\nopt = [\"a=b\"] # keep\n\n# the end\n";
        let edit = EntryEdit {
            source: "new.wasm".into(),
            sha256: [0xab; 32],
            version: Some("1.2".into()),
            description: None,
            serves: Vec::new(),
            builtins: Vec::new(),
        };
        let updated = set_entry(text, "go", &edit).unwrap();
        let sha = "ab".repeat(32);
        assert_eq!(
            updated,
            format!("# my plugins\n\n[plugins.go] # Go\nsource = \"new.wasm\"\nsha256 = \"{sha}\"\nopt = [\"a=b\"] # keep\nversion = \"1.2\"\n\n# the end\n")
        );
        let added = set_entry(&updated, "tp", &edit).unwrap();
        assert!(added.starts_with(&updated), "{added}");
        assert!(
            added.ends_with(&format!(
                "[plugins.tp]\nsource = \"new.wasm\"\nsha256 = \"{sha}\"\nversion = \"1.2\"\n"
            )),
            "{added}"
        );
        Registry::parse(&added, Path::new(".")).unwrap();
        assert_eq!(remove_entry(&added, "tp").unwrap().unwrap(), updated);
        assert_eq!(remove_entry(&added, "nope").unwrap(), None);
        let fresh = set_entry("", "tp", &edit).unwrap();
        assert_eq!(
            fresh,
            format!("[plugins.tp]\nsource = \"new.wasm\"\nsha256 = \"{sha}\"\nversion = \"1.2\"\n")
        );
    }
}
