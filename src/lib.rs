//! protowasm: a protoc-compatible driver that runs protoc plugins compiled to WebAssembly
//! (WASI preview 1) in-process with wasmtime, or native plugins as subprocesses.
//!
//! The parts, and the one direction their dependencies point:
//!
//! ```text
//! cli (front-ends: protoc's command line, buf.gen.yaml, plugin and cache commands)
//!  -> model (the resolved Run)  and  engine (its stages: load, transform, plan, run, apply, write)
//!      -> services: compiler, descriptor_set, request, feature_check, plugins, output, config
//!          -> cache
//! ```
//!
//! Nothing outside `cli` imports it: the front-ends build a [`model::Run`], and the engine runs
//! it without knowing which front-end built it.

pub mod cache;
pub mod cli;
pub mod codec;
pub mod compiler;
pub mod config;
pub mod descriptor_set;
pub mod engine;
pub mod feature_check;
pub mod model;
pub mod output;
pub mod plugins;
pub mod request;
pub mod transform;
