//! `protowasm plugin add|list|remove|verify`: the registry's entries and the plugin store beside
//! the registry file.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;

use crate::cache::ModuleCache;
use crate::config::oci;
use crate::config::registry::{self, EntryEdit, FILE_NAME};
use crate::config::store::{self, is_url, STORE_DIR};
use crate::config::{PluginStore, Registry};
use crate::plugins::{format_size, WasmRuntime};

#[derive(Subcommand, Debug)]
pub enum PluginAction {
    /// Check a WASI module, store it by sha256 next to the registry, precompile it, and add (or
    /// update) its registry entry.
    Add {
        /// A .wasm file, or an http(s) URL to download it from.
        source: String,
        /// The entry's name, which serves --NAME_out (default: the file name without
        /// `protoc-gen-` and `.wasm`).
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        version: Option<String>,
        #[arg(long)]
        description: Option<String>,
        /// A buf remote plugin this entry answers for in buf.gen.yaml (`remote:`), e.g.
        /// buf.build/protocolbuffers/go:v1.36.5; a version given here becomes the entry's
        /// version. May be repeated.
        #[arg(long = "serves", value_name = "REMOTE")]
        serves: Vec<String>,
        /// Generators the module also serves as --NAME_out, run as protoc-gen-NAME, e.g.
        /// `--builtins cpp,java,python` for testdata/build-builtins.sh's module.
        #[arg(long = "builtins", value_name = "NAME", value_delimiter = ',')]
        builtins: Vec<String>,
    },
    /// Publish a WASI module to an OCI registry as a Wasm artifact (oci://HOST[:PORT]/REPO:TAG);
    /// prints the manifest digest. Plain http only for loopback registries.
    Push {
        file: PathBuf,
        reference: String,
        /// The plugin's name, in the `org.opencontainers.image.title` annotation (default: the
        /// file name without `protoc-gen-` and `.wasm`).
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        version: Option<String>,
        /// A buf remote plugin it serves (HOST/OWNER/NAME), in the `dev.protowasm.serves`
        /// annotation. May be repeated.
        #[arg(long = "serves", value_name = "REMOTE")]
        serves: Vec<String>,
    },
    /// Resolve an `oci://` entry's tag again and pin the entry to what it names now.
    Update { name: String },
    /// List the registry's plugins.
    List,
    /// Remove an entry, and its stored module if no other entry uses it.
    Remove { name: String },
    /// Check modules against their sha256 pins (every entry, or the one named).
    Verify { name: Option<String> },
}

/// Runs one `plugin` subcommand in `cwd`.
pub fn run(action: PluginAction, cwd: &Path) -> ExitCode {
    let result = match action {
        PluginAction::Add {
            source,
            name,
            version,
            description,
            serves,
            builtins,
        } => add(cwd, &source, name, version, description, &serves, &builtins),
        PluginAction::Push {
            file,
            reference,
            name,
            version,
            serves,
        } => push(&file, &reference, name, version, &serves),
        PluginAction::Update { name } => update(cwd, &name),
        PluginAction::List => list(cwd),
        PluginAction::Remove { name } => remove(cwd, &name),
        PluginAction::Verify { name } => verify(cwd, name.as_deref()),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("protowasm: {e}");
            ExitCode::FAILURE
        }
    }
}

fn add(
    cwd: &Path,
    source: &str,
    name: Option<String>,
    version: Option<String>,
    description: Option<String>,
    serves: &[String],
    builtins: &[String],
) -> Result<ExitCode, String> {
    let (mut serves, mut version) = served(serves, version)?;
    let name = match name {
        Some(n) => n,
        None => default_name(source)
            .ok_or_else(|| format!("{source}: cannot tell the plugin's name; give --name"))?,
    };
    if name.is_empty() || name.contains(|c: char| c.is_whitespace() || c == '=' || c == ',') {
        return Err(format!(
            "\"{name}\" is not a usable plugin name (it serves --NAME_out)"
        ));
    }
    // An oci:// reference is recorded pinned to the manifest it resolved to, so a moved tag
    // changes nothing until the next `plugin add`.
    let mut pinned_oci = None;
    let wasm = if store::is_oci(source) {
        let reference = oci::Reference::parse(source)?;
        let pulled = oci::Client::for_registry(&reference.registry).pull(&reference)?;
        pinned_oci = Some(reference.pinned(&pulled.manifest_digest).to_string());
        // What the artifact says of itself, where the command line says nothing.
        if version.is_none() {
            version = pulled.annotations.get(oci::VERSION_ANNOTATION).cloned();
        }
        if serves.is_empty() {
            if let Some(list) = pulled.annotations.get(oci::SERVES_ANNOTATION) {
                let listed: Vec<String> = list.split(',').map(str::to_string).collect();
                serves = served(&listed, version.clone())?.0;
            }
        }
        pulled.module
    } else if is_url(source) {
        store::download(source)?
    } else {
        std::fs::read(source).map_err(|e| format!("{source}: {e}"))?
    };
    store::check_wasi_command(&wasm).map_err(|e| format!("{source}: {e}"))?;
    let sha = store::sha256(&wasm);
    precompile(&name, &wasm, &sha).map_err(|e| format!("{source}: {e}"))?;

    let file = registry::locate(cwd).unwrap_or_else(|| cwd.join(FILE_NAME));
    let text = match std::fs::read_to_string(&file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(format!("{}: {e}", file.display())),
    };
    let stored = PluginStore::beside(&file)
        .put(&wasm)
        .map_err(|e| format!("storing {source}: {e}"))?;
    // A URL stays the source, so the file says where the module came from; the store holds the
    // copy. A local file is replaced by its stored copy, which cannot drift from the pin.
    let entry_source = if let Some(pinned) = pinned_oci {
        pinned
    } else if is_url(source) {
        source.to_string()
    } else {
        format!("{STORE_DIR}/{}", file_name(&stored))
    };
    let edit = EntryEdit {
        source: entry_source,
        sha256: sha,
        version,
        description,
        serves,
        builtins: builtins.to_vec(),
    };
    let updated =
        registry::set_entry(&text, &name, &edit).map_err(|e| format!("{}: {e}", file.display()))?;
    // Never write a registry that protoc would then refuse.
    Registry::parse(&updated, file.parent().unwrap_or(Path::new(".")))
        .map_err(|e| format!("{}: {e}", file.display()))?;
    write_registry(&file, &updated)?;
    println!(
        "added plugin \"{name}\" (sha256 {}, {}) to {}",
        &hex::encode(sha)[..12],
        format_size(wasm.len() as u64),
        file.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `--serves` references as the entry records them (`HOST/OWNER/NAME`), and the entry's version:
/// `--version`, else the one the references pin (which must agree).
fn served(
    serves: &[String],
    version: Option<String>,
) -> Result<(Vec<String>, Option<String>), String> {
    let mut identities = Vec::new();
    let mut pinned: Option<&str> = None;
    for reference in serves {
        let (identity, v) = match reference.split_once(':') {
            Some((id, v)) => (id, Some(v)),
            None => (reference.as_str(), None),
        };
        if !crate::config::buf_gen::is_remote_reference(identity) {
            return Err(format!(
                "--serves {reference}: expected a buf remote plugin, HOST/OWNER/NAME[:VERSION], e.g. buf.build/protocolbuffers/go:v1.36.5"
            ));
        }
        if let (Some(a), Some(b)) = (pinned, v) {
            if a != b {
                return Err(format!(
                    "--serves: two versions, {a} and {b}, for one entry"
                ));
            }
        }
        pinned = pinned.or(v);
        identities.push(identity.to_string());
    }
    Ok((identities, version.or(pinned.map(str::to_string))))
}

/// `protoc-gen-go.wasm` (or a URL ending in it) -> `go`.
fn default_name(source: &str) -> Option<String> {
    let source = source.split('@').next().unwrap_or(source);
    let source = match source.strip_prefix("oci://") {
        // The repository's last component, without its tag.
        Some(_) => source.rsplit('/').next()?.split(':').next()?,
        None => source,
    };
    let last = source
        .trim_end_matches('/')
        .rsplit(['/', '\\'])
        .next()?
        .split(['?', '#'])
        .next()?;
    let name = last.strip_suffix(".wasm").unwrap_or(last);
    let name = name.strip_prefix("protoc-gen-").unwrap_or(name);
    (!name.is_empty()).then(|| name.to_string())
}

fn update(cwd: &Path, name: &str) -> Result<ExitCode, String> {
    let file = registry::locate(cwd).ok_or_else(|| format!("no {FILE_NAME} here or above"))?;
    let registry = Registry::read(&file)?;
    let entry = registry
        .entries()
        .find(|e| e.name == name)
        .ok_or_else(|| format!("{}: no plugin \"{name}\"", file.display()))?;
    let source = entry
        .url
        .as_deref()
        .filter(|u| store::is_oci(u))
        .ok_or_else(|| {
            format!("plugin \"{name}\" does not come from an OCI registry; `plugin add` it again instead")
        })?;
    let tag = oci::Reference::parse(source)?.unpinned().to_string();
    add(cwd, &tag, Some(name.to_string()), None, None, &[], &[])
}

fn push(
    file: &Path,
    reference: &str,
    name: Option<String>,
    version: Option<String>,
    serves: &[String],
) -> Result<ExitCode, String> {
    let reference = oci::Reference::parse(reference)?;
    let wasm = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    store::check_wasi_command(&wasm).map_err(|e| format!("{}: {e}", file.display()))?;
    let name = name
        .or_else(|| default_name(&file.display().to_string()))
        .ok_or_else(|| {
            format!(
                "{}: cannot tell the plugin's name; give --name",
                file.display()
            )
        })?;
    let mut annotations = std::collections::BTreeMap::new();
    annotations.insert(oci::TITLE_ANNOTATION.to_string(), name);
    if let Some(version) = version {
        annotations.insert(oci::VERSION_ANNOTATION.to_string(), version);
    }
    if !serves.is_empty() {
        annotations.insert(oci::SERVES_ANNOTATION.to_string(), serves.join(","));
    }
    let created = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let digest = oci::Client::for_registry(&reference.registry).push(
        &reference,
        &wasm,
        &annotations,
        &created,
    )?;
    println!(
        "pushed {} ({}) as {reference}@{digest}",
        file.display(),
        format_size(wasm.len() as u64)
    );
    println!("{digest}");
    Ok(ExitCode::SUCCESS)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned()
}

/// Compiles the module into the AOT cache with the engine `protoc` runs plugins with, so the first
/// run is fast; a spinner shows on a terminal, since compiling a large plugin takes a while.
fn precompile(name: &str, wasm: &[u8], sha: &[u8; 32]) -> Result<(), String> {
    let runtime = WasmRuntime::new(ModuleCache::from_env()).map_err(|e| e.to_string())?;
    let spinner = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_message(format!(
            "compiling {name} ({})",
            format_size(wasm.len() as u64)
        ));
        bar.enable_steady_tick(std::time::Duration::from_millis(100));
        bar
    });
    let engine = runtime.engine().map_err(|e| e.to_string())?;
    let result = runtime
        .cache()
        .load_or_compile(engine, wasm, sha)
        .map(drop)
        .map_err(|e| format!("not a valid WebAssembly module: {e:#}"));
    if let Some(bar) = spinner {
        bar.finish_and_clear();
    }
    result
}

/// Replaces the registry file whole, so an interrupted write leaves the old one.
fn write_registry(file: &Path, text: &str) -> Result<(), String> {
    use std::io::Write;
    let dir = file.parent().unwrap_or(Path::new("."));
    let context = |e: std::io::Error| format!("{}: {e}", file.display());
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(context)?;
    tmp.write_all(text.as_bytes()).map_err(context)?;
    if let Ok(meta) = std::fs::metadata(file) {
        let _ = tmp.as_file().set_permissions(meta.permissions());
    }
    tmp.persist(file).map_err(|e| context(e.error))?;
    Ok(())
}

/// The registry file in effect, which these commands need.
fn existing_registry(cwd: &Path) -> Result<Registry, String> {
    let file = registry::locate(cwd)
        .ok_or_else(|| format!("no {FILE_NAME} in {} or above it", cwd.display()))?;
    Registry::read(&file)
}

fn list(cwd: &Path) -> Result<ExitCode, String> {
    let registry = existing_registry(cwd)?;
    let runtime = WasmRuntime::new(ModuleCache::from_env()).map_err(|e| e.to_string())?;
    let mut rows = vec![[
        "NAME".to_string(),
        "VERSION".into(),
        "SHA256".into(),
        "SIZE".into(),
        "COMPILED".into(),
    ]];
    for e in registry.entries() {
        let size = std::fs::metadata(&e.path).map_or_else(
            |_| "missing".to_string(),
            |m| format_size(m.len()).replace(' ', ""),
        );
        let compiled = runtime.engine().is_ok_and(|engine| {
            runtime
                .cache()
                .entry_path(engine, &e.sha256)
                .is_some_and(|p| p.is_file())
        });
        rows.push([
            e.name.clone(),
            e.version.clone().unwrap_or_else(|| "-".into()),
            hex::encode(&e.sha256[..6]),
            size,
            if compiled { "yes" } else { "no" }.into(),
        ]);
    }
    let widths: Vec<usize> = (0..5)
        .map(|i| rows.iter().map(|r| r[i].len()).max().unwrap_or(0))
        .collect();
    for row in &rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, &w)| format!("{cell:w$}"))
            .collect();
        println!("{}", line.join("  ").trim_end());
    }
    Ok(ExitCode::SUCCESS)
}

fn remove(cwd: &Path, name: &str) -> Result<ExitCode, String> {
    let registry = existing_registry(cwd)?;
    let file = registry.file.clone().expect("read from a file");
    let Some(entry) = registry.get(name) else {
        return Err(format!("{}: no plugin \"{name}\"", file.display()));
    };
    let text = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
    let updated = registry::remove_entry(&text, name)
        .map_err(|e| format!("{}: {e}", file.display()))?
        .ok_or_else(|| format!("{}: no plugin \"{name}\"", file.display()))?;
    write_registry(&file, &updated)?;
    // Only the store's own copy is deleted, never a module the user keeps elsewhere.
    let store = PluginStore::beside(&file);
    let shared = registry
        .entries()
        .any(|e| e.name != name && e.path == entry.path);
    if entry.path.starts_with(store.dir()) && !shared {
        match std::fs::remove_file(&entry.path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("{}: {e}", entry.path.display())),
        }
    }
    println!("removed plugin \"{name}\" from {}", file.display());
    Ok(ExitCode::SUCCESS)
}

fn verify(cwd: &Path, only: Option<&str>) -> Result<ExitCode, String> {
    let registry = existing_registry(cwd)?;
    if let Some(name) = only.filter(|n| registry.get(n).is_none()) {
        let file: PathBuf = registry.file.clone().unwrap_or_default();
        return Err(format!("{}: no plugin \"{name}\"", file.display()));
    }
    let mut bad = Vec::new();
    for e in registry
        .entries()
        .filter(|e| only.is_none_or(|n| n == e.name))
    {
        match std::fs::read(&e.path) {
            Ok(wasm) if store::sha256(&wasm) == e.sha256 => println!("ok        {}", e.name),
            Ok(wasm) => {
                println!(
                    "MISMATCH  {}: {} does not match its pin: expected {}, found {}",
                    e.name,
                    e.path.display(),
                    hex::encode(e.sha256),
                    hex::encode(store::sha256(&wasm))
                );
                bad.push(e.name.clone());
            }
            Err(_) if e.url.is_some() && !e.path.exists() => {
                println!("not yet   {}: downloaded on first use", e.name)
            }
            Err(err) => {
                println!("MISSING   {}: {}: {err}", e.name, e.path.display());
                bad.push(e.name.clone());
            }
        }
    }
    if bad.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!(
        "protowasm: {} plugin(s) do not match their pins: {}",
        bad.len(),
        bad.join(", ")
    );
    Ok(ExitCode::FAILURE)
}

#[cfg(test)]
mod tests {
    use super::default_name;

    #[test]
    fn default_names_drop_the_protoc_gen_prefix_and_the_extension() {
        assert_eq!(
            default_name("dir/protoc-gen-go.wasm").as_deref(),
            Some("go")
        );
        assert_eq!(
            default_name("http://h/x/protoc-gen-prost.wasm?v=1").as_deref(),
            Some("prost")
        );
        assert_eq!(default_name("tool.wasm").as_deref(), Some("tool"));
        assert_eq!(default_name("protoc-gen-.wasm"), None);
    }
}
