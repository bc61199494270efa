//! Fuzz target `parse`: the `.proto` lexer and parser must never panic or hang on any bytes, and
//! neither may the rest of the compiler (linking, options, validation) on what parses, with
//! protoc's built-in files (descriptor.proto, the well-known types) importable.
//!
//! Under cargo-fuzz (`cargo +nightly fuzz run parse`) this is a libFuzzer target. Built
//! normally (`cargo build` in `fuzz/`) it replays the files given as arguments.

#![cfg_attr(fuzzing, no_main)]

fn run(data: &[u8]) {
    use protowasm::compiler;
    if compiler::parse("fuzz.proto", data).is_err() {
        return;
    }
    let resolver = |name: &str| match name {
        "fuzz.proto" => Some(data.to_vec()),
        _ => compiler::source_tree::builtin(name).map(<[u8]>::to_vec),
    };
    let _ = compiler::set::compile(&["fuzz.proto"], &resolver);
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
    eprintln!("parsed {n} inputs without panicking");
}
