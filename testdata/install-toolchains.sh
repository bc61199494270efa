#!/usr/bin/env bash
# Installs the toolchains that testdata/build-matrix-plugins.sh needs, on Debian bookworm, as root:
#
#   - the Rust target wasm32-wasip1 (rustup target add wasm32-wasip1);
#   - Go 1.23 (golang-1.23-go, from bookworm-backports: GOOS=wasip1 needs Go >= 1.21), installed as
#     /usr/lib/go-1.23/bin/go;
#   - the sources of protoc-gen-go and protoc-gen-go-grpc in /usr/share/gocode
#     (golang-google-protobuf-dev, golang-google-grpc-dev);
#   - with --builtins, what testdata/build-builtins.sh compiles protoc's generators with: clang-19,
#     lld-19 and llvm-19, the wasm32 libc++/libc++abi/compiler-rt, and wasi-libc from
#     bookworm-backports (bookworm's own 2022 build has no pthread.h, which abseil includes).
#
# Idempotent: the backports source is added only when no apt source names bookworm-backports, and
# apt is skipped entirely (no apt-get update) when all three packages are already installed.
# Prints one line per thing it did or found done.
set -euo pipefail

BUILTINS=false
for arg in "$@"; do
    case "$arg" in
        --builtins) BUILTINS=true ;;
        *) echo "install-toolchains.sh: unknown option $arg (expected --builtins)" >&2; exit 2 ;;
    esac
done

die() { echo "install-toolchains.sh: $*" >&2; exit 1; }

APT_PACKAGES=(golang-1.23-go golang-google-protobuf-dev golang-google-grpc-dev)
BACKPORTS_FILE=/etc/apt/sources.list.d/bookworm-backports.list

# The Debian mirror this machine already uses for bookworm (deb822 URIs: or a one-line deb entry),
# so backports come from the same place.
# Each grep may match nothing, or name a glob that matched no file (a machine with only
# deb822 sources has no *.list): under pipefail that is a failure, so each pipe ends in `|| true`.
debian_mirror() {
    { grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' || true
      grep -hs -E '^deb [^ ]+ bookworm ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | awk '{print $2}' || true
    } | { grep -v -- '-security' || true; } | head -1
}

# --- Rust target -----------------------------------------------------------------------------
command -v rustup >/dev/null || die "rustup not found: install Rust with rustup first"
if rustup target list --installed | grep -qx wasm32-wasip1; then
    echo "rust target wasm32-wasip1: already installed"
else
    rustup target add wasm32-wasip1
    rustup target list --installed | grep -qx wasm32-wasip1 || die "rustup did not install wasm32-wasip1"
    echo "rust target wasm32-wasip1: installed"
fi

# --- Debian packages -------------------------------------------------------------------------
# ensure_backports WHAT: as root on bookworm, a bookworm-backports apt source, then apt-get update.
updated=false
ensure_backports() {
    [ "$(id -u)" -eq 0 ] || die "must run as root to install $1"
    . /etc/os-release
    [ "${VERSION_CODENAME:-}" = bookworm ] || die "expected Debian bookworm, found ${PRETTY_NAME:-unknown}"
    # Any existing source (one-line .list or deb822 .sources) that names bookworm-backports will do.
    if grep -rqs --include='*.list' --include='*.sources' --include=sources.list \
            -E '^[^#]*bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
        echo "apt source bookworm-backports: already configured"
    else
        mirror=$(debian_mirror)
        [ -n "$mirror" ] || die "no Debian bookworm apt source found to take the mirror from"
        echo "deb $mirror bookworm-backports main" > "$BACKPORTS_FILE"
        echo "apt source bookworm-backports: added $BACKPORTS_FILE"
    fi
    $updated || apt-get update
    updated=true
}

installed() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]; }

# not_installed PACKAGE...: prints each one dpkg does not have installed, a line each.
not_installed() {
    local p
    for p in "$@"; do
        installed "$p" || echo "$p"
    done
}

mapfile -t missing < <(not_installed "${APT_PACKAGES[@]}")

if [ ${#missing[@]} -eq 0 ]; then
    echo "apt packages ${APT_PACKAGES[*]}: already installed, apt skipped"
else
    ensure_backports "${missing[*]}"
    echo "apt: installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${APT_PACKAGES[@]}"
    for p in "${APT_PACKAGES[@]}"; do
        installed "$p" || die "apt-get did not install $p"
    done
    echo "apt packages ${APT_PACKAGES[*]}: installed"
fi

[ -x /usr/lib/go-1.23/bin/go ] || die "/usr/lib/go-1.23/bin/go missing after installing golang-1.23-go"
echo "go: $(/usr/lib/go-1.23/bin/go version)"

# --- The builtins' C++ toolchain (--builtins) ------------------------------------------------
if $BUILTINS; then
    CXX_PACKAGES=(clang-19 lld-19 llvm-19 libc++-19-dev-wasm32 libc++abi-19-dev-wasm32 libclang-rt-19-dev-wasm32)
    mapfile -t missing < <(not_installed "${CXX_PACKAGES[@]}")
    # The backports wasi-libc is the one with pthread.h.
    [ -f /usr/include/wasm32-wasi/pthread.h ] || missing+=(wasi-libc)
    if [ ${#missing[@]} -eq 0 ]; then
        echo "builtins toolchain: already installed, apt skipped"
    else
        ensure_backports "${missing[*]}"
        echo "apt: installing ${missing[*]}"
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${CXX_PACKAGES[@]}"
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends -t bookworm-backports wasi-libc
        for p in "${CXX_PACKAGES[@]}" wasi-libc; do
            installed "$p" || die "apt-get did not install $p"
        done
        [ -f /usr/include/wasm32-wasi/pthread.h ] || die "wasi-libc from bookworm-backports has no pthread.h"
        echo "builtins toolchain: installed"
    fi
    echo "clang: $(clang++-19 --version | head -1); wasi-libc $(dpkg-query -W -f='${Version}' wasi-libc)"
fi
