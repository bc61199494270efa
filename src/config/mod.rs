//! Resolved configuration: the plugin registry (`plugins-registry.toml`).

pub mod registry;

pub use registry::{Registry, RegistryEntry};
