#!/usr/bin/env bash
# Builds the protoc plugins used by protowasm's tests, natively and for wasm32-wasip1:
#
#   $OUT/native/protoc-gen-testplug      $OUT/wasm/protoc-gen-testplug.wasm
#   $OUT/native/protoc-gen-prost         $OUT/wasm/protoc-gen-prost.wasm
#
# OUT defaults to <repo>/target/plugins; Cargo builds go to <repo>/target/plugins-build
# (override with CARGO_TARGET_DIR). Idempotent: a step whose output exists and is up to date
# is skipped. testplug (testdata/plugins/testplug) is rebuilt when its src/, Cargo.toml or
# Cargo.lock is newer than the artefact; protoc-gen-prost when the pinned version changes
# (stamp in $CARGO_TARGET_DIR/install-*/VERSION).
# Needs cargo, the wasm32-wasip1 target (rustup target add wasm32-wasip1) and crates.io.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${OUT:-$REPO/target/plugins}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$REPO/target/plugins-build}"
TESTPLUG="$REPO/testdata/plugins/testplug"

# protoc-gen-prost 0.5.0 (prost 0.14) is the newest release; it builds with rustc 1.95,
# natively and for wasm32-wasip1, with its own Cargo.lock (--locked).
PROST_VERSION="0.5.0"

mkdir -p "$OUT/native" "$OUT/wasm" "$CARGO_TARGET_DIR"

# shellcheck source=testdata/plugin-build-lib.sh
. "$REPO/testdata/plugin-build-lib.sh"

if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx wasm32-wasip1; then
    die "the wasm32-wasip1 target is missing: run 'rustup target add wasm32-wasip1'"
fi


# testplug: stale when missing or older than any of its sources.
testplug_stale() {
    [ ! -f "$1" ] || [ -n "$(find "$TESTPLUG/src" "$TESTPLUG/Cargo.toml" "$TESTPLUG/Cargo.lock" -newer "$1" -print -quit)" ]
}

dest="$OUT/native/protoc-gen-testplug"
if testplug_stale "$dest"; then
    start=$EPOCHREALTIME
    cargo build --locked --release --manifest-path "$TESTPLUG/Cargo.toml"
    cp "$CARGO_TARGET_DIR/release/protoc-gen-testplug" "$dest.tmp"
    mv -f "$dest.tmp" "$dest"
    built "$dest" "$start"
fi

dest="$OUT/wasm/protoc-gen-testplug.wasm"
if testplug_stale "$dest"; then
    start=$EPOCHREALTIME
    cargo build --locked --release --target wasm32-wasip1 --manifest-path "$TESTPLUG/Cargo.toml"
    src="$CARGO_TARGET_DIR/wasm32-wasip1/release/protoc-gen-testplug.wasm"
    is_wasm "$src" || die "$src is not a wasm module"
    cp "$src" "$dest.tmp"
    mv -f "$dest.tmp" "$dest"
    built "$dest" "$start"
fi

# protoc-gen-prost: installed into a root per target, whose VERSION stamp records the version.
# install_prost DEST INSTALLED_NAME [cargo install args...]
install_prost() {
    local dest="$1" name="$2" root start
    shift 2
    root="$CARGO_TARGET_DIR/install-$(basename "$(dirname "$dest")")"
    if [ -f "$dest" ] && [ "$(cat "$root/VERSION" 2>/dev/null)" = "$PROST_VERSION" ]; then
        return 0
    fi
    start=$EPOCHREALTIME
    cargo install --locked --force --root "$root" --version "=$PROST_VERSION" "$@" protoc-gen-prost
    [ -f "$root/bin/$name" ] || die "cargo install did not produce $root/bin/$name"
    cp "$root/bin/$name" "$dest.tmp"
    mv -f "$dest.tmp" "$dest"
    echo "$PROST_VERSION" > "$root/VERSION"
    built "$dest" "$start"
}

install_prost "$OUT/native/protoc-gen-prost" protoc-gen-prost
install_prost "$OUT/wasm/protoc-gen-prost.wasm" protoc-gen-prost.wasm --target wasm32-wasip1
is_wasm "$OUT/wasm/protoc-gen-prost.wasm" || die "$OUT/wasm/protoc-gen-prost.wasm is not a wasm module"
is_wasm "$OUT/wasm/protoc-gen-testplug.wasm" || die "$OUT/wasm/protoc-gen-testplug.wasm is not a wasm module"

echo "plugins up to date in $OUT"
