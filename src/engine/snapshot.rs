//! The compile cache: what the load, transform and prepare stages made of a run's `.proto`
//! files ([`Prepared`]), kept so that a re-run with nothing changed skips compiling, as a build
//! system skips an up-to-date target.
//!
//! The key names everything the result depends on that is not a file: protowasm's build (its
//! version and the executable's size and modification time, so that a rebuilt protowasm never
//! reads an older one's entries), the working directory (relative `-I` paths and inputs are
//! resolved against it), and the parts of the run that shape the result (inputs, `-I`, rules,
//! transforms, `-o` and `--dependency_out`, and what each plugin's request entries depend on).
//!
//! The files are checked, not keyed: an entry lists every file the compiler read, by virtual
//! name, with where the source tree found it and a sha256 of its contents. A hit opens each name
//! through the tree again and must find it at the same place with the same contents. An edited
//! import changes a digest; a new file on an earlier `-I` that shadows an import is found first,
//! at another place. The inputs' virtual names are derived again as well, so that a new
//! shadowing input fails as protoc fails it. Only compiles that succeeded are stored; runs that
//! read `--descriptor_set_in` are not cached.
//!
//! An entry is a [`super::BlobCache`] blob (`compiled/xx/<key>.snap`): atomic, checksummed,
//! pruned with the other caches. A damaged or stale entry is a miss.

use std::path::Path;

use prost::Message;
use sha2::{Digest, Sha256};

use super::load::{self, Read, Reads};
use super::{plan, Prepared};
use crate::cache::BlobCache;
use crate::compiler::source_tree::SourceTree;
use crate::descriptor_set::FileSet;
use crate::model::Run;
use crate::plugins::CacheMode;

/// What one run's entry holds: the prepared files and the compiler's warnings, as printed.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub prepared: Prepared,
    pub warnings: Vec<String>,
}

/// The compile cache as one run uses it.
pub struct Snapshot<'a> {
    cache: BlobCache,
    key: [u8; 32],
    run: &'a Run,
    tree: &'a SourceTree,
}

impl<'a> Snapshot<'a> {
    /// The run's entry in the cache under `root`, unless the run cannot be cached (the cache is
    /// off, or descriptor sets are read).
    pub fn for_run(run: &'a Run, root: &Path, tree: &'a SourceTree) -> Option<Snapshot<'a>> {
        if run.compile_cache == CacheMode::Off || !run.input.descriptor_sets.is_empty() {
            return None;
        }
        Some(Snapshot {
            cache: BlobCache::compiled(Some(root)),
            key: key(run)?,
            run,
            tree,
        })
    }

    pub fn key_hex(&self) -> String {
        hex::encode(self.key)
    }

    /// The stored entry, if there is one and every file it read is still what it was.
    pub fn lookup(&self) -> Option<Entry> {
        let bytes = self.cache.get(&self.key)?;
        let stored = match StoredEntry::decode(&bytes[..]) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(
                    "compile cache entry {} does not decode: {e}",
                    self.key_hex()
                );
                return None;
            }
        };
        if let Some(why) = self.stale(&stored) {
            tracing::info!("compile cache entry {} is stale: {why}", self.key_hex());
            return None;
        }
        tracing::info!("compile cache hit {}", self.key_hex());
        stored.into_entry()
    }

    /// Why the files `stored` was made from are no longer the ones the tree opens, if so.
    fn stale(&self, stored: &StoredEntry) -> Option<String> {
        use rayon::prelude::*;
        // Reading and hashing every file is most of a hit's time: on all cores.
        let changed = stored.reads.par_iter().find_map_any(|read| {
            let opened = match self.tree.open(&read.name) {
                Ok(o) => o,
                Err(_) => return Some(format!("{} no longer opens", read.name)),
            };
            let now = Read::of(&read.name, &opened);
            if now.disk_path != read.disk_path {
                return Some(format!("{} is now found elsewhere", read.name));
            }
            if now.sha256[..] != read.sha256[..] {
                return Some(format!("{} changed", read.name));
            }
            None
        });
        if changed.is_some() {
            return changed;
        }
        // The dependency file names built-in files written to the cache: they must still be there.
        if let Some(gone) = stored.dependencies.iter().find(|d| !Path::new(d).exists()) {
            return Some(format!("{gone} is gone"));
        }
        match load::virtual_inputs(&self.run.input, Some(self.tree), None) {
            Ok(inputs) if inputs == stored.inputs => None,
            _ => Some("the inputs map to other names".into()),
        }
    }

    /// Stores `entry`, made from the files in `reads`. Failing to store only costs the speed-up.
    pub fn store(&self, entry: &Entry, reads: Reads) {
        let mut reads = reads.into_vec();
        reads.sort_by(|a, b| a.name.cmp(&b.name));
        reads.dedup_by(|a, b| a.name == b.name);
        let stored = StoredEntry::from_entry(entry, &reads);
        self.cache.put(&self.key, &stored.encode_to_vec());
    }

    /// Removes the entry (`--verify-cache` found it wrong).
    pub fn remove(&self) {
        self.cache.remove(&self.key);
    }
}

/// The key: protowasm's build, the working directory, and what of the run shapes its result.
/// `None` when the working directory or the executable cannot be read (the run is not cached).
fn key(run: &Run) -> Option<[u8; 32]> {
    use crate::cache::key_field as field;
    let mut h = Sha256::new();
    field(&mut h, b"protowasm compile cache 1");
    field(&mut h, env!("CARGO_PKG_VERSION").as_bytes());
    field(&mut h, build_identity()?.as_bytes());
    field(
        &mut h,
        std::env::current_dir().ok()?.as_os_str().as_encoded_bytes(),
    );
    // Debug forms are exact and stable within one build (no hash maps in these types), and the
    // build is part of the key.
    field(&mut h, format!("{:?}", run.input).as_bytes());
    field(&mut h, format!("{:?}", run.transforms).as_bytes());
    // Where `-o` writes is not part of what is compiled: only what goes into the set.
    let set = run
        .output
        .descriptor_set
        .as_ref()
        .map(|o| (o.include_imports, o.include_source_info, o.retain_options));
    field(&mut h, format!("{set:?}").as_bytes());
    let defaults = run
        .output
        .edition_defaults
        .as_ref()
        .map(|d| (d.minimum, d.maximum));
    field(&mut h, format!("{defaults:?}").as_bytes());
    h.update([
        run.output.dependency_file.is_some() as u8,
        run.plugins.is_empty() as u8,
        run.output.print_free_field_numbers as u8,
    ]);
    h.update((run.plugins.len() as u64).to_le_bytes());
    for plugin in &run.plugins {
        field(&mut h, plugin.name.as_bytes());
        field(&mut h, plugin.parameter.as_bytes());
        h.update([plan::serves_builtin(plugin) as u8]);
        field(&mut h, format!("{:?}", plugin.requests.imports).as_bytes());
        field(&mut h, format!("{:?}", plugin.types).as_bytes());
    }
    Some(h.finalize().into())
}

/// The running executable's path, size and modification time: a rebuilt protowasm has another.
fn build_identity() -> Option<String> {
    let exe = std::env::current_exe().ok()?;
    let meta = std::fs::metadata(&exe).ok()?;
    let modified = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    Some(format!(
        "{} {} {}",
        exe.display(),
        meta.len(),
        modified.as_nanos()
    ))
}

/// An entry as stored.
#[derive(Clone, PartialEq, Message)]
struct StoredEntry {
    #[prost(message, repeated, tag = "1")]
    reads: Vec<StoredRead>,
    #[prost(string, repeated, tag = "2")]
    inputs: Vec<String>,
    #[prost(message, repeated, tag = "3")]
    files: Vec<StoredFile>,
    /// One per plugin of the run, in order.
    #[prost(message, repeated, tag = "4")]
    entries: Vec<StoredEntries>,
    #[prost(bytes = "vec", optional, tag = "5")]
    descriptor_set: Option<Vec<u8>>,
    #[prost(bool, tag = "6")]
    has_dependencies: bool,
    #[prost(string, repeated, tag = "7")]
    dependencies: Vec<String>,
    #[prost(bool, tag = "8")]
    found_warnings: bool,
    #[prost(string, repeated, tag = "9")]
    warnings: Vec<String>,
    #[prost(string, optional, tag = "10")]
    free_field_numbers: Option<String>,
    #[prost(bytes = "vec", optional, tag = "11")]
    edition_defaults: Option<Vec<u8>>,
    #[prost(string, optional, tag = "12")]
    edition_defaults_error: Option<String>,
}

#[derive(Clone, PartialEq, Message)]
struct StoredRead {
    #[prost(string, tag = "1")]
    name: String,
    #[prost(string, optional, tag = "2")]
    disk_path: Option<String>,
    #[prost(bytes = "vec", tag = "3")]
    sha256: Vec<u8>,
}

#[derive(Clone, PartialEq, Message)]
struct StoredFile {
    #[prost(bytes = "vec", tag = "1")]
    bytes: Vec<u8>,
    #[prost(bytes = "vec", optional, tag = "2")]
    stripped: Option<Vec<u8>>,
}

#[derive(Clone, PartialEq, Message)]
struct StoredEntries {
    #[prost(message, repeated, tag = "1")]
    files: Vec<NamedBytes>,
}

#[derive(Clone, PartialEq, Message)]
struct NamedBytes {
    #[prost(string, tag = "1")]
    name: String,
    #[prost(bytes = "vec", tag = "2")]
    bytes: Vec<u8>,
}

impl StoredEntry {
    fn from_entry(entry: &Entry, reads: &[Read]) -> StoredEntry {
        let p = &entry.prepared;
        StoredEntry {
            reads: reads
                .iter()
                .map(|r| StoredRead {
                    name: r.name.clone(),
                    disk_path: r.disk_path.clone(),
                    sha256: r.sha256.to_vec(),
                })
                .collect(),
            inputs: p.inputs.clone(),
            files: p
                .files
                .files()
                .map(|f| StoredFile {
                    bytes: f.bytes.clone(),
                    stripped: f.stripped.clone(),
                })
                .collect(),
            entries: p
                .entries
                .iter()
                .map(|map| {
                    let mut files: Vec<NamedBytes> = map
                        .iter()
                        .map(|(name, bytes)| NamedBytes {
                            name: name.clone(),
                            bytes: bytes.clone(),
                        })
                        .collect();
                    files.sort_by(|a, b| a.name.cmp(&b.name));
                    StoredEntries { files }
                })
                .collect(),
            descriptor_set: p.descriptor_set.clone(),
            has_dependencies: p.dependencies.is_some(),
            dependencies: p.dependencies.clone().unwrap_or_default(),
            found_warnings: p.found_warnings,
            warnings: entry.warnings.clone(),
            free_field_numbers: p.free_field_numbers.clone(),
            edition_defaults: p.edition_defaults.clone().and_then(Result::ok),
            edition_defaults_error: p.edition_defaults.clone().and_then(Result::err),
        }
    }

    /// The entry, `None` if a stored file does not decode (a miss).
    fn into_entry(self) -> Option<Entry> {
        let mut files = FileSet::default();
        for f in self.files {
            files.add_compiled(f.bytes, f.stripped).ok()?;
        }
        Some(Entry {
            prepared: Prepared {
                files,
                inputs: self.inputs,
                entries: self
                    .entries
                    .into_iter()
                    .map(|e| e.files.into_iter().map(|f| (f.name, f.bytes)).collect())
                    .collect(),
                descriptor_set: self.descriptor_set,
                dependencies: self.has_dependencies.then_some(self.dependencies),
                found_warnings: self.found_warnings,
                free_field_numbers: self.free_field_numbers,
                edition_defaults: match (self.edition_defaults, self.edition_defaults_error) {
                    (Some(bytes), _) => Some(Ok(bytes)),
                    (None, Some(message)) => Some(Err(message)),
                    (None, None) => None,
                },
            },
            warnings: self.warnings,
        })
    }
}
