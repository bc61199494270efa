#!/usr/bin/env bash
# Builds everything and runs the bundled example: protoc-gen-prost, compiled to WebAssembly,
# generates Rust code for testdata/proto/example (given as the descriptor set testdata/example.pb)
# into target/example-out. Run it twice: the second run loads the plugin from the AOT cache.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
if command -v rustup >/dev/null; then rustup target add wasm32-wasip1; fi
bash testdata/build-plugins.sh
cargo build
out=target/example-out
rm -rf "$out" && mkdir -p "$out"
target/debug/protowasm protoc \
  --descriptor_set_in=testdata/example.pb \
  --plugin=target/plugins/wasm/protoc-gen-prost.wasm \
  --prost_out="$out" \
  --timings \
  example/library/v1/book.proto example/library/v1/library_service.proto
echo "generated:"
find "$out" -type f | sort
