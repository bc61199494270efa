//! protoc's built-in generators, which protowasm runs as one wasm module.
//!
//! testdata/build-builtins.sh compiles protobuf's generators (and grpc's Python generator) into
//! `protoc-gen-builtins.wasm`; a registry entry lists the names it serves in `builtins`, and the
//! module picks its generator from argv[0] (`protoc-gen-NAME`). Without such an entry,
//! `--python_out` would fail with protoc's "program not found"; [`missing`] says instead how to
//! get the module.

/// The generators testdata/build-builtins.sh's module serves: protoc 35.1's built-ins, and
/// grpc_tools' `grpc_python`.
pub const NAMES: &[&str] = &[
    "cpp",
    "csharp",
    "grpc_python",
    "java",
    "kotlin",
    "objc",
    "php",
    "pyi",
    "python",
    "rbs",
    "ruby",
    "rust",
];

/// Whether `--NAME_out` is one of protoc's built-in generators (or grpc_tools' grpc_python).
pub fn is_builtin(name: &str) -> bool {
    NAMES.contains(&name)
}

/// The error for builtin `name` when no plugin, registry entry or program serves it.
pub fn missing(name: &str) -> String {
    format!(
        "protoc's built-in {name} generator runs in protowasm as a wasm module, and no plugins-registry.toml entry lists \"{name}\" in `builtins`. Build the module with testdata/build-builtins.sh from protowasm's sources, then register it: protowasm plugin add target/plugins/wasm/protoc-gen-builtins.wasm --name builtins --builtins {}",
        NAMES.join(",")
    )
}
