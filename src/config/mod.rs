//! Configuration files, parsed strictly: the plugin registry (`plugins-registry.toml`) and the
//! plugin store beside it, buf's generation template (`buf.gen.yaml`) and its workspace files
//! (`buf.yaml`, `buf.work.yaml`, and deps from `buf.lock` and buf's module cache), and the remote
//! cache's flags and environment.

pub mod buf_deps;
pub mod buf_gen;
pub mod buf_managed;
pub mod buf_yaml;
pub mod oci;
pub mod registry;
pub mod remote_cache;
pub mod store;

pub use registry::{Registry, RegistryEntry};
pub use store::PluginStore;
