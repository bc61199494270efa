//! The in-memory output tree: per output location, the files plugin responses produced, built with
//! protoc's rules (GenerateCodeFromResponse / MemoryOutputStream) and nothing written yet.

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;
use std::fmt;

use prost::Message;
use prost_types::compiler::CodeGeneratorResponse;
use prost_types::GeneratedCodeInfo;

use super::error::OutputError;
use super::insert::{insert_bytes, insert_bytes_as_buf, InsertError, InsertionStyle, Placement};
use super::meta;

/// Everything every plugin produced, keyed by normalised output location.
#[derive(Debug, Default, Clone)]
pub struct OutputTree {
    locations: BTreeMap<String, Location>,
    warnings: Vec<String>,
    insertion: InsertionStyle,
    names: NamePolicy,
}

/// Which generated file names a tree takes.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum NamePolicy {
    /// protowasm's own rule ([`check_name`]): nothing that could leave the location. `generate`.
    #[default]
    Strict,
    /// protoc's command line: a name containing `..` is refused in a directory with protoc's
    /// message and only warned about in an archive, unless `--unsafe_allow_out_dir_escape`
    /// (`allow_escape`) lets it through, as protoc does. The rest of [`check_name`] holds.
    Protoc { allow_escape: bool },
}

/// One output context: the files bound for one `--X_out` location, and the errors that forbid
/// writing them.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Location {
    files: BTreeMap<String, Vec<u8>>,
    errors: Vec<OutputError>,
}

impl Location {
    /// File name (relative to the location) -> content, byte-sorted as protoc writes them.
    pub fn files(&self) -> &BTreeMap<String, Vec<u8>> {
        &self.files
    }

    /// Errors recorded while applying responses here; a location with any writes nothing.
    pub fn errors(&self) -> &[OutputError] {
        &self.errors
    }
}

/// The errors one [`OutputTree::apply`] call recorded, in the order protoc reports them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyError {
    pub errors: Vec<OutputError>,
}

impl fmt::Display for ApplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApplyError {}

/// protoc's output-context key: zip-like locations as typed; anything else gets a trailing '/',
/// so `out` and `out/` share a context while `./out` does not (protoc compares strings, not paths).
pub fn normalize_location(location: &str) -> String {
    let mut key = location.to_string();
    if !is_archive(location) && !key.is_empty() && !key.ends_with('/') {
        key.push('/');
    }
    key
}

/// Whether protoc writes this location as a zip archive rather than a directory.
pub fn is_archive(location: &str) -> bool {
    location.ends_with(".zip") || location.ends_with(".jar") || location.ends_with(".srcjar")
}

/// A file being assembled from a response: protoc's open MemoryOutputStream.
struct Pending {
    name: String,
    /// `Some` for an insertion into `name`.
    point: Option<String>,
    data: Vec<u8>,
    info: Option<GeneratedCodeInfo>,
}

impl OutputTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty tree whose insertions follow `style`.
    pub fn with_insertion(style: InsertionStyle) -> Self {
        OutputTree {
            insertion: style,
            ..Self::default()
        }
    }

    /// This tree, taking file names as `names` says.
    pub fn with_names(self, names: NamePolicy) -> Self {
        OutputTree { names, ..self }
    }

    /// Whether names may climb out of their location (`--unsafe_allow_out_dir_escape`).
    pub fn allows_escape(&self) -> bool {
        self.names == NamePolicy::Protoc { allow_escape: true }
    }

    /// Applies one plugin's response to `location`, protoc's way: each `file` entry with an
    /// insertion point opens an insertion into `name`, else a non-empty `name` opens a new file,
    /// else its content continues the open one. Like protoc it keeps going after a duplicate or
    /// failed insertion so every such error is reported; they are returned and also kept on the
    /// location, which will then write nothing.
    pub fn apply(
        &mut self,
        location: &str,
        plugin_name: &str,
        response: &CodeGeneratorResponse,
    ) -> Result<(), ApplyError> {
        let key = normalize_location(location);
        let rules = (self.insertion, self.names, is_archive(&key));
        let loc = self.locations.entry(key).or_default();
        let first_error = loc.errors.len();
        let mut current: Option<Pending> = None;
        for file in &response.file {
            let name = file.name();
            let point = file.insertion_point();
            let opened = if !point.is_empty() {
                Some(Pending {
                    name: name.to_string(),
                    point: Some(point.to_string()),
                    data: Vec::new(),
                    info: file.generated_code_info.clone(),
                })
            } else if !name.is_empty() {
                Some(Pending {
                    name: name.to_string(),
                    point: None,
                    data: Vec::new(),
                    info: None,
                })
            } else {
                None
            };
            // The previous file is committed before the next one opens, so an insertion can
            // target a file created earlier in the same response.
            if let Some(next) = opened {
                if let Some(done) = current.replace(next) {
                    commit(loc, &mut self.warnings, plugin_name, done, rules);
                }
            }
            match current.as_mut() {
                Some(p) => p.data.extend_from_slice(file.content().as_bytes()),
                None => {
                    // protoc aborts the whole run here; nothing else of this response applies.
                    loc.errors.push(OutputError::FirstChunkWithoutName {
                        plugin: plugin_name.to_string(),
                    });
                    return Err(ApplyError {
                        errors: loc.errors[first_error..].to_vec(),
                    });
                }
            }
        }
        if let Some(done) = current.take() {
            commit(loc, &mut self.warnings, plugin_name, done, rules);
        }
        if loc.errors.len() > first_error {
            return Err(ApplyError {
                errors: loc.errors[first_error..].to_vec(),
            });
        }
        Ok(())
    }

    /// Every location, by normalised key, in byte order.
    pub fn locations(&self) -> impl Iterator<Item = (&str, &Location)> {
        self.locations.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The location `location` names (normalised first), if any response went there.
    pub fn location(&self, location: &str) -> Option<&Location> {
        self.locations.get(&normalize_location(location))
    }

    /// All errors of all locations; if non-empty, nothing at all may be written.
    pub fn errors(&self) -> impl Iterator<Item = &OutputError> {
        self.locations.values().flat_map(|l| l.errors.iter())
    }

    /// Whether any location has an error (protoc then exits 1 having written nothing).
    pub fn has_errors(&self) -> bool {
        self.errors().next().is_some()
    }

    /// Non-fatal messages (protoc prints these and carries on), e.g. unreadable `.pb.meta`.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }
}

/// protoc's MemoryOutputStream destructor: puts a finished file or insertion into the location.
fn commit(
    loc: &mut Location,
    warnings: &mut Vec<String>,
    plugin: &str,
    p: Pending,
    (style, names, archive): (InsertionStyle, NamePolicy, bool),
) {
    let mut allow_parent = false;
    if let NamePolicy::Protoc { allow_escape } = names {
        if p.name.contains("..") {
            allow_parent = allow_escape || archive;
            if archive && !allow_escape {
                warnings.push(format!("WARNING: Output file names must never have a relative path. ({}). This will become an error in a future breaking change release of Protobuf. Use --unsafe_allow_out_dir_escape to suppress this warning if intentional.", p.name));
            } else if !allow_escape {
                // protoc writes a directory's files in name order and stops at the first such
                // name: that one alone is reported.
                let earlier = loc.errors.iter_mut().find_map(|e| match e {
                    OutputError::RelativePath { name } => Some(name),
                    _ => None,
                });
                match earlier {
                    Some(name) if *name <= p.name => {}
                    Some(name) => *name = p.name,
                    None => loc.errors.push(OutputError::RelativePath { name: p.name }),
                }
                return;
            }
        }
    }
    if let Err(reason) = check_name_with(&p.name, allow_parent) {
        loc.errors.push(OutputError::UnsafeFileName {
            plugin: plugin.to_string(),
            name: p.name,
            reason,
        });
        return;
    }
    let Some(point) = p.point else {
        match loc.files.entry(p.name) {
            Entry::Occupied(e) => loc.errors.push(OutputError::DuplicateFile {
                name: e.key().clone(),
            }),
            Entry::Vacant(e) => {
                e.insert(p.data);
            }
        }
        return;
    };
    let Some(target) = loc.files.get(&p.name) else {
        // protoc's lookup inserts an empty entry before failing, so a later file of the same
        // name reports "Tried to write the same file twice."; kept so the messages match.
        loc.files.insert(p.name.clone(), Vec::new());
        loc.errors
            .push(OutputError::InsertTargetMissing { name: p.name });
        return;
    };
    let inserted = match style {
        InsertionStyle::Protoc => insert_bytes(target, point.as_bytes(), &p.data),
        InsertionStyle::Buf => insert_bytes_as_buf(target, point.as_bytes(), &p.data),
    };
    match inserted {
        Ok((updated, placement)) => {
            loc.files.insert(p.name.clone(), updated);
            let mut data = p.data;
            if data.last().is_some_and(|&b| b != b'\n') {
                data.push(b'\n');
            }
            update_metadata(loc, warnings, &p.name, &data, placement, p.info);
        }
        Err(InsertError::PointNotFound) => loc.errors.push(OutputError::InsertionPointNotFound {
            name: p.name,
            point,
        }),
    }
}

/// protoc's UpdateMetadata: keeps `<name>.pb.meta` in step with an insertion into `<name>`.
fn update_metadata(
    loc: &mut Location,
    warnings: &mut Vec<String>,
    name: &str,
    content: &[u8],
    placement: Placement,
    info: Option<GeneratedCodeInfo>,
) {
    let meta_name = format!("{name}.pb.meta");
    let inserted = info.map(|i| meta::from_prost(&i)).unwrap_or_default();
    let existing = match loc.files.get(&meta_name) {
        None if inserted.annotation.is_empty() => return,
        None => meta::MetaInfo::default(),
        Some(bytes) => match meta::MetaInfo::decode(bytes.as_slice()) {
            Ok(m) => m,
            Err(_) => {
                // TODO: protoc also accepts text-format GeneratedCodeInfo here (what plugins
                // emit, since response content is a string) and rewrites it as text; we leave
                // such a file untouched, so its offsets go stale after this insertion.
                warnings.push(format!(
                    "{meta_name}: not updated for an insertion into {name}: only binary \
                     GeneratedCodeInfo is supported (protoc also reads text format)."
                ));
                return;
            }
        },
    };
    let updated = meta::shift(&existing, &inserted, content, placement);
    loc.files.insert(meta_name, updated.encode_to_vec());
}

/// Refuses names that could escape the output root or alias another name. Stricter than protoc
/// on purpose: protoc writes `prefix + name` as given (so `/abs` and, before v35, `../x` escape).
/// `.` components and empty components (`a//b`, `a/`) are refused too although protoc accepts
/// them: `./a` and `a` would be two entries in the tree for one file on disk, defeating the
/// duplicate check, and a zip would hold both. `..` is a component check, so `a..b` is allowed
/// where protoc 35+ refuses any name containing `..` in directory output.
pub(crate) fn check_name(name: &str) -> Result<(), &'static str> {
    check_name_with(name, false)
}

/// [`check_name`], with `..` components allowed when `allow_parent`.
pub(crate) fn check_name_with(name: &str, allow_parent: bool) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("is empty");
    }
    if name.contains('\0') {
        return Err("contains a NUL byte");
    }
    if name.contains('\\') {
        return Err("contains a backslash: use '/' to separate directories");
    }
    if name.starts_with('/') {
        return Err("is an absolute path: names must be relative to the output directory");
    }
    for component in name.split('/') {
        match component {
            ".." if allow_parent => {}
            ".." => {
                return Err(
                    "has a \"..\" component: nothing may be written outside the output directory",
                )
            }
            "." => return Err("has a \".\" component: write the name without it"),
            "" => return Err("has an empty component (\"//\" or a trailing '/')"),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "tree_tests.rs"]
mod tests;
