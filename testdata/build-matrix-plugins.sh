#!/usr/bin/env bash
# Builds the "plugin matrix": real protoc plugins from registry packages, natively and for WASI
# preview 1 (GOOS=wasip1 GOARCH=wasm / wasm32-wasip1):
#
#   $OUT/native/protoc-gen-go            $OUT/wasm/protoc-gen-go.wasm            (Go, Debian golang-google-protobuf-dev)
#   $OUT/native/protoc-gen-go-grpc       $OUT/wasm/protoc-gen-go-grpc.wasm       (Go, Debian golang-google-grpc-dev)
#   $OUT/native/protoc-gen-tonic         $OUT/wasm/protoc-gen-tonic.wasm         (crates.io)
#   $OUT/native/protoc-gen-prost-serde   $OUT/wasm/protoc-gen-prost-serde.wasm   (crates.io)
#   $OUT/native/protoc-gen-rs            $OUT/wasm/protoc-gen-rs.wasm            (crates.io protobuf-codegen)
#
# protoc-gen-prost is built by testdata/build-plugins.sh, not here.
# OUT defaults to <repo>/target/plugins; builds go to <repo>/target/plugins-build (override with
# CARGO_TARGET_DIR), shared with build-plugins.sh so common crates are compiled once. Idempotent: a
# step is skipped when its artefact exists and its VERSION stamp (in $CARGO_TARGET_DIR/install-*/
# for Rust, $CARGO_TARGET_DIR/go-*/ for Go) matches the pinned version (Rust) or the Go toolchain
# and Debian source package versions (Go).
# Needs: cargo, the wasm32-wasip1 target, crates.io, and what testdata/install-toolchains.sh installs
# (/usr/lib/go-1.23/bin/go and the Go sources in /usr/share/gocode).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${OUT:-$REPO/target/plugins}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$REPO/target/plugins-build}"
GO=/usr/lib/go-1.23/bin/go
GOCODE=/usr/share/gocode

# Pinned crates.io versions: the newest releases, all build with rustc 1.95 natively and for
# wasm32-wasip1 with their own Cargo.lock (--locked). protobuf-codegen stays on 3.x: 4.x is the
# upb-based generator, with no protoc-gen-rs binary of this kind.
TONIC_VERSION="0.5.0"
PROST_SERDE_VERSION="0.4.0"
RS_VERSION="3.7.2"

# shellcheck source=testdata/plugin-build-lib.sh
. "$REPO/testdata/plugin-build-lib.sh"

if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx wasm32-wasip1; then
    die "the wasm32-wasip1 target is missing: run testdata/install-toolchains.sh (or 'rustup target add wasm32-wasip1')"
fi
[ -x "$GO" ] || die "$GO not found: run testdata/install-toolchains.sh (as root) to install golang-1.23-go and the plugin sources"
for pkg in google.golang.org/protobuf/cmd/protoc-gen-go google.golang.org/grpc/cmd/protoc-gen-go-grpc; do
    [ -f "$GOCODE/src/$pkg/main.go" ] || die "$GOCODE/src/$pkg missing: run testdata/install-toolchains.sh (as root)"
done

mkdir -p "$OUT/native" "$OUT/wasm" "$CARGO_TARGET_DIR"


# --- Go plugins: GOPATH mode over Debian's /usr/share/gocode, no network, no $HOME needed ---------
export GO111MODULE=off GOPATH="$GOCODE" GOCACHE="$CARGO_TARGET_DIR/go-cache" GOENV=off \
    GOTOOLCHAIN=local GOPROXY=off GOFLAGS="-buildvcs=false" CGO_ENABLED=0
debver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo unknown; }
GO_STAMP="$("$GO" version | awk '{print $3}') protobuf=$(debver golang-google-protobuf-dev) grpc=$(debver golang-google-grpc-dev)"

# build_go DEST GOOS GOARCH PACKAGE
build_go() {
    local dest="$1" goos="$2" goarch="$3" pkg="$4" dir stamp tmp start
    dir="$CARGO_TARGET_DIR/go-$(basename "$(dirname "$dest")")"
    stamp="$dir/$(basename "$pkg").VERSION"
    if [ -f "$dest" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$GO_STAMP" ]; then
        return 0
    fi
    mkdir -p "$dir"
    start=$EPOCHREALTIME
    tmp="$dir/$(basename "$dest")"
    GOOS="$goos" GOARCH="$goarch" "$GO" build -trimpath -o "$tmp" "$pkg"
    cp "$tmp" "$dest.tmp"
    mv -f "$dest.tmp" "$dest"
    echo "$GO_STAMP" > "$stamp"
    built "$dest" "$start"
}

build_go "$OUT/native/protoc-gen-go" "$("$GO" env GOHOSTOS)" "$("$GO" env GOHOSTARCH)" google.golang.org/protobuf/cmd/protoc-gen-go
build_go "$OUT/wasm/protoc-gen-go.wasm" wasip1 wasm google.golang.org/protobuf/cmd/protoc-gen-go
build_go "$OUT/native/protoc-gen-go-grpc" "$("$GO" env GOHOSTOS)" "$("$GO" env GOHOSTARCH)" google.golang.org/grpc/cmd/protoc-gen-go-grpc
build_go "$OUT/wasm/protoc-gen-go-grpc.wasm" wasip1 wasm google.golang.org/grpc/cmd/protoc-gen-go-grpc

# --- Rust plugins from crates.io: one install root per crate and target, with a VERSION stamp -----
# install_crate DEST CRATE VERSION INSTALLED_NAME [cargo install args...]
install_crate() {
    local dest="$1" crate="$2" version="$3" name="$4" root start
    shift 4
    root="$CARGO_TARGET_DIR/install-$(basename "$(dirname "$dest")")-$crate"
    if [ -f "$dest" ] && [ "$(cat "$root/VERSION" 2>/dev/null)" = "$version" ]; then
        return 0
    fi
    start=$EPOCHREALTIME
    cargo install --locked --force --root "$root" --version "=$version" "$@" "$crate"
    [ -f "$root/bin/$name" ] || die "cargo install did not produce $root/bin/$name"
    cp "$root/bin/$name" "$dest.tmp"
    mv -f "$dest.tmp" "$dest"
    echo "$version" > "$root/VERSION"
    built "$dest" "$start"
}

install_crate "$OUT/native/protoc-gen-tonic" protoc-gen-tonic "$TONIC_VERSION" protoc-gen-tonic
install_crate "$OUT/wasm/protoc-gen-tonic.wasm" protoc-gen-tonic "$TONIC_VERSION" protoc-gen-tonic.wasm --target wasm32-wasip1
install_crate "$OUT/native/protoc-gen-prost-serde" protoc-gen-prost-serde "$PROST_SERDE_VERSION" protoc-gen-prost-serde
install_crate "$OUT/wasm/protoc-gen-prost-serde.wasm" protoc-gen-prost-serde "$PROST_SERDE_VERSION" protoc-gen-prost-serde.wasm --target wasm32-wasip1
install_crate "$OUT/native/protoc-gen-rs" protobuf-codegen "$RS_VERSION" protoc-gen-rs
install_crate "$OUT/wasm/protoc-gen-rs.wasm" protobuf-codegen "$RS_VERSION" protoc-gen-rs.wasm --target wasm32-wasip1

# --- check every artefact ----------------------------------------------------------------------
for name in protoc-gen-go protoc-gen-go-grpc protoc-gen-tonic protoc-gen-prost-serde protoc-gen-rs; do
    f="$OUT/native/$name"
    [ -x "$f" ] || die "$f is missing or not executable"
    echo "native $f ($(wc -c < "$f") bytes)"
    f="$OUT/wasm/$name.wasm"
    is_wasm "$f" || die "$f is not a wasm module"
    echo "wasm   $f ($(wc -c < "$f") bytes)"
done

echo "matrix plugins up to date in $OUT"
