#!/usr/bin/env bash
# The hostile-plugin table: each case runs testplug (wasm) beside protoc-gen-prost (wasm) in one
# run, with both writing to their own output directory, and reports the first line of the
# message, the wall time, the peak RSS of the whole protowasm process, and the bytes written to
# the output directories (which must be 0). Usage: bench/hostile.sh
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
bash testdata/build-plugins.sh >/dev/null
cargo build -q
pw="$repo/target/debug/protowasm"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
export PROTOWASM_CACHE_DIR="$work/cache"
run() { # NAME PARAMETER [FLAGS...]
  local name=$1 param=$2; shift 2
  rm -rf "$work/out" && mkdir -p "$work/out/prost" "$work/out/t"
  local start end rc=0
  start=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$work/rss" "$pw" protoc --descriptor_set_in=testdata/example.pb \
    --plugin=target/plugins/wasm/protoc-gen-prost.wasm --prost_out="$work/out/prost" \
    --plugin=protoc-gen-t=target/plugins/wasm/protoc-gen-testplug.wasm --t_out="$param:$work/out/t" \
    "$@" example/library/v1/book.proto > /dev/null 2> "$work/err" || rc=$?
  end=$(date +%s.%N)
  local bytes msg
  bytes=$(find "$work/out" -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}')
  msg=$(grep -v '^protoc-gen-t: ' "$work/err" | grep -v '^ \|^error while\|^Caused\|^$' | head -1 | cut -c1-110 || true)
  local secs rss
  secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
  rss=$(( $(tail -1 "$work/rss") / 1024 ))
  printf '| %s | %s | %s | %s s | %s MB | %s |\n' "$name" "$rc" "$msg" "$secs" "$rss" "$bytes"
}
"$pw" protoc --descriptor_set_in=testdata/example.pb --plugin=target/plugins/wasm/protoc-gen-prost.wasm --plugin=protoc-gen-t=target/plugins/wasm/protoc-gen-testplug.wasm --prost_out="$work" --t_out="$work" example/library/v1/book.proto >/dev/null 2>&1 || true  # warm the cache
echo "| case | exit | message (first line) | time | peak RSS | bytes written |"
echo "|---|---|---|---|---|---|"
run "infinite loop" loop --plugin-timeout=2s
run "memory bomb" oom
run "stdout bomb" bigout=300000000
run "stderr flood" stderr=1000000,error=stop
run "trap" trap
run "exit 1" exit=1
run "exit 2" exit=2
run "malformed response" garbage
run "name ../x" prefix=../
run "name /abs" prefix=/abs/
run "name a/../../b" prefix=a/../../
run "name with NUL" nulname
run "same file twice" dup
run "insert into a missing file" insert=missing.txt@end
run "probe host files and env, then fail" probe,error=stop
run "100 MB response at the cap" bigout=100000000 --plugin-output-limit=100000021
