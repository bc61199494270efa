//! protowasm's integration tests: one test binary (link time matters on two cores), a module per
//! area. Tests build the plugins they need (testdata/build-plugins.sh) and use protoc 36.2 from
//! the crate protoc-bin-vendored as the oracle.

mod buf_generate;
mod buf_generated;
mod buf_managed;
mod buf_types;
mod cache;
mod cli;
mod compile_cache;
mod compile_cli;
mod failures;
mod golden;
mod managed_workspace;
mod oracle;
mod output_cache;
mod plugin_cmd;
mod registry;
mod request_compare;
mod support;
