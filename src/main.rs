//! The protowasm binary: the allocator and logging set up, then `cli::main`. Nothing else
//! lives here.

use std::process::ExitCode;

/// The compiler makes and frees millions of small strings and vectors (a googleapis run holds
/// every file's descriptors and source locations): mimalloc does that in less time and memory
/// than glibc's malloc. Built without transparent huge pages (`no_thp`): with them the kernel
/// zeroes 2 MB pages that mimalloc keeps returning and taking back.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
