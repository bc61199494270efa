# Shared by build-plugins.sh and build-matrix-plugins.sh (sourced, not run).

# die MESSAGE: print "<script>: MESSAGE" and exit 1.
die() { echo "$(basename "$0"): $*" >&2; exit 1; }

# built ARTEFACT START: print one line with its size and how long the build took.
built() {
    local size secs
    size=$(wc -c < "$1")
    secs=$(awk -v a="$2" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
    echo "built $1 ($size bytes, ${secs}s)"
}

# is_wasm FILE: does FILE start with the wasm magic "\0asm"?
is_wasm() { [ "$(head -c 4 "$1" | od -An -tx1 | tr -d ' \n')" = "0061736d" ]; }
