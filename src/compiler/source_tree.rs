//! Where `.proto` files come from: protoc's `DiskSourceTree`, with the same path rules.
//!
//! A tree is a list of mappings from a virtual prefix to a disk directory (`-I DIR` maps "" to
//! DIR, `-I VIRT=DISK` maps VIRT to DISK), tried in order; the first that opens a file wins.
//! Last comes protoc's own include directory (descriptor.proto and the well-known types), which
//! protowasm carries inside its binary rather than on disk.

use std::path::Path;

/// protoc 36.2's include directory, embedded at build time: (virtual name, contents).
const BUILTIN: &[(&str, &[u8])] = include!(concat!(env!("OUT_DIR"), "/builtin_protos.rs"));

/// The built-in copy of a file of protoc's include directory, by virtual name.
pub fn builtin(name: &str) -> Option<&'static [u8]> {
    BUILTIN.iter().find(|(n, _)| *n == name).map(|(_, b)| *b)
}

/// Names of every built-in file.
pub fn builtin_names() -> impl Iterator<Item = &'static str> {
    BUILTIN.iter().map(|(n, _)| *n)
}

#[derive(Debug, Clone)]
struct Mapping {
    virtual_path: String,
    /// Canonicalized as protoc canonicalizes it.
    disk_path: String,
}

/// A file read through the tree.
#[derive(Debug)]
pub struct Opened {
    pub contents: Vec<u8>,
    /// The disk path it was read from; `None` for a built-in file.
    pub disk_path: Option<String>,
}

/// protoc's `DiskFileToVirtualFile` outcomes, for mapping input files to virtual names.
#[derive(Debug, PartialEq, Eq)]
pub enum DiskToVirtual {
    Mapped(String),
    /// Mapped to this virtual name, but an earlier mapping has another file by that name.
    Shadowed {
        virtual_name: String,
        by: String,
    },
    CannotOpen(String),
    NoMapping,
}

#[derive(Debug, Clone, Default)]
pub struct SourceTree {
    mappings: Vec<Mapping>,
    builtin: bool,
}

impl SourceTree {
    /// A tree over `-I` values (each `DIR` or `VIRT=DISK`, as protoc reads them) followed by the
    /// built-in include directory. Returns the warnings protoc prints for missing directories.
    pub fn new(proto_paths: &[String]) -> (SourceTree, Vec<String>) {
        let mut tree = SourceTree {
            mappings: Vec::new(),
            builtin: true,
        };
        let mut warnings = Vec::new();
        for part in proto_paths {
            let (mut virtual_path, mut disk_path) = match part.split_once('=') {
                Some((v, d)) => (v, d),
                None => ("", part.as_str()),
            };
            if !Path::new(disk_path).exists() {
                // The whole value may be a directory that happens to contain '='.
                if Path::new(part).exists() {
                    (virtual_path, disk_path) = ("", part.as_str());
                } else {
                    warnings.push(format!("{disk_path}: warning: directory does not exist."));
                }
            }
            tree.mappings.push(Mapping {
                virtual_path: virtual_path.to_string(),
                disk_path: canonicalize(disk_path),
            });
        }
        (tree, warnings)
    }

    /// A tree with only the built-in files, for tests and for compiling the well-known types.
    pub fn builtin_only() -> SourceTree {
        SourceTree {
            mappings: Vec::new(),
            builtin: true,
        }
    }

    /// Reads a file by virtual name (protoc's `OpenVirtualFile`). The error is protoc's message.
    pub fn open(&self, virtual_file: &str) -> Result<Opened, String> {
        if virtual_file != canonicalize(virtual_file) || contains_parent_reference(virtual_file) {
            return Err(
                "Backslashes, consecutive slashes, \".\", or \"..\" are not allowed in the virtual path"
                    .into(),
            );
        }
        for m in &self.mappings {
            let Some(disk) = apply_mapping(virtual_file, &m.virtual_path, &m.disk_path) else {
                continue;
            };
            match read_disk_file(&disk) {
                Ok(contents) => {
                    return Ok(Opened {
                        contents,
                        disk_path: Some(disk),
                    })
                }
                Err(ReadError::Denied) => {
                    return Err(format!("Read access is denied for file: {disk}"))
                }
                Err(_) => {}
            }
        }
        if self.builtin {
            if let Some(contents) = builtin(virtual_file) {
                return Ok(Opened {
                    contents: contents.to_vec(),
                    disk_path: None,
                });
            }
        }
        Err("File not found.".into())
    }

    /// The disk file a virtual name opens, as protoc names files in its messages; `None` when it
    /// opens nothing on disk (a built-in file, or no file).
    pub fn disk_file(&self, virtual_file: &str) -> Option<String> {
        self.open(virtual_file).ok().and_then(|o| o.disk_path)
    }

    /// Whether a virtual name opens a file, on disk or built in.
    pub fn exists(&self, virtual_file: &str) -> bool {
        self.open(virtual_file).is_ok()
    }

    /// Maps a file given on the command line to its virtual name (protoc's
    /// `DiskFileToVirtualFile`): the first mapping whose disk path is a prefix wins, and no
    /// earlier mapping may have a file by the same virtual name.
    pub fn disk_to_virtual(&self, disk_file: &str) -> DiskToVirtual {
        let canonical = canonicalize(disk_file);
        let Some((index, virtual_name)) = self.mappings.iter().enumerate().find_map(|(i, m)| {
            apply_mapping(&canonical, &m.disk_path, &m.virtual_path).map(|v| (i, v))
        }) else {
            return DiskToVirtual::NoMapping;
        };
        for m in &self.mappings[..index] {
            if let Some(shadow) = apply_mapping(&virtual_name, &m.virtual_path, &m.disk_path) {
                if Path::new(&shadow).exists() {
                    return DiskToVirtual::Shadowed {
                        virtual_name,
                        by: shadow,
                    };
                }
            }
        }
        match read_disk_file(disk_file) {
            Ok(_) => DiskToVirtual::Mapped(virtual_name),
            Err(ReadError::Directory) => {
                DiskToVirtual::CannotOpen("Input file is a directory.".into())
            }
            Err(ReadError::Denied) => DiskToVirtual::CannotOpen("Permission denied".into()),
            Err(ReadError::Missing) => {
                DiskToVirtual::CannotOpen("No such file or directory".into())
            }
        }
    }
}

enum ReadError {
    Missing,
    Directory,
    Denied,
}

fn read_disk_file(path: &str) -> Result<Vec<u8>, ReadError> {
    if Path::new(path).is_dir() {
        return Err(ReadError::Directory);
    }
    std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::PermissionDenied => ReadError::Denied,
        _ => ReadError::Missing,
    })
}

/// protoc's `CanonicalizePath`: drops "." components and repeated slashes, keeping a leading and
/// a trailing slash. ".." is left alone.
pub fn canonicalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    if path.starts_with('/') {
        parts.push("");
    }
    parts.extend(path.split('/').filter(|p| !p.is_empty() && *p != "."));
    if path.ends_with('/') && !path.is_empty() {
        parts.push("");
    }
    parts.join("/")
}

fn contains_parent_reference(path: &str) -> bool {
    path == ".." || path.starts_with("../") || path.ends_with("/..") || path.contains("/../")
}

/// protoc's `ApplyMapping`: rewrites `name` from under `old_prefix` to under `new_prefix`, or
/// `None` when it is not under it (or climbs out with "..").
fn apply_mapping(name: &str, old_prefix: &str, new_prefix: &str) -> Option<String> {
    let join = |rest: &str| {
        if new_prefix.is_empty() {
            rest.to_string()
        } else {
            format!("{new_prefix}/{rest}")
        }
    };
    if old_prefix.is_empty() {
        // The empty prefix matches any relative path.
        if contains_parent_reference(name) || name.starts_with('/') {
            return None;
        }
        return Some(join(name));
    }
    let rest = name.strip_prefix(old_prefix)?;
    if rest.is_empty() {
        return Some(new_prefix.to_string());
    }
    let rest = if let Some(r) = rest.strip_prefix('/') {
        r
    } else if old_prefix.ends_with('/') {
        rest
    } else {
        // "foo/bar" is not a prefix of "foo/barbaz".
        return None;
    };
    if contains_parent_reference(rest) {
        return None;
    }
    Some(join(rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_paths_as_protoc_writes_them() {
        assert_eq!(canonicalize("./a//b/./c.proto"), "a/b/c.proto");
        assert_eq!(canonicalize("/x/./y/"), "/x/y/");
        assert_eq!(canonicalize("."), "");
        assert_eq!(canonicalize("../a"), "../a");
    }

    #[test]
    fn mappings_as_protoc_applies_them() {
        assert_eq!(
            apply_mapping("foo/bar", "", "baz").as_deref(),
            Some("baz/foo/bar")
        );
        assert_eq!(
            apply_mapping("foo/bar", "foo", "baz").as_deref(),
            Some("baz/bar")
        );
        assert_eq!(apply_mapping("foo", "foo", "bar").as_deref(), Some("bar"));
        assert_eq!(apply_mapping("foo/bar", "baz", "qux"), None);
        assert_eq!(apply_mapping("foobar", "foo", "baz"), None);
        assert_eq!(apply_mapping("a/b", "", "").as_deref(), Some("a/b"));
        assert_eq!(apply_mapping("../a", "", "x"), None);
        assert_eq!(apply_mapping("/abs", "", "x"), None);
        assert_eq!(apply_mapping("foo/../x", "foo", "d"), None);
    }

    #[test]
    fn files_open_through_the_first_mapping_that_has_them() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(b.path().join("p")).unwrap();
        std::fs::write(b.path().join("p/x.proto"), "b").unwrap();
        std::fs::write(a.path().join("y.proto"), "a").unwrap();
        let (tree, warnings) = SourceTree::new(&[
            a.path().display().to_string(),
            format!("v={}", b.path().join("p").display()),
        ]);
        assert!(warnings.is_empty());
        assert_eq!(tree.open("v/x.proto").unwrap().contents, b"b");
        assert_eq!(tree.open("y.proto").unwrap().contents, b"a");
        assert_eq!(tree.open("x.proto").unwrap_err(), "File not found.");
        assert!(tree
            .open("v//x.proto")
            .unwrap_err()
            .starts_with("Backslashes"));
        // Built-in files come last, and carry no disk path.
        let wkt = tree.open("google/protobuf/timestamp.proto").unwrap();
        assert!(wkt.disk_path.is_none());
        assert!(String::from_utf8_lossy(&wkt.contents).contains("message Timestamp"));
    }

    #[test]
    fn inputs_map_to_virtual_names_with_protocs_shadowing_rule() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display().to_string();
        for f in ["a/x.proto", "b/x.proto", "b/only.proto"] {
            let p = dir.path().join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "").unwrap();
        }
        let (tree, _) = SourceTree::new(&[format!("{d}/a"), format!("{d}/b")]);
        assert_eq!(
            tree.disk_to_virtual(&format!("{d}/b/x.proto")),
            DiskToVirtual::Shadowed {
                virtual_name: "x.proto".into(),
                by: format!("{d}/a/x.proto")
            }
        );
        assert_eq!(
            tree.disk_to_virtual(&format!("{d}/b/./only.proto")),
            DiskToVirtual::Mapped("only.proto".into())
        );
        assert_eq!(
            tree.disk_to_virtual("/elsewhere/z.proto"),
            DiskToVirtual::NoMapping
        );
        assert_eq!(
            tree.disk_to_virtual(&format!("{d}/a/gone.proto")),
            DiskToVirtual::CannotOpen("No such file or directory".into())
        );
    }

    #[test]
    fn a_missing_directory_is_a_warning() {
        let (_, warnings) = SourceTree::new(&["/no/such/dir".into()]);
        assert_eq!(
            warnings,
            ["/no/such/dir: warning: directory does not exist."]
        );
    }
}
