#!/usr/bin/env bash
# Builds everything and runs the bundled example with `protowasm generate`: the template
# testdata/buf.gen.yaml, the protos in testdata/proto/example and the plugin registry
# plugins-registry.toml (protoc-gen-prost compiled to WebAssembly, pinned by sha256). The Rust
# code goes to target/example-out. Run it twice: the second run loads the plugin from the AOT
# cache.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
if command -v rustup >/dev/null; then rustup target add wasm32-wasip1; fi
bash testdata/build-plugins.sh
cargo build
# protowasm compiles the example's .proto files (book.proto imports the built-in
# google/protobuf/timestamp.proto) and runs protoc-gen-prost, found by name in
# plugins-registry.toml and checked against its sha256 pin, as testdata/buf.gen.yaml says.
target/debug/protowasm generate --template testdata/buf.gen.yaml --timings
echo "generated:"
find target/example-out -type f | sort
