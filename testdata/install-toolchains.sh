#!/usr/bin/env bash
# Installs the toolchains that testdata/build-matrix-plugins.sh needs, on Debian bookworm, as root:
#
#   - the Rust target wasm32-wasip1 (rustup target add wasm32-wasip1);
#   - Go 1.23 (golang-1.23-go, from bookworm-backports: GOOS=wasip1 needs Go >= 1.21), installed as
#     /usr/lib/go-1.23/bin/go;
#   - the sources of protoc-gen-go and protoc-gen-go-grpc in /usr/share/gocode
#     (golang-google-protobuf-dev, golang-google-grpc-dev).
#
# Idempotent: the backports source is added only when no apt source names bookworm-backports, and
# apt is skipped entirely (no apt-get update) when all three packages are already installed.
# Prints one line per thing it did or found done.
set -euo pipefail

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
installed() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]; }

missing=()
for p in "${APT_PACKAGES[@]}"; do
    installed "$p" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "apt packages ${APT_PACKAGES[*]}: already installed, apt skipped"
else
    [ "$(id -u)" -eq 0 ] || die "must run as root to install ${missing[*]}"
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
    echo "apt: installing ${missing[*]}"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${APT_PACKAGES[@]}"
    for p in "${APT_PACKAGES[@]}"; do
        installed "$p" || die "apt-get did not install $p"
    done
    echo "apt packages ${APT_PACKAGES[*]}: installed"
fi

[ -x /usr/lib/go-1.23/bin/go ] || die "/usr/lib/go-1.23/bin/go missing after installing golang-1.23-go"
echo "go: $(/usr/lib/go-1.23/bin/go version)"
