#!/usr/bin/env bash
# Per-plugin figures for the plugin matrix: .wasm size, cold AOT compile, cached load, and run
# time as wasm (protowasm, warm cache) against native (protoc 36.2), on one input.
# Usage: bench/plugins.sh [INPUT]   INPUT: compute (default; google/cloud/compute/v1/compute.proto)
#                                          or common (googleapis common protos)
# Needs the matrix plugins (testdata/build-matrix-plugins.sh) and the corpus (fetch-dev-corpus.sh --large).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
input="${1:-compute}"
bash testdata/build-plugins.sh >/dev/null
bash testdata/build-matrix-plugins.sh >/dev/null
bash ../shared/corpus/fetch-dev-corpus.sh --large target/corpus >/dev/null
cargo build --release -q
pw="$repo/target/release/protowasm"
vendored=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/protoc-bin-vendored-linux-x86_64-3.3.0 | head -1)
protoc="$vendored/bin/protoc"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
case "$input" in
  compute) root=target/corpus/googleapis; files="google/cloud/compute/v1/compute.proto" ;;
  common) root=target/corpus/googleapis-common-protos; files=$(cd "$root" && find google/api google/rpc google/type -name '*.proto' | sort) ;;
  *) echo "unknown input $input" >&2; exit 2 ;;
esac
"$protoc" -I"$root" -I"$vendored/include" --include_imports --include_source_info -o "$work/set.pb" $files 2>/dev/null
ms() { python3 -c "import sys; print(f'{float(sys.argv[1])*1000:.0f}')" "$1"; }
echo "input: $input ($(wc -c < "$work/set.pb") byte descriptor set)"
echo "| plugin | .wasm | cold compile | cached load | protoc + native | protowasm + wasm (warm) | wasm / native |"
echo "|---|---|---|---|---|---|---|"
for p in go go-grpc prost tonic prost-serde rs; do
  wasm="target/plugins/wasm/protoc-gen-$p.wasm"; native="target/plugins/native/protoc-gen-$p"
  case "$p" in
    go|go-grpc) param="paths=source_relative" ;;
    tonic|prost-serde) param="no_include" ;;
    *) param="" ;;
  esac
  # Go plugins through a registry entry with GOGC=off (see README: Go's wasm GC bug).
  rm -f "$work/plugins-registry.toml"
  if [ "$p" = go ] || [ "$p" = go-grpc ]; then
    printf '[plugins.%s]\nsource = "%s"\nsha256 = "%s"\nenv = ["GOGC=off"]\n' "$p" "$repo/$wasm" "$(sha256sum "$wasm" | cut -d' ' -f1)" > "$work/plugins-registry.toml"
    plugflag=""
  else
    plugflag="--plugin=protoc-gen-$p=$repo/$wasm"
  fi
  rm -rf "$work/cache" "$work/o" && mkdir -p "$work/o"
  cold=$(cd "$work" && PROTOWASM_CACHE_DIR="$work/cache" "$pw" protoc --descriptor_set_in=set.pb $plugflag "--${p}_out=$param:o" $files --timings 2>&1 | grep 'module compiled' | sed 's/.*: \([0-9.]*\) ms/\1/')
  loads=(); wruns=(); nruns=()
  for i in 1 2 3; do
    rm -rf "$work/o" && mkdir -p "$work/o"
    s=$(date +%s.%N)
    out=$(cd "$work" && PROTOWASM_CACHE_DIR="$work/cache" "$pw" protoc --descriptor_set_in=set.pb $plugflag "--${p}_out=$param:o" $files --timings 2>&1)
    e=$(date +%s.%N)
    loads+=("$(echo "$out" | grep 'module from cache' | sed 's/.*: \([0-9.]*\) ms/\1/')")
    wruns+=("$(python3 -c "print(($e-$s)*1000)")")
    rm -rf "$work/n" && mkdir -p "$work/n"
    s=$(date +%s.%N); "$protoc" --descriptor_set_in="$work/set.pb" "--plugin=protoc-gen-$p=$native" "--${p}_out=$param:$work/n" $files 2>/dev/null; e=$(date +%s.%N)
    nruns+=("$(python3 -c "print(($e-$s)*1000)")")
  done
  med() { printf '%s\n' "$@" | sort -g | sed -n 2p; }
  load=$(med "${loads[@]}"); wrun=$(med "${wruns[@]}"); nrun=$(med "${nruns[@]}")
  size=$(python3 -c "import os; print(f'{os.path.getsize(\"$wasm\")/1e6:.2f} MB')")
  ratio=$(python3 -c "print(f'{$wrun/$nrun:.2f}x')")
  printf '| %s | %s | %.0f ms | %.1f ms | %.0f ms | %.0f ms | %s |\n' "protoc-gen-$p" "$size" "$cold" "$load" "$nrun" "$wrun" "$ratio"
done
echo "(both runs are whole commands, wall clock, medians of 3; outputs compared by the matrix test)"
