//! Configuration files, parsed strictly: the plugin registry (`plugins-registry.toml`) and the
//! plugin store beside it, and buf's generation template (`buf.gen.yaml`).

pub mod buf_gen;
pub mod registry;
pub mod store;

pub use registry::{Registry, RegistryEntry};
pub use store::PluginStore;
