#!/usr/bin/env bash
# The .proto compiler against protoc 36.2: compile a whole corpus in one run to a descriptor set
# (-o --include_imports --include_source_info), both tools side by side, several rounds.
# Reports wall time and peak memory (max RSS) for each, their ratios, and checks that both wrote
# the same bytes.
# Usage: bench/compile.sh [CORPUS] [ROUNDS]
#   CORPUS: googleapis (default; the --large corpus, ~7,200 files), common, protobuf
#   ROUNDS: default 5; the median is reported.
# Needs GNU time (/usr/bin/time; Debian package "time").
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
corpus="${1:-googleapis}"
rounds="${2:-5}"
[ -x /usr/bin/time ] || { echo "bench/compile.sh needs GNU time: apt-get install time" >&2; exit 2; }
bash ../shared/corpus/fetch-dev-corpus.sh --large target/corpus >/dev/null
cargo build --release -q
pw="$repo/target/release/protowasm"
protoc=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/protoc-bin-vendored-linux-x86_64-3.3.0/bin/protoc | head -1)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

case "$corpus" in
  googleapis) roots=(target/corpus/googleapis) ;;
  common) roots=(target/corpus/googleapis-common-protos) ;;
  protobuf) roots=(target/corpus/protobuf-27.1) ;;
  *) echo "unknown corpus $corpus" >&2; exit 2 ;;
esac
# Every file protoc accepts on its own, as virtual names (a file protoc rejects would stop both
# runs). Checking each file takes a while, so the list is kept in target/bench/.
mkdir -p target/bench
list="target/bench/compile-$corpus.files"
if [ ! -s "$list" ]; then
  for root in "${roots[@]}"; do
    (cd "$root" && find . -name '*.proto' | sed 's|^\./||' | sort) |
      xargs -P2 -I{} sh -c '"$1" -I"$2" -o /dev/null "$3" 2>/dev/null && echo "$3" || true' _ "$protoc" "$root" {}
  done | sort > "$list.tmp"
  # Files fine alone may clash together (two defining one symbol): drop the file protoc names
  # first, until the whole list compiles.
  for _ in $(seq 50); do
    incl=(); for root in "${roots[@]}"; do incl+=("-I$root"); done
    "$protoc" "${incl[@]}" -o /dev/null @"$list.tmp" 2>"$work/err" >/dev/null && break
    err=$(grep -v ': warning: ' "$work/err" | head -1 || true)
    bad=${err%%:*}
    for root in "${roots[@]}"; do bad=${bad#"$root/"}; done
    grep -vxF "$bad" "$list.tmp" > "$list.next" || true
    if cmp -s "$list.tmp" "$list.next"; then echo "cannot isolate: $err" >&2; exit 1; fi
    mv "$list.next" "$list.tmp"
  done
  mv "$list.tmp" "$list"
fi
cp "$list" "$work/files"
args=()
for root in "${roots[@]}"; do args+=("-I$root"); done
args+=(--include_imports --include_source_info)
nfiles=$(wc -l < "$work/files")

# One timed run: prints "seconds max_rss_kib".
measure() {
  local out="$1"; shift
  /usr/bin/time -f '%e %M' -o "$work/time" "$@" "${args[@]}" -o "$out" @"$work/argfile" >/dev/null
  cat "$work/time"
}
cp "$work/files" "$work/argfile"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
: > "$work/protoc.t"; : > "$work/protowasm.t"
for _ in $(seq "$rounds"); do
  measure "$work/protoc.pb" "$protoc" >> "$work/protoc.t"
  measure "$work/protowasm.pb" "$pw" protoc >> "$work/protowasm.t"
done
cmp -s "$work/protoc.pb" "$work/protowasm.pb" && same="identical" || same="DIFFERENT"

pt=$(cut -d' ' -f1 "$work/protoc.t" | median); pm=$(cut -d' ' -f2 "$work/protoc.t" | median)
wt=$(cut -d' ' -f1 "$work/protowasm.t" | median); wm=$(cut -d' ' -f2 "$work/protowasm.t" | median)
echo "corpus: $corpus, $nfiles files, one run each, median of $rounds rounds; outputs $same ($(wc -c < "$work/protoc.pb") bytes)"
echo "| tool | wall time | peak memory (max RSS) |"
echo "|---|---|---|"
printf '| protoc 36.2 | %.2f s | %d MiB |\n' "$pt" $((pm / 1024))
printf '| protowasm protoc | %.2f s | %d MiB |\n' "$wt" $((wm / 1024))
python3 -c "import sys; t=float(sys.argv[1])/float(sys.argv[2]); m=float(sys.argv[3])/float(sys.argv[4]); print(f'protowasm / protoc: time {t:.2f}x, memory {m:.2f}x')" "$wt" "$pt" "$wm" "$pm"
[ "$same" = identical ]
