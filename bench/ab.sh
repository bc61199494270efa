#!/usr/bin/env bash
# A/B two protowasm binaries, interleaved run by run, on cases bench/run.sh has already set up
# (target/bench/work/): the Rust set on aiplatform v1 and on the common protos, plugins really
# run (--no-cache, warm AOT cache), and the googleapis compile. For a refactor's before/after:
# two bench/run.sh runs minutes apart drift with the machine, one interleaved run does not.
#
# Usage: bash bench/ab.sh OLD_BINARY NEW_BINARY [ROUNDS]
#   e.g. git worktree add /tmp/old HEAD~1 && cp -a target/release /tmp/oldtarget/ &&
#        (cd /tmp/old && CARGO_TARGET_DIR=/tmp/oldtarget cargo build --release) &&
#        bash bench/ab.sh /tmp/oldtarget/release/protowasm target/release/protowasm 8
# Prints the median, min and max wall time of each binary per case, and checks that both
# wrote the same descriptor set.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ $# -ge 2 ] || { echo "usage: bash bench/ab.sh OLD_BINARY NEW_BINARY [ROUNDS]" >&2; exit 2; }
old=$(realpath "$1"); new=$(realpath "$2"); rounds=${3:-8}
work="$repo/target/bench/work"
[ -d "$work/rust-aiplatform" ] && [ -d "$work/compile" ] ||
    { echo "bench/ab.sh: run bash bench/run.sh --cases compile,rust once first" >&2; exit 1; }
times=$(mktemp)
trap 'rm -f "$times"' EXIT

# One timed run: label, then the command; appends "label seconds" to $times.
timed() {
    local label=$1; shift
    local start end
    start=$(date +%s%N)
    "$@" >/dev/null 2>&1 || { echo "bench/ab.sh: $label failed: $*" >&2; exit 1; }
    end=$(date +%s%N)
    echo "$label $(( (end - start) / 1000000 ))" >> "$times"
}

for case in rust-aiplatform rust-common; do
    cd "$work/$case"
    for _ in $(seq "$rounds"); do
        for which in old new; do
            bin=$old; [ "$which" = new ] && bin=$new
            timed "$case/$which" env PROTOWASM_CACHE_DIR="$repo/target/bench/warm-cache" \
                PROTOWASM_REGISTRY="$PWD/registry.toml" "$bin" protoc -Imod --no-cache \
                --prost_out=out-pw --tonic_out=out-pw --prost-serde_out=out-pw @files
        done
    done
done
cd "$work/compile"
for _ in $(seq $(( (rounds + 2) / 3 ))); do
    for which in old new; do
        bin=$old; [ "$which" = new ] && bin=$new
        # No plugin runs, so no registry is needed; an empty one keeps a working tree's out.
        timed "compile/$which" env PROTOWASM_REGISTRY=/dev/null "$bin" protoc -Imod \
            --include_imports --include_source_info -o "ab-$which.pb" @files
    done
done
cmp -s ab-old.pb ab-new.pb || { echo "bench/ab.sh: the two descriptor sets differ" >&2; exit 1; }
rm -f ab-old.pb ab-new.pb

python3 - "$times" <<'PY'
import collections, statistics, sys
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    label, ms = line.split()
    runs[label].append(int(ms))
for label in sorted(runs):
    v = runs[label]
    print(f"{label:22} median {statistics.median(v):7.0f} ms  min {min(v):6d}  max {max(v):6d}  n={len(v)}")
PY
echo "descriptor sets: identical"
