//! buf.yaml deps, offline: pinned by a v2 `buf.lock`, read from buf's own module cache, and
//! checked against the lock's b5 digest as buf checks them. Nothing is downloaded.
//!
//! buf keeps a module at `$BUF_CACHE_DIR` (else `~/.cache/buf`)
//! `/v3/modules/b5/<registry>/<owner>/<name>/<commit>/`: a `module.yaml` (`version: v1`,
//! `files_dir`, the module's own `deps` with their digests) and the files. A b5 digest is the
//! shake256 (64 bytes) of the module's files digest, then the b5 digests of its deps, sorted,
//! joined with newlines; the files digest is the shake256 of a manifest, one line
//! `shake256:<hex of the file's shake256>  <path>` per file, sorted by path. The files are the
//! `.proto` files, `LICENSE`, and the first of `buf.md`, `README.md`, `README.markdown`.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::buf_gen::VersionOnly;
use sha3::digest::{ExtendableOutput, Update, XofReader};

/// One dep a buf.lock pins.
#[derive(Debug, Clone, PartialEq)]
pub struct LockedDep {
    /// `buf.build/OWNER/NAME`.
    pub name: String,
    /// The commit, without dashes.
    pub commit: String,
    /// `b5:<hex>`.
    pub digest: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLockV2 {
    #[allow(dead_code)]
    version: String,
    #[serde(default)]
    deps: Vec<RawLockDep>,
    #[allow(dead_code)]
    plugins: Option<yaml_serde::Value>,
    #[allow(dead_code)]
    policies: Option<yaml_serde::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLockDep {
    name: String,
    commit: String,
    digest: String,
}

/// `module.yaml` in buf's cache; buf reads it leniently, and so does this.
#[derive(Deserialize)]
struct RawModuleData {
    version: Option<String>,
    files_dir: Option<String>,
    #[serde(default)]
    deps: Vec<RawModuleDep>,
}

#[derive(Deserialize)]
struct RawModuleDep {
    digest: Option<String>,
}

/// The deps `buf.lock` (beside a buf.yaml) pins; `None` when there is no buf.lock.
pub fn read_lock(dir: &Path) -> Result<Option<Vec<LockedDep>>, String> {
    let file = dir.join("buf.lock");
    let text = match std::fs::read_to_string(&file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{}: {e}", file.display())),
    };
    let yaml =
        |e: yaml_serde::Error| format!("{}: {}", file.display(), super::buf_gen::yaml_message(&e));
    let version: VersionOnly = yaml_serde::from_str(&text).map_err(yaml)?;
    match version.version.as_deref() {
        Some("v2") => {}
        Some(v @ ("v1" | "v1beta1")) => {
            return Err(format!(
                "{}: a {v} buf.lock pins deps by b4 digests, which protowasm does not check: run `buf dep update` to write a v2 buf.lock, or map the deps to directories with [deps] in plugins-registry.toml",
                file.display()
            ))
        }
        other => {
            return Err(format!(
                "{}: unknown file version: \"{}\"",
                file.display(),
                other.unwrap_or("")
            ))
        }
    }
    let raw: RawLockV2 = yaml_serde::from_str(&text).map_err(yaml)?;
    Ok(Some(
        raw.deps
            .into_iter()
            .map(|d| LockedDep {
                name: d.name,
                commit: d.commit.replace('-', ""),
                digest: d.digest,
            })
            .collect(),
    ))
}

/// buf's module cache: `$BUF_CACHE_DIR`, else `$XDG_CACHE_HOME/buf`, else `~/.cache/buf`.
pub fn cache_root() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("BUF_CACHE_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    dirs::cache_dir().map(|d| d.join("buf"))
}

/// The directory of `dep`'s files in buf's cache at `root`, after checking them against the
/// lock's digest. `Ok(None)` when the cache does not hold the commit.
pub fn cached_files(root: &Path, dep: &LockedDep) -> Result<Option<PathBuf>, String> {
    let Some(kind) = dep.digest.split_once(':').map(|(k, _)| k) else {
        return Err(format!(
            "dep {}: digest \"{}\" has no type",
            dep.name, dep.digest
        ));
    };
    if kind != "b5" {
        return Err(format!(
            "dep {}: digest type \"{kind}\" is not checked by protowasm (b5 is)",
            dep.name
        ));
    }
    let dir = root.join("v3/modules/b5").join(&dep.name).join(&dep.commit);
    let module_yaml = dir.join("module.yaml");
    let text = match std::fs::read_to_string(&module_yaml) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{}: {e}", module_yaml.display())),
    };
    let data: RawModuleData = yaml_serde::from_str(&text)
        .map_err(|e| format!("{}: {}", module_yaml.display(), e.to_string().trim_end()))?;
    let (Some("v1"), Some(files_dir)) = (data.version.as_deref(), data.files_dir.as_deref()) else {
        return Err(format!(
            "{}: not a module buf's cache holds in a form protowasm reads (version v1, files_dir)",
            module_yaml.display()
        ));
    };
    let files = dir.join(files_dir);
    let dep_digests: Vec<String> = data.deps.into_iter().filter_map(|d| d.digest).collect();
    let actual = b5_digest(&files, &dep_digests)?;
    if actual != dep.digest {
        return Err(format!(
            "*** Digest verification failed for \"{}:{}\" ***\n\tExpected digest (from buf.lock): \"{}\"\n\tActual digest: \"{actual}\"\n\tThe files in {} are not the module buf.lock pins: a hand-edited buf.lock or a corrupted cache. buf registry cc clears buf's cache.",
            dep.name,
            dep.commit,
            dep.digest,
            files.display()
        ));
    }
    Ok(Some(files))
}

/// The b5 digest (`b5:<hex>`) of the module whose files are under `files`, with deps of the
/// given b5 digests.
pub fn b5_digest(files: &Path, dep_digests: &[String]) -> Result<String, String> {
    let mut manifest = String::new();
    for path in module_files(files)? {
        let bytes = std::fs::read(files.join(&path))
            .map_err(|e| format!("{}: {e}", files.join(&path).display()))?;
        manifest.push_str(&format!("shake256:{}  {path}\n", shake256_hex(&bytes)));
    }
    let mut digests = vec![format!("shake256:{}", shake256_hex(manifest.as_bytes()))];
    let mut deps = dep_digests.to_vec();
    deps.sort();
    digests.extend(deps);
    Ok(format!(
        "b5:{}",
        shake256_hex(digests.join("\n").as_bytes())
    ))
}

/// The module's files under `dir`, '/'-separated and sorted: `.proto` files, `LICENSE`, and
/// the first documentation file that exists.
fn module_files(dir: &Path) -> Result<Vec<String>, String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<(), String> {
        let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, out)?;
            } else if let Ok(rel) = path.strip_prefix(root) {
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
        Ok(())
    }
    let mut all = Vec::new();
    walk(dir, dir, &mut all)?;
    let doc = ["buf.md", "README.md", "README.markdown"]
        .into_iter()
        .find(|d| all.iter().any(|f| f == d));
    let mut files: Vec<String> = all
        .into_iter()
        .filter(|f| f.ends_with(".proto") || f == "LICENSE" || Some(f.as_str()) == doc)
        .collect();
    files.sort();
    Ok(files)
}

fn shake256_hex(bytes: &[u8]) -> String {
    let mut hasher = sha3::Shake256::default();
    hasher.update(bytes);
    let mut out = [0u8; 64];
    hasher.finalize_xof().read(&mut out);
    hex::encode(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shake256_is_the_64_byte_xof() {
        // The empty input's SHAKE256 (FIPS 202), first 64 bytes.
        assert_eq!(
            shake256_hex(b""),
            "46b9dd2b0ba88d13233b3feb743eeb243fcd52ea62b81b82b50c27646ed5762fd75dc4ddd8c0f200cb05019d67b592f6fc821c49479ab48640292eacb3b7c4be"
        );
    }

    #[test]
    fn a_v2_lock_is_read_and_a_v1_lock_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("buf.lock"),
            "# Generated by buf. DO NOT EDIT.\nversion: v2\ndeps:\n  - name: buf.build/googleapis/googleapis\n    commit: 61b203b9a9164be9a834f58c37be6f62\n    digest: b5:abc\n",
        )
        .unwrap();
        let deps = read_lock(dir.path()).unwrap().unwrap();
        assert_eq!(deps[0].name, "buf.build/googleapis/googleapis");
        assert_eq!(deps[0].commit, "61b203b9a9164be9a834f58c37be6f62");
        std::fs::write(dir.path().join("buf.lock"), "version: v1\ndeps: []\n").unwrap();
        assert!(read_lock(dir.path())
            .unwrap_err()
            .contains("buf dep update"));
        assert_eq!(read_lock(&dir.path().join("none")).unwrap(), None);
    }
}
