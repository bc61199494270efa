//! Rewrites of compiled files between compiling and building requests, as buf makes them:
//! managed mode (`managed`) sets file and field options; the type filter (`types`) keeps only
//! the named types and what they need. The engine's transform stage applies them in the order
//! the run lists them.

pub mod buf_compiler;
pub mod managed;
pub mod types;
mod wire;
