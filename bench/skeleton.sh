#!/usr/bin/env bash
# Times protowasm (wasm plugins) against protoc 36.2 (native plugins) side by side, with
# hyperfine, on the bundled example and on the well-known types, and prints a markdown table
# with ratios. Cases: a warm run (module in the AOT cache), a cold run (empty cache: compile),
# and protoc with the native plugin. Usage: bench/skeleton.sh [RUNS]
# Needs: hyperfine (apt-get install hyperfine), the plugins (testdata/build-plugins.sh), and
# protoc 36.2, which it takes from the crate protoc-bin-vendored in cargo's registry.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${1:-20}"
cd "$repo"
command -v hyperfine >/dev/null || { echo "bench: hyperfine is missing: apt-get install hyperfine" >&2; exit 1; }
bash testdata/build-plugins.sh >/dev/null
cargo build --release -q
pw="$repo/target/release/protowasm"
vendored=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/protoc-bin-vendored-linux-x86_64-3.3.0 | head -1)
protoc="$vendored/bin/protoc"; include="$vendored/include"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

# The well-known types protoc-gen-prost can handle (it panics on the edition 2023 files).
wkt=$(cd "$include" && grep -L '^edition' $(find google -name '*.proto' | sort))
"$protoc" -I"$include" --include_imports --include_source_info -o "$work/wkt.pb" $wkt

declare -A sets=([example]="testdata/example.pb|example/library/v1/book.proto example/library/v1/library_service.proto" [wkt]="$work/wkt.pb|$wkt")
echo "| input | plugin | protoc + native (ms) | protowasm warm (ms) | protowasm cold (ms) | warm / protoc | cold / protoc |"
echo "|---|---|---|---|---|---|---|"
for name in example wkt; do
  IFS='|' read -r set files <<< "${sets[$name]}"
  for plugin in prost; do
    mkdir -p "$work/o1" "$work/o2" "$work/o3"
    native="$protoc --descriptor_set_in=$set --plugin=protoc-gen-$plugin=target/plugins/native/protoc-gen-$plugin --${plugin}_out=compile_well_known_types:$work/o1 $files"
    warm="PROTOWASM_CACHE_DIR=$work/warm $pw protoc --descriptor_set_in=$set --plugin=target/plugins/wasm/protoc-gen-$plugin.wasm --${plugin}_out=compile_well_known_types:$work/o2 $files"
    cold="PROTOWASM_CACHE_DIR=$work/cold $pw protoc --descriptor_set_in=$set --plugin=target/plugins/wasm/protoc-gen-$plugin.wasm --${plugin}_out=compile_well_known_types:$work/o3 $files"
    hyperfine --style none --warmup 2 --runs "$runs" --export-json "$work/r.json" \
      --command-name native "$native" --command-name warm "$warm" \
      --prepare "rm -rf $work/cold" --command-name cold "$cold" >/dev/null
    python3 - "$work/r.json" "$name" "$plugin" <<'PY'
import json, sys
r = {x["command"]: x["mean"] * 1000 for x in json.load(open(sys.argv[1]))["results"]}
n, w, c = r["native"], r["warm"], r["cold"]
print(f"| {sys.argv[2]} | {sys.argv[3]} | {n:.1f} | {w:.1f} | {c:.1f} | {w/n:.2f} | {c/n:.2f} |")
PY
    diff -r "$work/o1" "$work/o2" >/dev/null || { echo "bench: outputs differ for $name/$plugin" >&2; exit 1; }
  done
done
