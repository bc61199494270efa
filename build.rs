//! Build script: takes protoc 36.2's own `descriptor.proto` from the crate protoc-bin-vendored,
//! so the compiler interprets options against exactly the descriptor.proto protoc uses, with no
//! copy of it in this repository.

use std::path::PathBuf;

fn main() {
    let include = protoc_bin_vendored::include_path()
        .expect("protoc-bin-vendored ships its include directory");
    let source = include.join("google/protobuf/descriptor.proto");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("descriptor.proto");
    std::fs::copy(&source, &out)
        .unwrap_or_else(|e| panic!("copying {} to {}: {e}", source.display(), out.display()));
    println!("cargo:rerun-if-changed=build.rs");
}
