//! The `CodeGeneratorRequest`, byte for byte as protoc 36.2 builds it.
//!
//! Encoded by hand rather than through prost types so the `FileDescriptorProto`s go in as the
//! exact bytes they are (prost would drop custom options, which it sees as unknown fields). Field
//! order is protoc's: 1, 2, 3, 15, 17.

use std::collections::HashMap;

use prost::encoding::{encode_key, encode_varint, int32, string, WireType};

use crate::descriptor_set::{FileSet, RawFile};
use crate::model::ProtoFileOrder;

/// The `compiler_version` sent to plugins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompilerVersion {
    pub major: i32,
    pub minor: i32,
    pub patch: i32,
    pub suffix: String,
}

impl Default for CompilerVersion {
    /// protoc 36.2 reports its C++ runtime version, 7.36.2, with an empty suffix.
    fn default() -> Self {
        CompilerVersion {
            major: 7,
            minor: 36,
            patch: 2,
            suffix: String::new(),
        }
    }
}

impl std::str::FromStr for CompilerVersion {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || {
            format!("invalid compiler version \"{s}\": expected MAJOR.MINOR.PATCH[-SUFFIX], e.g. 7.36.2")
        };
        let (numbers, suffix) = match s.split_once('-') {
            Some((n, suffix)) => (n, suffix.to_string()),
            None => (s, String::new()),
        };
        let parts: Vec<i32> = numbers
            .split('.')
            .map(|p| p.parse().map_err(|_| bad()))
            .collect::<Result<_, _>>()?;
        match parts[..] {
            [major, minor, patch] => Ok(CompilerVersion {
                major,
                minor,
                patch,
                suffix,
            }),
            _ => Err(bad()),
        }
    }
}

/// Builds the request for one plugin run.
///
/// `proto_file` is every file to generate and everything it imports, dependencies first (see
/// `FileSet::dependency_order`). `source_file_descriptors` repeats the files to generate in that
/// same order. Files from a descriptor set are passed through unchanged: a set written by protoc
/// is already in the form protoc sends to plugins (json_name filled in, source-retention options
/// stripped unless the set was made with `--retain_options`).
///
/// `entries` replaces the `proto_file` entry of a file to generate (by name), for requests that
/// depart from the usual form (`bootstrap`, protoc's former built-in generators).
pub fn build(
    set: &FileSet,
    files_to_generate: &[String],
    parameter: &str,
    version: Option<&CompilerVersion>,
    entries: &HashMap<String, Vec<u8>>,
    order: ProtoFileOrder,
) -> Vec<u8> {
    let mut proto_files = set.dependency_order(files_to_generate);
    if order == ProtoFileOrder::Compiled {
        let needed: std::collections::HashSet<&str> =
            proto_files.iter().map(|f| f.name.as_str()).collect();
        proto_files = set
            .files()
            .filter(|f| needed.contains(f.name.as_str()))
            .collect();
    }
    let generated: Vec<&RawFile> = proto_files
        .iter()
        .copied()
        .filter(|f| files_to_generate.contains(&f.name))
        .collect();

    let capacity = proto_files
        .iter()
        .chain(&generated)
        .map(|f| f.bytes.len() + 10)
        .sum::<usize>()
        + 256;
    let mut out = Vec::with_capacity(capacity);
    for name in files_to_generate {
        string::encode(1, name, &mut out);
    }
    if !parameter.is_empty() {
        string::encode(2, &parameter.to_string(), &mut out);
    }
    if let Some(version) = version {
        encode_version(version, &mut out);
    }
    for file in &proto_files {
        let generated = files_to_generate.contains(&file.name);
        let bytes = match (entries.get(&file.name), &file.stripped) {
            (Some(entry), _) if generated => entry,
            (None, Some(stripped)) if generated => stripped,
            _ => &file.bytes,
        };
        encode_bytes(15, bytes, &mut out);
    }
    for file in &generated {
        encode_bytes(17, &file.bytes, &mut out);
    }
    out
}

/// protoc sets all four fields, so all four are serialized, the empty suffix included.
fn encode_version(v: &CompilerVersion, out: &mut Vec<u8>) {
    let mut msg = Vec::with_capacity(16 + v.suffix.len());
    int32::encode(1, &v.major, &mut msg);
    int32::encode(2, &v.minor, &mut msg);
    int32::encode(3, &v.patch, &mut msg);
    string::encode(4, &v.suffix, &mut msg);
    encode_bytes(3, &msg, out);
}

fn encode_bytes(field: u32, bytes: &[u8], out: &mut Vec<u8>) {
    encode_key(field, WireType::LengthDelimited, out);
    encode_varint(bytes.len() as u64, out);
    out.extend_from_slice(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;
    use prost_types::compiler::CodeGeneratorRequest;
    use prost_types::{FileDescriptorProto, FileDescriptorSet};

    #[test]
    fn fields_decode_as_protoc_sends_them() {
        let files = vec![
            FileDescriptorProto {
                name: Some("dep.proto".into()),
                ..Default::default()
            },
            FileDescriptorProto {
                name: Some("a.proto".into()),
                dependency: vec!["dep.proto".into()],
                ..Default::default()
            },
        ];
        let mut set = FileSet::default();
        set.add_set(
            &FileDescriptorSet {
                file: files.clone(),
            }
            .encode_to_vec(),
        )
        .unwrap();
        let bytes = build(
            &set,
            &["a.proto".into()],
            "x=1",
            Some(&CompilerVersion::default()),
            &HashMap::new(),
            ProtoFileOrder::FromFilesToGenerate,
        );
        let req = CodeGeneratorRequest::decode(&bytes[..]).unwrap();
        assert_eq!(req.file_to_generate, ["a.proto"]);
        assert_eq!(req.parameter.as_deref(), Some("x=1"));
        let v = req.compiler_version.unwrap();
        assert_eq!(
            (v.major(), v.minor(), v.patch(), v.suffix.as_deref()),
            (7, 36, 2, Some(""))
        );
        assert_eq!(req.proto_file, files);
        // prost-types predates field 17, so read it through a message of our own.
        #[derive(Clone, PartialEq, prost::Message)]
        struct SourceFiles {
            #[prost(message, repeated, tag = "17")]
            source_file_descriptors: Vec<FileDescriptorProto>,
        }
        assert_eq!(
            SourceFiles::decode(&bytes[..])
                .unwrap()
                .source_file_descriptors,
            [files[1].clone()]
        );
    }

    #[test]
    fn empty_parameter_is_not_sent() {
        let mut set = FileSet::default();
        set.add_file(
            FileDescriptorProto {
                name: Some("a.proto".into()),
                ..Default::default()
            }
            .encode_to_vec(),
        )
        .unwrap();
        let bytes = build(
            &set,
            &["a.proto".into()],
            "",
            Some(&CompilerVersion::default()),
            &HashMap::new(),
            ProtoFileOrder::FromFilesToGenerate,
        );
        assert_eq!(
            CodeGeneratorRequest::decode(&bytes[..]).unwrap().parameter,
            None
        );
    }
}
