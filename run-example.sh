#!/usr/bin/env bash
# Builds everything and runs the bundled example: protowasm compiles testdata/proto/example (whose
# book.proto imports the well-known type google/protobuf/timestamp.proto, built into protowasm)
# and protoc-gen-prost, compiled to WebAssembly, generates Rust code for it into
# target/example-out. Run it twice: the second run loads the plugin from the AOT cache.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
if command -v rustup >/dev/null; then rustup target add wasm32-wasip1; fi
bash testdata/build-plugins.sh
cargo build
out=target/example-out
rm -rf "$out" && mkdir -p "$out"
target/debug/protowasm protoc \
  -I testdata/proto \
  --plugin=target/plugins/wasm/protoc-gen-prost.wasm \
  --prost_out="$out" \
  --timings \
  example/library/v1/book.proto example/library/v1/library_service.proto
echo "generated:"
find "$out" -type f | sort
