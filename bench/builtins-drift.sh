#!/usr/bin/env bash
# How protoc 36.2's built-in generators differ from the builtins module (protobuf 35.1's), on the
# corpora tests/builtins uses: for each generator, the files each writes and how many differ.
# Prints a markdown table. Needs target/debug/protowasm (cargo build), the module
# (testdata/build-builtins.sh), protoc 36.2 from protoc-bin-vendored (cargo fetch), protoc 35.1
# in target/builtins-venv (cargo test --test builtins installs it) and the corpora.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
protoc36=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/protoc-bin-vendored-linux-x86_64-3.3.0/bin/protoc | head -1)
include35="$repo/target/builtins-venv/include"
c="$repo/target/corpus"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '[plugins.builtins]\nsource = "%s"\nsha256 = "%s"\nbuiltins = ["cpp","csharp","java","kotlin","objc","php","pyi","python","rbs","ruby"]\n' \
    "$repo/target/plugins/wasm/protoc-gen-builtins.wasm" \
    "$(sha256sum target/plugins/wasm/protoc-gen-builtins.wasm | cut -d' ' -f1)" > "$work/registry.toml"
# name|include root|files (relative to the root)
sets=(
    "wkt|$include35|$(cd "$include35" && find google/protobuf -name '*.proto' | sort | tr '\n' ' ')"
    "googleapis-common-protos|$c/googleapis-common-protos|$(cd "$c/googleapis-common-protos" && find google -name '*.proto' | sort | tr '\n' ' ')"
    "otel|$c/otel/src/proto/opentelemetry-proto|$(cd "$c/otel/src/proto/opentelemetry-proto" && find opentelemetry -name '*.proto' | sort | tr '\n' ' ')"
    "substrait|$c/substrait/proto|$(cd "$c/substrait/proto" && find substrait -name '*.proto' | sort | tr '\n' ' ')"
    "compute|$c/googleapis|google/cloud/compute/v1/compute.proto"
)
echo "| generator | files | differ from protoc 36.2's | where |"
echo "|---|---|---|---|"
for g in cpp csharp java kotlin objc php pyi python rbs ruby; do
    files=0 differ=0 where=""
    for s in "${sets[@]}"; do
        IFS='|' read -r name root list <<< "$s"
        rm -rf "$work/a" "$work/b" && mkdir "$work/a" "$work/b"
        # shellcheck disable=SC2086
        "$protoc36" -I"$root" --${g}_out="$work/a" $list 2>/dev/null || { where+=" $name: protoc 36.2 fails;"; continue; }
        # shellcheck disable=SC2086
        PROTOWASM_REGISTRY="$work/registry.toml" target/debug/protowasm protoc -I"$root" --${g}_out="$work/b" $list 2>/dev/null ||
            { where+=" $name: protowasm fails;"; continue; }
        n=$(cd "$work/a" && find . -type f | wc -l)
        d=$({ diff -rq "$work/a" "$work/b" || true; } | wc -l)
        files=$((files + n)); differ=$((differ + d))
        [ "$d" -eq 0 ] || where+=" $name $d;"
    done
    echo "| $g | $files | $differ | ${where:- } |"
done
