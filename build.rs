//! Build script: takes protoc 36.2's own `.proto` files (descriptor.proto and the well-known
//! types) from the crate protoc-bin-vendored, with no copy of them in this repository.
//!
//! - `OUT_DIR/descriptor.proto`: the descriptor.proto options are interpreted against.
//! - `OUT_DIR/include/...` and `OUT_DIR/builtin_protos.rs`: every file of protoc's include
//!   directory, embedded in the binary so `import "google/protobuf/timestamp.proto"` works with
//!   no `-I`, as it does with protoc (which finds its include directory beside its binary).
//! - `PROTOWASM_TARGET`: the target triple.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    // The target triple, in the remote cache's key for compiled modules.
    let target = std::env::var("TARGET").expect("cargo sets TARGET");
    println!("cargo:rustc-env=PROTOWASM_TARGET={target}");
    let include = protoc_bin_vendored::include_path()
        .expect("protoc-bin-vendored ships its include directory");
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    copy(
        &include.join("google/protobuf/descriptor.proto"),
        &out_dir.join("descriptor.proto"),
    );

    let mut files = Vec::new();
    collect(&include, &mut files);
    files.sort();
    let mut table = String::from("&[\n");
    for file in &files {
        let name = file
            .strip_prefix(&include)
            .expect("collected under the include directory")
            .to_str()
            .expect("protoc's include file names are UTF-8")
            .replace('\\', "/");
        let target = out_dir.join("include").join(&name);
        std::fs::create_dir_all(target.parent().expect("a file has a parent")).unwrap();
        copy(file, &target);
        writeln!(
            table,
            "    ({name:?}, include_bytes!(concat!(env!(\"OUT_DIR\"), \"/include/{name}\"))),"
        )
        .unwrap();
    }
    table.push(']');
    std::fs::write(out_dir.join("builtin_protos.rs"), table).unwrap();

    // `--notices` prints protoc's own notices: asked of that protoc, without its final newline
    // (the flag adds one back, as protoc's `std::endl` does).
    let protoc = protoc_bin_vendored::protoc_bin_path().expect("protoc-bin-vendored ships protoc");
    let notices = std::process::Command::new(&protoc)
        .arg("--notices")
        .output()
        .unwrap_or_else(|e| panic!("running {} --notices: {e}", protoc.display()));
    assert!(
        notices.status.success(),
        "{} --notices failed",
        protoc.display()
    );
    let text = String::from_utf8(notices.stdout).expect("protoc's notices are UTF-8");
    let text = text.strip_suffix('\n').unwrap_or(&text);
    std::fs::write(out_dir.join("protoc_notices.txt"), text).unwrap();
    println!("cargo:rerun-if-changed=build.rs");
}

fn copy(from: &Path, to: &Path) {
    std::fs::copy(from, to)
        .unwrap_or_else(|e| panic!("copying {} to {}: {e}", from.display(), to.display()));
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "proto") {
            out.push(path);
        }
    }
}
