//! Test helpers: running the real protoc (protoc-bin-vendored, protoc 36.2) with fake plugins
//! that replay a prepared CodeGeneratorResponse, to compare our output with protoc's.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use prost::Message;
use prost_types::compiler::code_generator_response::File;
use prost_types::compiler::CodeGeneratorResponse;

pub fn file(name: &str, point: &str, content: &str) -> File {
    File {
        name: (!name.is_empty()).then(|| name.to_string()),
        insertion_point: (!point.is_empty()).then(|| point.to_string()),
        content: Some(content.to_string()),
        generated_code_info: None,
    }
}

pub fn response(files: Vec<File>) -> CodeGeneratorResponse {
    CodeGeneratorResponse {
        file: files,
        ..Default::default()
    }
}

/// The result of one protoc run in its own temporary working directory.
pub struct ProtocRun {
    pub dir: tempfile::TempDir,
    pub success: bool,
    pub stderr: String,
}

impl ProtocRun {
    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }
}

/// A small .proto set for protoc to compile; the fake plugins ignore it.
pub fn write_protos(dir: &Path) {
    let write = |rel: &str, text: &str| {
        let p = dir.join(rel);
        fs::create_dir_all(p.parent().expect("has parent")).expect("mkdir");
        fs::write(p, text).expect("write proto");
    };
    write(
        "a.proto",
        "syntax = \"proto3\";\npackage t;\nmessage M { int32 a = 1; }\n",
    );
    write(
        "Abc.proto",
        "syntax = \"proto3\";\npackage t;\nmessage Upper {}\n",
    );
    write(
        "sub/b.proto",
        "syntax = \"proto3\";\npackage t.s;\nmessage N { string s = 1; }\n",
    );
}

/// Runs protoc in a fresh directory holding [`write_protos`] and the empty directories `dirs`,
/// with one fake plugin per entry of `plugins` (`protoc-gen-NAME` replaying the response), then
/// `args` and the .proto files.
pub fn run_protoc(
    plugins: &[(&str, &CodeGeneratorResponse)],
    dirs: &[&str],
    args: &[&str],
) -> ProtocRun {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    write_protos(dir.path());
    for d in dirs {
        fs::create_dir_all(dir.path().join(d)).expect("mkdir");
    }
    let mut cmd = Command::new(protoc_bin_vendored::protoc_bin_path().expect("vendored protoc"));
    cmd.current_dir(dir.path());
    for (name, resp) in plugins {
        let bin = dir.path().join(format!("{name}.response"));
        fs::write(&bin, resp.encode_to_vec()).expect("write response");
        let script = dir.path().join(format!("protoc-gen-{name}"));
        fs::write(
            &script,
            format!("#!/bin/sh\ncat >/dev/null\nexec cat '{}'\n", bin.display()),
        )
        .expect("write plugin");
        fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).expect("chmod");
        cmd.arg(format!("--plugin=protoc-gen-{name}={}", script.display()));
    }
    cmd.args(args).args(["a.proto", "Abc.proto", "sub/b.proto"]);
    let out = cmd.output().expect("run protoc");
    ProtocRun {
        dir,
        success: out.status.success(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Every file under `root`, by '/'-separated relative name.
pub fn read_tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in fs::read_dir(dir).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).expect("under root");
                let name = rel.to_str().expect("utf-8 name").replace('\\', "/");
                out.insert(name, fs::read(&path).expect("read"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}
