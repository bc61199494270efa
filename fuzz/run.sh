#!/usr/bin/env bash
# Runs each fuzz target for a bounded time from seeds of real inputs: `parse` from the dev
# corpora's .proto files, `apply` from the text-format responses in fuzz/seeds/apply (encoded
# with protoc 36.2). CI runs it with a short bound; for a longer run: bash fuzz/run.sh 3600
# Needs the nightly toolchain (cargo-fuzz builds with sanitizers); installs cargo-fuzz if missing.
set -euo pipefail
seconds="${1:-60}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
rustup toolchain list | grep -q '^nightly' || { echo "fuzz/run.sh: the nightly toolchain is missing (rustup toolchain list)" >&2; exit 1; }
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
bash ../shared/corpus/fetch-dev-corpus.sh --large target/corpus >/dev/null
vendored=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/protoc-bin-vendored-linux-x86_64-3.3.0 | head -1)
[ -x "$vendored/bin/protoc" ] || { echo "fuzz/run.sh: protoc 36.2 (crate protoc-bin-vendored) is not in cargo's registry: run cargo test first" >&2; exit 1; }

seeds="$repo/target/fuzz-seeds"
rm -rf "$seeds" && mkdir -p "$seeds/parse" "$seeds/apply"
# A spread of real files: every protobuf test proto, the common protos and OpenTelemetry.
find target/corpus/protobuf-27.1 target/corpus/googleapis-common-protos target/corpus/otel -name '*.proto' \
  | while read -r f; do cp "$f" "$seeds/parse/$(echo "$f" | tr '/' '_')"; done
for f in fuzz/seeds/apply/*.txt; do
  "$vendored/bin/protoc" -I"$vendored/include" --encode=google.protobuf.compiler.CodeGeneratorResponse \
    google/protobuf/compiler/plugin.proto < "$f" > "$seeds/apply/$(basename "$f" .txt).bin"
done
echo "seeds: $(ls "$seeds/parse" | wc -l) .proto files, $(ls "$seeds/apply" | wc -l) responses"

cd fuzz
for target in parse apply; do
  echo "fuzzing $target for ${seconds}s"
  # Work on a copy, so the run's new inputs do not pile up in the seed directory.
  mkdir -p "$seeds/$target-work" && cp "$seeds/$target"/* "$seeds/$target-work/"
  cargo +nightly fuzz run "$target" "$seeds/$target-work" -- -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096
done
echo "fuzzing: no crash in ${seconds}s per target"
