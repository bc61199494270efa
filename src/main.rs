//! The protowasm binary: logging set up, then `cli::main`. Nothing else lives here.

use std::process::ExitCode;

fn main() -> ExitCode {
    // Warnings (a damaged cache entry, say) go to stderr; PROTOWASM_LOG=info shows cache hits.
    let filter = tracing_subscriber::EnvFilter::try_from_env("PROTOWASM_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .without_time()
        .with_target(false)
        .init();
    protowasm::cli::main(std::env::args_os().collect())
}
