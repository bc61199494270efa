//! The plugin store: wasm modules kept by content next to the registry, as
//! `<registry dir>/.protowasm/plugins/<sha256>.wasm`, with the checks a module passes to get in
//! (a WASI preview 1 command) and the download of URL sources.
//!
//! Writes go through a temporary file renamed into place, so a reader sees a whole module or none;
//! a module's name is its sha256, so two entries with the same bytes share one file.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};

/// The store's directory, relative to the registry file's directory.
pub const STORE_DIR: &str = ".protowasm/plugins";

/// A downloaded module may be at most this large; protoc-gen-go is ~20 MiB, so this is room to grow.
const DOWNLOAD_LIMIT: u64 = 1 << 30;

#[derive(Debug, Clone)]
pub struct PluginStore {
    dir: PathBuf,
}

impl PluginStore {
    /// The store beside the registry file `registry`.
    pub fn beside(registry: &Path) -> PluginStore {
        let base = registry.parent().unwrap_or(Path::new("."));
        PluginStore {
            dir: base.join(STORE_DIR),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the module with this sha256 is (or would be) stored.
    pub fn path(&self, sha256: &[u8; 32]) -> PathBuf {
        self.dir.join(format!("{}.wasm", hex::encode(sha256)))
    }

    /// Stores `wasm` under its sha256 and returns its path. A module already there with the right
    /// bytes is left alone; a damaged one is replaced.
    pub fn put(&self, wasm: &[u8]) -> std::io::Result<PathBuf> {
        let sha = sha256(wasm);
        let path = self.path(&sha);
        if std::fs::read(&path).is_ok_and(|have| sha256(&have) == sha) {
            return Ok(path);
        }
        std::fs::create_dir_all(&self.dir)?;
        let mut tmp = tempfile::NamedTempFile::new_in(&self.dir)?;
        tmp.write_all(wasm)?;
        tmp.as_file().sync_all()?;
        tmp.persist(&path).map_err(|e| e.error)?;
        Ok(path)
    }

    /// The module pinned at `sha256`, downloading it from `url` into the store if it is missing.
    /// A download that does not match the pin is refused and not stored.
    pub fn fetch(&self, url: &str, sha256: &[u8; 32]) -> Result<PathBuf, String> {
        let path = self.path(sha256);
        if path.is_file() {
            // Checked against the pin when it is loaded, like any registry module.
            return Ok(path);
        }
        let wasm = download(url)?;
        let actual = self::sha256(&wasm);
        if actual != *sha256 {
            return Err(format!(
                "{url} does not match the sha256 pinned in the plugin registry: expected {}, found {}; it was not stored",
                hex::encode(sha256),
                hex::encode(actual)
            ));
        }
        self.put(&wasm)
            .map_err(|e| format!("storing {url} in {}: {e}", self.dir.display()))
    }
}

pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// A source that is downloaded: an http(s) URL, or an `oci://` reference.
pub fn is_url(source: &str) -> bool {
    source.starts_with("http://") || source.starts_with("https://") || is_oci(source)
}

pub fn is_oci(source: &str) -> bool {
    source.starts_with("oci://")
}

/// Downloads `url` (http or https, following the usual proxy environment variables), or pulls an
/// `oci://` reference (checked against its digests).
pub fn download(url: &str) -> Result<Vec<u8>, String> {
    if is_oci(url) {
        let reference = super::oci::Reference::parse(url)?;
        let client = super::oci::Client::for_registry(&reference.registry);
        return Ok(client.pull(&reference)?.module);
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(600)))
        .build()
        .into();
    let mut response = agent
        .get(url)
        .call()
        .map_err(|e| format!("downloading {url}: {e}"))?;
    response
        .body_mut()
        .with_config()
        .limit(DOWNLOAD_LIMIT)
        .read_to_vec()
        .map_err(|e| format!("downloading {url}: {e}"))
}

/// Checks that `wasm` is a WASI preview 1 command: a core module that exports a `_start`
/// function and imports nothing but `wasi_snapshot_preview1`. The module's code is validated
/// when it is compiled.
pub fn check_wasi_command(wasm: &[u8]) -> Result<(), String> {
    use wasmparser::{Encoding, ExternalKind, Parser, Payload};
    if !wasm.starts_with(b"\0asm") {
        return Err("not a WebAssembly module (it does not start with \\0asm)".into());
    }
    let invalid = |e: wasmparser::BinaryReaderError| format!("not a valid WebAssembly module: {e}");
    let mut has_start = false;
    let mut foreign = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(invalid)? {
            Payload::Version {
                encoding: Encoding::Component,
                ..
            } => return Err(
                "a WebAssembly component, not a WASI preview 1 module (build for wasm32-wasip1)"
                    .into(),
            ),
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import.map_err(invalid)?;
                    if import.module != "wasi_snapshot_preview1" {
                        foreign.push(format!("{}::{}", import.module, import.name));
                    }
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export.map_err(invalid)?;
                    has_start |= export.name == "_start" && export.kind == ExternalKind::Func;
                }
            }
            _ => {}
        }
    }
    if !foreign.is_empty() {
        let more = if foreign.len() > 3 {
            format!(" and {} more", foreign.len() - 3)
        } else {
            String::new()
        };
        foreign.truncate(3);
        return Err(format!(
            "not a WASI preview 1 module: it imports {}{more}, and protowasm provides only wasi_snapshot_preview1",
            foreign.join(", ")
        ));
    }
    if !has_start {
        return Err(
            "not a WASI preview 1 command: it exports no `_start` function (a reactor or library, not a program)"
                .into(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A module with one type, the given imports, one function and the given exports.
    fn module(imports: &[(&str, &str)], export_start: bool) -> Vec<u8> {
        fn string(out: &mut Vec<u8>, s: &str) {
            out.push(s.len() as u8);
            out.extend_from_slice(s.as_bytes());
        }
        fn section(out: &mut Vec<u8>, id: u8, body: Vec<u8>) {
            out.push(id);
            out.push(body.len() as u8);
            out.extend(body);
        }
        let mut m = b"\0asm\x01\0\0\0".to_vec();
        section(&mut m, 1, vec![1, 0x60, 0, 0]); // type 0: () -> ()
        let mut imp = vec![imports.len() as u8];
        for (module, name) in imports {
            string(&mut imp, module);
            string(&mut imp, name);
            imp.extend([0, 0]); // func of type 0
        }
        section(&mut m, 2, imp);
        section(&mut m, 3, vec![1, 0]); // one function of type 0
        let mut exp = vec![u8::from(export_start)];
        if export_start {
            string(&mut exp, "_start");
            exp.extend([0, imports.len() as u8]);
        }
        section(&mut m, 7, exp);
        section(&mut m, 10, vec![1, 2, 0, 0x0b]); // body: no locals, end
        m
    }

    #[test]
    fn a_wasi_command_passes() {
        let m = module(&[("wasi_snapshot_preview1", "proc_exit")], true);
        check_wasi_command(&m).unwrap();
    }

    #[test]
    fn what_is_not_a_wasi_command_is_named() {
        let err = check_wasi_command(b"#!/bin/sh\necho hi\n").unwrap_err();
        assert!(err.starts_with("not a WebAssembly module"), "{err}");
        let err = check_wasi_command(&module(&[], false)).unwrap_err();
        assert!(err.contains("exports no `_start`"), "{err}");
        let err = check_wasi_command(&module(&[("env", "host_log")], true)).unwrap_err();
        assert!(err.contains("it imports env::host_log"), "{err}");
        let err = check_wasi_command(b"\0asm\x0d\0\x01\0").unwrap_err();
        assert!(err.contains("component"), "{err}");
        let err = check_wasi_command(b"\0asm\x01\0\0\0\x01\x09").unwrap_err();
        assert!(err.starts_with("not a valid WebAssembly module"), "{err}");
    }

    #[test]
    fn the_store_keeps_modules_by_content() {
        let dir = tempfile::tempdir().unwrap();
        let store = PluginStore::beside(&dir.path().join("plugins-registry.toml"));
        let m = module(&[], true);
        let path = store.put(&m).unwrap();
        assert_eq!(path, store.path(&sha256(&m)));
        assert!(path.starts_with(dir.path().join(".protowasm/plugins")));
        assert_eq!(std::fs::read(&path).unwrap(), m);
        // A damaged copy is replaced.
        std::fs::write(&path, b"junk").unwrap();
        assert_eq!(store.put(&m).unwrap(), path);
        assert_eq!(std::fs::read(&path).unwrap(), m);
        // Nothing but the module is left in the store.
        assert_eq!(std::fs::read_dir(store.dir()).unwrap().count(), 1);
    }
}
