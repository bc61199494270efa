//! protowasm: a protoc-compatible driver that runs protoc plugins compiled to WebAssembly
//! (WASI preview 1) in-process with wasmtime, or native plugins as subprocesses.
//!
//! Dependencies point one way: `cli` -> `generate` -> {`descriptor_set`, `request`, `plugins`,
//! `output`} -> `cache`.

pub mod buf_gen;
pub mod cache;
pub mod cli;
pub mod compile;
pub mod compiler;
pub mod config;
pub mod descriptor_set;
pub mod feature_check;
pub mod generate;
pub mod output;
pub mod plugins;
pub mod request;
