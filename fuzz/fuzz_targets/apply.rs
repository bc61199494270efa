//! Fuzz target `apply`: applying any bytes a plugin might return, as a CodeGeneratorResponse,
//! to an output tree must never panic, and every file the tree accepts must have a safe name
//! (relative, no `..`/`.`/empty components, no NUL or backslash).
//!
//! `cargo +nightly fuzz run apply`; built normally, it replays the files given as arguments.

#![cfg_attr(fuzzing, no_main)]

use prost::Message;
use prost_types::compiler::CodeGeneratorResponse;

fn run(data: &[u8]) {
    let Ok(response) = CodeGeneratorResponse::decode(data) else { return };
    let mut tree = protowasm::output::OutputTree::new();
    // Twice into one location: the second application exercises duplicates and insertions into
    // files the first one created.
    let _ = tree.apply("out", "protoc-gen-fuzz", &response);
    let _ = tree.apply("out/", "protoc-gen-fuzz", &response);
    for (_, location) in tree.locations() {
        for name in location.files().keys() {
            assert!(
                !name.is_empty()
                    && !name.starts_with('/')
                    && !name.contains('\0')
                    && !name.contains('\\')
                    && name.split('/').all(|c| !c.is_empty() && c != "." && c != ".."),
                "unsafe name accepted: {name:?}"
            );
        }
    }
}

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| run(data));

#[cfg(not(fuzzing))]
fn main() {
    let mut n = 0;
    for path in std::env::args().skip(1) {
        let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        run(&data);
        n += 1;
    }
    eprintln!("applied {n} inputs without panicking");
}
