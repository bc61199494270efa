//! Resolved configuration: the plugin registry (`plugins-registry.toml`) and the plugin store
//! beside it.

pub mod registry;
pub mod store;

pub use registry::{Registry, RegistryEntry};
pub use store::PluginStore;
