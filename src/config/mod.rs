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

/// Whether plain http may go to `authority` (`HOST[:PORT]`, a v6 host in brackets): on loopback
/// (`localhost`, 127.0.0.0/8, `::1`), or when `listed`, a comma-separated list of authorities
/// (an environment variable's value), names it. OCI registries and the remote cache share it.
pub fn plain_http_allowed(authority: &str, listed: &str) -> bool {
    is_loopback(authority) || listed.split(',').any(|h| h.trim() == authority)
}

/// Whether `authority` names a loopback host.
pub fn is_loopback(authority: &str) -> bool {
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => authority.split(':').next().unwrap_or(""),
    };
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}
