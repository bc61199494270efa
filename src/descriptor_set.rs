//! `--descriptor_set_in`: files loaded from `FileDescriptorSet`s, kept as their exact bytes.
//!
//! Files are not decoded into prost types, because prost drops unknown fields, and custom options
//! are unknown fields to it: the bytes would change. Only the name and the imports are read.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use prost::bytes::Buf;
use prost::encoding::{decode_key, decode_varint, WireType};

/// One file from a descriptor set.
#[derive(Debug, Clone, PartialEq)]
pub struct RawFile {
    pub name: String,
    /// Imports, then `import option` files (edition 2024).
    pub dependencies: Vec<String>,
    /// `syntax` as written in the descriptor: empty for proto2, "proto3", or "editions".
    pub syntax: String,
    /// The `edition` enum value, for editions files.
    pub edition: Option<i32>,
    /// The serialized `FileDescriptorProto`, exactly as it was in the set (or as compiled).
    pub bytes: Vec<u8>,
    /// For a compiled input: the copy stripped of source-retention options, which protoc sends
    /// as its `proto_file` entry. `None` for files from a set, which are sent as they are.
    pub stripped: Option<Vec<u8>>,
}

/// Files by name; the first copy of a name wins, as in protoc.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct FileSet {
    files: Vec<RawFile>,
    by_name: HashMap<String, usize>,
}

impl FileSet {
    /// Reads the sets in order. Errors use protoc's texts: `F: No such file or directory`,
    /// `F: Unable to parse.`
    pub fn load(paths: &[PathBuf]) -> Result<FileSet, String> {
        let mut set = FileSet::default();
        for path in paths {
            let bytes = std::fs::read(path).map_err(|e| io_message(path, &e))?;
            set.add_set(&bytes)
                .map_err(|_| format!("{}: Unable to parse.", path.display()))?;
        }
        Ok(set)
    }

    /// Adds the files of one serialized `FileDescriptorSet`.
    pub fn add_set(&mut self, mut bytes: &[u8]) -> Result<(), WireError> {
        while bytes.has_remaining() {
            let (field, wire) = decode_key(&mut bytes).map_err(|_| WireError)?;
            let value = skip_field(&mut bytes, wire)?;
            if field == 1 {
                let file = value.ok_or(WireError)?;
                self.add_file(file.to_vec())?;
            }
        }
        Ok(())
    }

    /// Adds one serialized `FileDescriptorProto`, unless a file of that name is already present.
    pub fn add_file(&mut self, bytes: Vec<u8>) -> Result<(), WireError> {
        self.add_compiled(bytes, None)
    }

    /// Adds one compiled file and its stripped copy (see [`RawFile::stripped`]).
    pub fn add_compiled(
        &mut self,
        bytes: Vec<u8>,
        stripped: Option<Vec<u8>>,
    ) -> Result<(), WireError> {
        let Header {
            name,
            dependencies,
            syntax,
            edition,
        } = read_header(&bytes)?;
        if !self.by_name.contains_key(&name) {
            self.by_name.insert(name.clone(), self.files.len());
            self.files.push(RawFile {
                name,
                dependencies,
                syntax,
                edition,
                bytes,
                stripped,
            });
        }
        Ok(())
    }

    /// Every file, in the order they were added.
    pub fn files(&self) -> impl Iterator<Item = &RawFile> {
        self.files.iter()
    }

    /// Every file, for rewriting in place (names and imports stay as they are).
    pub fn files_mut(&mut self) -> impl Iterator<Item = &mut RawFile> {
        self.files.iter_mut()
    }

    /// `files` and everything they import that is not in `inputs`, imports first (buf's
    /// `include_imports`); protoc's well-known types only with `wkt`.
    pub fn with_imports(&self, files: &[String], inputs: &[String], wkt: bool) -> Vec<String> {
        let builtin = |n: &str| crate::compiler::source_tree::builtin_names().any(|b| b == n);
        self.dependency_order(files)
            .into_iter()
            .map(|f| f.name.clone())
            .filter(|n| files.contains(n) || (!inputs.contains(n) && (wkt || !builtin(n))))
            .collect()
    }

    pub fn get(&self, name: &str) -> Option<&RawFile> {
        self.by_name.get(name).map(|&i| &self.files[i])
    }

    /// Checks that each input and everything it imports is present, with protoc's messages.
    pub fn check_inputs(&self, inputs: &[String]) -> Result<(), String> {
        for input in inputs {
            if self.get(input).is_none() {
                return Err(format!("Could not find file in descriptor database: {input}: No such file or directory"));
            }
        }
        for file in self.dependency_order(inputs) {
            if let Some(missing) = file.dependencies.iter().find(|d| self.get(d).is_none()) {
                return Err(format!(
                    "{}: Import \"{missing}\" was not found or had errors.",
                    file.name
                ));
            }
        }
        Ok(())
    }

    /// protoc's `proto_file` order: for each input in order, a depth-first post-order walk of its
    /// imports (public and weak included) in declaration order, sharing one seen-set, so every file
    /// appears once and after everything it imports. Missing imports are skipped.
    pub fn dependency_order(&self, inputs: &[String]) -> Vec<&RawFile> {
        let mut seen = vec![false; self.files.len()];
        let mut order = Vec::new();
        for input in inputs {
            if let Some(&i) = self.by_name.get(input) {
                self.visit(i, &mut seen, &mut order);
            }
        }
        order
    }

    fn visit<'a>(&'a self, root: usize, seen: &mut [bool], order: &mut Vec<&'a RawFile>) {
        // Iterative, so a deep import chain cannot overflow the stack. Each frame is a file and the
        // index of the next import to look at.
        if seen[root] {
            return;
        }
        seen[root] = true;
        let mut stack = vec![(root, 0usize)];
        while let Some((file, next)) = stack.last_mut() {
            let deps = &self.files[*file].dependencies;
            if let Some(dep) = deps.get(*next) {
                *next += 1;
                if let Some(&d) = self.by_name.get(dep) {
                    if !seen[d] {
                        seen[d] = true;
                        stack.push((d, 0));
                    }
                }
            } else {
                order.push(&self.files[*file]);
                stack.pop();
            }
        }
    }
}

fn io_message(path: &Path, e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => format!("{}: No such file or directory", path.display()),
        _ => format!("{}: {e}", path.display()),
    }
}

/// Malformed protobuf wire data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WireError;

/// Skips one field's value; returns the payload of a length-delimited field.
fn skip_field<'a>(bytes: &mut &'a [u8], wire: WireType) -> Result<Option<&'a [u8]>, WireError> {
    match wire {
        WireType::Varint => decode_varint(bytes).map(|_| None).map_err(|_| WireError),
        WireType::SixtyFourBit => advance(bytes, 8).map(|_| None),
        WireType::ThirtyTwoBit => advance(bytes, 4).map(|_| None),
        WireType::LengthDelimited => {
            let len = usize::try_from(decode_varint(bytes).map_err(|_| WireError)?)
                .map_err(|_| WireError)?;
            advance(bytes, len).map(Some)
        }
        // Groups do not occur in descriptors.
        WireType::StartGroup | WireType::EndGroup => Err(WireError),
    }
}

fn advance<'a>(bytes: &mut &'a [u8], n: usize) -> Result<&'a [u8], WireError> {
    if bytes.len() < n {
        return Err(WireError);
    }
    let (head, tail) = bytes.split_at(n);
    *bytes = tail;
    Ok(head)
}

/// The fields of a `FileDescriptorProto` the driver needs, read without decoding the rest.
struct Header {
    name: String,
    dependencies: Vec<String>,
    syntax: String,
    edition: Option<i32>,
}

/// Reads `name` (1), `dependency` (3), `syntax` (12), `edition` (14) and `option_dependency`
/// (15) of a `FileDescriptorProto`, checking that the whole message is well-formed on the way.
/// Option imports (edition 2024) go after the regular ones in `dependencies`: protoc 36.2 walks
/// them in that order when it lists a request's files.
fn read_header(mut bytes: &[u8]) -> Result<Header, WireError> {
    let mut h = Header {
        name: String::new(),
        dependencies: Vec::new(),
        syntax: String::new(),
        edition: None,
    };
    while bytes.has_remaining() {
        let (field, wire) = decode_key(&mut bytes).map_err(|_| WireError)?;
        if field == 14 && wire == WireType::Varint {
            h.edition = Some(decode_varint(&mut bytes).map_err(|_| WireError)? as i32);
            continue;
        }
        let value = skip_field(&mut bytes, wire)?;
        let text = || {
            value
                .and_then(|v| String::from_utf8(v.to_vec()).ok())
                .ok_or(WireError)
        };
        match field {
            1 => h.name = text()?,
            3 | 15 => h.dependencies.push(text()?),
            12 => h.syntax = text()?,
            _ => {}
        }
    }
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;
    use prost_types::{FileDescriptorProto, FileDescriptorSet};

    fn file(name: &str, deps: &[&str]) -> FileDescriptorProto {
        FileDescriptorProto {
            name: Some(name.into()),
            dependency: deps.iter().map(|d| d.to_string()).collect(),
            ..Default::default()
        }
    }

    fn set(files: Vec<FileDescriptorProto>) -> FileSet {
        let mut s = FileSet::default();
        s.add_set(&FileDescriptorSet { file: files }.encode_to_vec())
            .unwrap();
        s
    }

    fn names(files: Vec<&RawFile>) -> Vec<&str> {
        files.into_iter().map(|f| f.name.as_str()).collect()
    }

    #[test]
    fn dependency_first_order_with_shared_seen_set() {
        let s = set(vec![
            file("c.proto", &[]),
            file("b.proto", &["c.proto"]),
            file("a.proto", &["b.proto", "d.proto"]),
            file("d.proto", &["c.proto"]),
            file("e.proto", &["d.proto"]),
        ]);
        let inputs = ["e.proto".to_string(), "a.proto".to_string()];
        assert_eq!(
            names(s.dependency_order(&inputs)),
            ["c.proto", "d.proto", "e.proto", "b.proto", "a.proto"]
        );
    }

    #[test]
    fn first_copy_wins_and_bytes_are_kept() {
        let mut first = file("a.proto", &[]);
        first.package = Some("first".into());
        let mut second = file("a.proto", &[]);
        second.package = Some("second".into());
        let s = set(vec![first.clone(), second]);
        assert_eq!(s.get("a.proto").unwrap().bytes, first.encode_to_vec());
    }

    #[test]
    fn protoc_messages_for_missing_files() {
        let s = set(vec![file("a.proto", &["missing.proto"])]);
        assert_eq!(
            s.check_inputs(&["b.proto".into()]).unwrap_err(),
            "Could not find file in descriptor database: b.proto: No such file or directory"
        );
        assert_eq!(
            s.check_inputs(&["a.proto".into()]).unwrap_err(),
            "a.proto: Import \"missing.proto\" was not found or had errors."
        );
    }

    #[test]
    fn garbage_is_unparseable_not_a_panic() {
        let mut s = FileSet::default();
        for garbage in [
            &b"garbage\n"[..],
            b"\x0a\xff\xff\xff\xff\xff",
            b"\x0a\x05ab",
            b"\x0b",
        ] {
            assert_eq!(s.add_set(garbage), Err(WireError), "{garbage:?}");
        }
    }
}
