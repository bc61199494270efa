//! A protoc built-in generator run through a real protoc, as buf runs `protoc_builtin:` with
//! `protoc_path:` set: the request's files go to `protoc --descriptor_set_in=/dev/stdin
//! --NAME_out=DIR [--NAME_opt=PARAMETER] FILES...`, and the files protoc writes under DIR come
//! back as the response. Source-retention options are sent (the files to generate in their
//! source form), and the response claims proto3 optional and every edition, so protoc itself
//! decides what it supports.
//!
//! Insertion points can't travel this way: protoc applies a generator's insertions to its own
//! output before it writes DIR, and a later plugin sees only whole files (buf has the same limit).

use std::path::{Path, PathBuf};

use prost::Message;

use super::native::NativeRunner;
use super::{Limits, Plugin, PluginError, PluginKind, PluginRunner, RunOutput};

/// What the response says the generator supports: proto3 optional and editions.
const SUPPORTED_FEATURES: u64 = 1 | 2;
const EDITION_PROTO2: i32 = 998;
const EDITION_MAX: i32 = i32::MAX;

pub struct ProtocProxyRunner;

/// The request's parts the proxy reads. Files stay encoded: decoding them into prost's types
/// would drop what those don't model (custom options are unknown fields there).
#[derive(Clone, PartialEq, Message)]
struct Request {
    #[prost(string, repeated, tag = "1")]
    file_to_generate: Vec<String>,
    #[prost(string, optional, tag = "2")]
    parameter: Option<String>,
    #[prost(bytes = "vec", repeated, tag = "15")]
    proto_file: Vec<Vec<u8>>,
    #[prost(bytes = "vec", repeated, tag = "17")]
    source_file_descriptors: Vec<Vec<u8>>,
}

/// A FileDescriptorProto's name, the rest skipped.
#[derive(Clone, PartialEq, Message)]
struct FileName {
    #[prost(string, optional, tag = "1")]
    name: Option<String>,
}

fn file_name(file: &[u8]) -> Option<String> {
    FileName::decode(file).ok()?.name
}

impl PluginRunner for ProtocProxyRunner {
    fn run(
        &self,
        plugin: &Plugin,
        label: &str,
        request: Vec<u8>,
        limits: &Limits,
    ) -> Result<RunOutput, PluginError> {
        let request = Request::decode(request.as_slice())
            .map_err(|e| PluginError::Io(format!("decoding the request for protoc: {e}")))?;
        let generator = plugin
            .name
            .strip_prefix("protoc-gen-")
            .unwrap_or(&plugin.name);
        let out = tempfile::tempdir()
            .map_err(|e| PluginError::Io(format!("creating protoc's output directory: {e}")))?;
        let mut args = plugin.args.clone();
        args.push("--descriptor_set_in=/dev/stdin".to_string());
        args.push(format!("--{generator}_out={}", out.path().display()));
        if let Some(parameter) = request.parameter.as_deref().filter(|p| !p.is_empty()) {
            args.push(format!("--{generator}_opt={parameter}"));
        }
        args.extend(request.file_to_generate.iter().cloned());
        let protoc = Plugin {
            args,
            kind: PluginKind::Native,
            ..plugin.clone()
        };
        let ran = NativeRunner.run(&protoc, label, with_source_options(request), limits)?;

        let mut files = Vec::new();
        collect(out.path(), out.path(), &mut files)
            .map_err(|e| PluginError::Io(format!("reading protoc's output: {e}")))?;
        files.sort();
        Ok(RunOutput {
            stdout: response(&files),
            ..ran
        })
    }
}

/// The request's files as a FileDescriptorSet, each file to generate in its source form (with
/// source-retention options), as buf sends them.
fn with_source_options(request: Request) -> Vec<u8> {
    let mut files = request.proto_file;
    for source in request.source_file_descriptors {
        let name = file_name(&source);
        if let Some(slot) = files.iter_mut().find(|f| file_name(f) == name) {
            *slot = source;
        }
    }
    let mut set = Vec::new();
    prost::encoding::bytes::encode_repeated(1, &files, &mut set);
    set
}

/// Every file under `dir`, as (path relative to `root` with '/', contents).
fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, Vec<u8>)>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path: PathBuf = entry.path();
        if entry.file_type()?.is_dir() {
            collect(root, &path, files)?;
        } else {
            let name = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            files.push((name, std::fs::read(&path)?));
        }
    }
    Ok(())
}

/// A CodeGeneratorResponse with `files`, encoded by hand: a file's content is bytes here, and
/// prost's `String` would refuse one that is not UTF-8.
fn response(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    use prost::encoding::{bytes, int32, string, uint64};
    let mut out = Vec::new();
    uint64::encode(2, &SUPPORTED_FEATURES, &mut out);
    int32::encode(3, &EDITION_PROTO2, &mut out);
    int32::encode(4, &EDITION_MAX, &mut out);
    for (name, content) in files {
        let mut file = Vec::new();
        string::encode(1, name, &mut file);
        bytes::encode(15, content, &mut file);
        bytes::encode(15, &file, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost_types::compiler::CodeGeneratorResponse;
    use prost_types::{FileDescriptorProto, FileDescriptorSet};

    #[test]
    fn the_response_lists_the_files_with_every_edition() {
        let bytes = response(&[("a/b.py".into(), b"x = 1\n".to_vec())]);
        let r = CodeGeneratorResponse::decode(bytes.as_slice()).unwrap();
        assert_eq!(r.supported_features, Some(3));
        #[derive(Clone, PartialEq, Message)]
        struct Editions {
            #[prost(int32, optional, tag = "3")]
            minimum: Option<i32>,
            #[prost(int32, optional, tag = "4")]
            maximum: Option<i32>,
        }
        let e = Editions::decode(bytes.as_slice()).unwrap();
        assert_eq!((e.minimum, e.maximum), (Some(998), Some(i32::MAX)));
        assert_eq!(r.file.len(), 1);
        assert_eq!(r.file[0].name.as_deref(), Some("a/b.py"));
        assert_eq!(r.file[0].content.as_deref(), Some("x = 1\n"));
    }

    #[test]
    fn files_to_generate_are_sent_in_their_source_form() {
        let file = |name: &str, package: &str| FileDescriptorProto {
            name: Some(name.into()),
            package: Some(package.into()),
            ..Default::default()
        };
        let request = Request {
            file_to_generate: vec!["b.proto".into()],
            parameter: None,
            proto_file: vec![
                file("a.proto", "a").encode_to_vec(),
                file("b.proto", "stripped").encode_to_vec(),
            ],
            source_file_descriptors: vec![file("b.proto", "source").encode_to_vec()],
        };
        let set = FileDescriptorSet::decode(with_source_options(request).as_slice()).unwrap();
        let packages: Vec<_> = set.file.iter().map(|f| f.package()).collect();
        assert_eq!(packages, ["a", "source"]);
    }
}
