#!/usr/bin/env bash
# A real OCI registry on loopback for the OCI tests (issue #17): Debian's docker-registry (the CNCF
# distribution server 2.8), fetched with `apt-get download` and unpacked with `dpkg-deb -x`, so no
# system service starts. The package is cached under $PROTOWASM_BUILD_CACHE/oci-registry (default
# ~/.cache/protowasm-build).
#
#   testdata/oci-registry.sh path                # prints the server binary's path (fetching it once)
#   testdata/oci-registry.sh serve DIR PORT [HTPASSWD]
#                                                # runs it in the foreground on 127.0.0.1:PORT,
#                                                # storing blobs under DIR; with HTPASSWD (bcrypt,
#                                                # `htpasswd -B`), Basic auth is required
#   testdata/oci-registry.sh htpasswd FILE USER PASSWORD
#                                                # writes a bcrypt htpasswd file (installs Debian's
#                                                # apache2-utils with apt-get if htpasswd is missing)
set -euo pipefail

CACHE="${PROTOWASM_BUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/protowasm-build}/oci-registry"
BIN="$CACHE/root/usr/bin/docker-registry"

die() { echo "oci-registry.sh: $*" >&2; exit 1; }

fetch() {
    [ -x "$BIN" ] && return 0
    mkdir -p "$CACHE"
    local tmp
    tmp=$(mktemp -d "$CACHE/.fetch.XXXXXX")
    (cd "$tmp" && apt-get download docker-registry >/dev/null 2>&1) ||
        (apt-get update >/dev/null && cd "$tmp" && apt-get download docker-registry >/dev/null) ||
        die "apt-get download docker-registry failed"
    dpkg-deb -x "$tmp"/docker-registry_*.deb "$tmp/root"
    [ -x "$tmp/root/usr/bin/docker-registry" ] || die "the package has no usr/bin/docker-registry"
    rm -rf "$CACHE/root" && mv "$tmp/root" "$CACHE/root" && rm -rf "$tmp"
}

# Tests start registries in parallel: one fetch at a time, the others wait for it (without the
# lock, one test's fetch replaced the directory another was starting the server from). The lock
# is held in a subshell, so that the server exec'd afterwards does not inherit it.
locked_fetch() {
    mkdir -p "$CACHE"
    ( flock 9 && fetch ) 9>"$CACHE/.lock"
}

case "${1:-}" in
    path)
        locked_fetch
        echo "$BIN"
        ;;
    serve)
        [ $# -ge 3 ] || die "usage: oci-registry.sh serve DIR PORT [HTPASSWD]"
        locked_fetch
        dir="$2" port="$3"
        mkdir -p "$dir"
        {
            echo "version: 0.1"
            echo "log: {level: error}"
            echo "storage: {filesystem: {rootdirectory: $dir/data}, delete: {enabled: true}}"
            echo "http: {addr: 127.0.0.1:$port}"
            if [ -n "${4:-}" ]; then
                echo "auth: {htpasswd: {realm: protowasm-tests, path: $4}}"
            fi
        } > "$dir/config.yml"
        exec "$BIN" serve "$dir/config.yml"
        ;;
    htpasswd)
        [ $# -eq 4 ] || die "usage: oci-registry.sh htpasswd FILE USER PASSWORD"
        if ! command -v htpasswd >/dev/null; then
            [ "$(id -u)" -eq 0 ] || die "htpasswd is missing: apt-get install apache2-utils (as root)"
            DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends apache2-utils >/dev/null ||
                { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends apache2-utils >/dev/null; } ||
                die "apt-get install apache2-utils failed"
        fi
        htpasswd -nbB "$3" "$4" > "$2"
        ;;
    *)
        die "usage: oci-registry.sh path | serve DIR PORT [HTPASSWD] | htpasswd FILE USER PASSWORD"
        ;;
esac
