#!/usr/bin/env bash
# Builds protoc's built-in generators (cpp, csharp, java, kotlin, objc, php, pyi, python, rbs, ruby,
# rust) and grpc's Python generator (grpc_python) as one WASI preview 1 module:
#
#   $OUT/wasm/protoc-gen-builtins.wasm
#
# protowasm runs it with argv[0] = protoc-gen-NAME for --NAME_out (testdata/builtins/main.cc picks
# the generator). The sources are the grpcio-tools sdist from PyPI, pinned by version and sha256:
# it bundles protobuf (with upb and abseil) and grpc's python_generator, and protoc_lib_deps.py in
# it lists libprotoc's files. The toolchain is Debian's: clang-19 and lld-19 for wasm32-wasi, the
# wasm32 libc++, and wasi-libc from bookworm-backports (testdata/install-toolchains.sh --builtins
# installs them). The module is single-threaded and needs no shared memory: testdata/builtins/
# holds our stand-ins for what Debian's thread-less, filesystem-less wasm libc++ and wasi-libc
# lack (std::mutex and friends, std::ifstream, pthread_*, <setjmp.h>).
#
# Cache: under $PROTOWASM_BUILD_CACHE/builtins/ (default ~/.cache/protowasm-build), outside the
# clone. libprotoc's objects are in obj-<key>/, keyed by the sdist, the compiler's and wasi-libc's
# versions, the flags and the headers forced into every file; the module is in <key>/, keyed by
# those and everything else the output depends on (this script, testdata/builtins/). So a second
# run, or a CI run on the same machine, copies the cached module in a fraction of a second; a
# change to main.cc recompiles main.cc alone; an interrupted build resumes where it stopped
# (make keeps finished objects); two builds at once take turns (flock). Old keys stay.
#
# Options: -j N (parallel compiles; default: all cores); --where prints the two cache directories
# and exits. Prints the module's size and build time.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${OUT:-$REPO/target/plugins}"
CACHE_ROOT="${PROTOWASM_BUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/protowasm-build}"
JOBS="$(nproc)"
WHERE=false
while [ $# -gt 0 ]; do
    case "$1" in
        --where) WHERE=true; shift ;;
        -j) JOBS="$2"; shift 2 ;;
        -j*) JOBS="${1#-j}"; shift ;;
        *) echo "build-builtins.sh: unknown option $1 (expected -j N or --where)" >&2; exit 2 ;;
    esac
done

# The sources: grpcio-tools 1.85.1 bundles protobuf 35.1 (GOOGLE_PROTOBUF_VERSION 7035001).
GRPCIO_TOOLS_VERSION="1.85.1"
SDIST_SHA256="d6f1ee213a07de9462c90ee5debe4a78dff20306a0fb394a65d48b2f94fe31a1"
SDIST="grpcio_tools-$GRPCIO_TOOLS_VERSION.tar.gz"

SRC_CACHE="$CACHE_ROOT/src"
SRC="$SRC_CACHE/grpcio_tools-$GRPCIO_TOOLS_VERSION"

CXX=clang++-19
CC=clang-19
# -fno-exceptions: protobuf builds without them, and wasm32 exceptions need a runtime we lack.
# -DWASM_WAMR makes upb's setjmp-based error path an abort. The _WASI_EMULATED_* macros and their
# libraries give abseil mmap, signal and clock(). Thread identity through a thread_local: the
# pthread_key_* mode needs functions wasi-libc doesn't define.
COMMON_FLAGS=(--target=wasm32-wasi --sysroot=/usr -O2 -fno-exceptions -DNDEBUG
    -I"$REPO/testdata/builtins/include"
    -DWASM_WAMR -D_WASI_EMULATED_MMAN -D_WASI_EMULATED_SIGNAL -D_WASI_EMULATED_PROCESS_CLOCKS
    -DABSL_FORCE_THREAD_IDENTITY_MODE=1 -Wno-deprecated-declarations
    # __FILE__ (in abseil's and protobuf's log messages) without this machine's paths, so the
    # module is the same byte for byte wherever it is built.
    "-ffile-prefix-map=$SRC/=" "-ffile-prefix-map=$REPO/=")
CXX_FLAGS=(-std=c++17 -include "$REPO/testdata/builtins/libcxx_shim.h"
    "-DPROTOWASM_GRPC_TOOLS_VERSION=\"$GRPCIO_TOOLS_VERSION\"")
# An 8 MiB stack: the generators recurse over nested messages, and wasm-ld's default is 64 KiB.
LINK_FLAGS=(-Wl,-z,stack-size=8388608 -Wl,--strip-debug
    -lwasi-emulated-mman -lwasi-emulated-signal -lwasi-emulated-process-clocks)

# shellcheck source=testdata/plugin-build-lib.sh
. "$REPO/testdata/plugin-build-lib.sh"

# --- Toolchain -------------------------------------------------------------------------------
have_toolchain() {
    command -v "$CXX" >/dev/null && command -v "$CC" >/dev/null && command -v wasm-ld-19 >/dev/null &&
        [ -f /usr/lib/wasm32-wasi/libc.a ] && [ -f /usr/lib/wasm32-wasi/libc++.a ] &&
        [ -f /usr/lib/wasm32-wasi/libc++abi.a ] && [ -f /usr/include/wasm32-wasi/pthread.h ]
}
if ! have_toolchain; then
    bash "$REPO/testdata/install-toolchains.sh" --builtins
    have_toolchain || die "the wasm32 C++ toolchain is still missing after install-toolchains.sh --builtins"
fi
# wasi-libc before 2024 has no pthread.h, which abseil includes.
[ -f /usr/include/wasm32-wasi/pthread.h ] ||
    die "wasi-libc without pthread.h: install wasi-libc from bookworm-backports (testdata/install-toolchains.sh --builtins)"

# --- Cache key -------------------------------------------------------------------------------
toolchain_id="$($CXX --version | head -1); wasi-libc $(dpkg-query -W -f='${Version}' wasi-libc 2>/dev/null || echo unknown); libc++ $(dpkg-query -W -f='${Version}' libc++-19-dev-wasm32 2>/dev/null || echo unknown)"
hash16() { sha256sum | cut -c1-16; }
# Objects depend on the sources, the toolchain, the flags and the headers forced into every file;
# the module on those and on everything else here (main.cc, the pthread shim, this script).
# The flags name the clone's path, which changes nothing in the output (-ffile-prefix-map; the
# module was the same bytes from three clones): the keys name it as @REPO@, so that every clone
# shares one build.
flags_id="${COMMON_FLAGS[*]} ${CXX_FLAGS[*]}"
flags_id="${flags_id//"$REPO"/@REPO@}"
obj_key="$( { echo "$SDIST_SHA256"; echo "$toolchain_id"; echo "$flags_id";
              cat "$REPO/testdata/builtins/libcxx_shim.h" "$REPO"/testdata/builtins/include/*; } | hash16)"
key="$( { echo "$obj_key"; echo "${LINK_FLAGS[*]}"; cat "$REPO/testdata/build-builtins.sh";
          find "$REPO/testdata/builtins" -type f | LC_ALL=C sort | xargs cat; } | hash16)"
CACHE="$CACHE_ROOT/builtins/$key"
OBJ="$CACHE_ROOT/builtins/obj-$obj_key"
MODULE="$CACHE/protoc-gen-builtins.wasm"
if $WHERE; then
    echo "objects: $OBJ"
    echo "module:  $CACHE"
    exit 0
fi
DEST="$OUT/wasm/protoc-gen-builtins.wasm"
mkdir -p "$OUT/wasm" "$CACHE" "$OBJ"
# One build at a time per object directory: two would write the same objects.
exec 9>"$OBJ/.lock"
flock 9

start=$EPOCHREALTIME
if [ -f "$MODULE" ] && is_wasm "$MODULE"; then
    cp "$MODULE" "$DEST.tmp" && mv "$DEST.tmp" "$DEST"
    echo "builtins: cached build $key ($CACHE)"
    built "$DEST" "$start"
    exit 0
fi

# --- Sources ---------------------------------------------------------------------------------
mkdir -p "$SRC_CACHE"
if ! echo "$SDIST_SHA256  $SRC_CACHE/$SDIST" | sha256sum -c --status 2>/dev/null; then
    echo "builtins: downloading $SDIST from PyPI"
    # PyPI's simple index (PEP 691 JSON) names the sdist's URL; `pip download` would run its
    # setup.py, which fails outside a full build environment.
    python3 - "grpcio-tools" "$SDIST" "$SRC_CACHE/$SDIST.tmp.$$" <<'PY'
import json, sys, urllib.request
name, filename, dest = sys.argv[1:]
req = urllib.request.Request(f"https://pypi.org/simple/{name}/",
                             headers={"Accept": "application/vnd.pypi.simple.v1+json"})
with urllib.request.urlopen(req, timeout=60) as r:
    urls = [f["url"] for f in json.load(r)["files"] if f["filename"] == filename]
if not urls:
    sys.exit(f"PyPI's index lists no {filename}")
urllib.request.urlretrieve(urls[0], dest)
PY
    mv "$SRC_CACHE/$SDIST.tmp.$$" "$SRC_CACHE/$SDIST"
    echo "$SDIST_SHA256  $SRC_CACHE/$SDIST" | sha256sum -c --status ||
        die "$SDIST from PyPI does not have the pinned sha256 $SDIST_SHA256"
fi
# Unpacked once per sdist, outside the keyed directories: the prefix map above names it.
if [ "$(cat "$SRC/.unpacked" 2>/dev/null)" != "$SDIST_SHA256" ]; then
    rm -rf "$SRC" && mkdir -p "$SRC"
    tar xzf "$SRC_CACHE/$SDIST" -C "$SRC" --strip-components=1
    echo "$SDIST_SHA256" > "$SRC/.unpacked"
fi

# libprotoc's files from protoc_lib_deps.py, without protoc's own driver (the command line, the
# subprocess runner for plugins, main), plus grpc's Python generator and our dispatching main.
mapfile -t sources < <(python3 - "$SRC/protoc_lib_deps.py" <<'PY'
import sys
ns = {}
exec(open(sys.argv[1]).read(), ns)
skip = ("/compiler/command_line_interface.cc", "/compiler/subprocess.cc", "/compiler/main.cc")
for f in ns["CC_FILES"]:
    if not f.endswith(skip):
        print(f)
print("grpc_root/src/compiler/python_generator.cc")
print("grpc_root/src/compiler/proto_parser_helper.cc")
PY
)
mapfile -t includes < <(python3 -c 'import sys; ns={}; exec(open(sys.argv[1]).read(), ns); print("\n".join(ns["CC_INCLUDES"]))' "$SRC/protoc_lib_deps.py")
[ "${#sources[@]}" -gt 300 ] || die "protoc_lib_deps.py listed only ${#sources[@]} files"

# --- Build: a generated Makefile, so make runs the compiles in parallel and resumes ----------
# libprotoc's objects go to $OBJ, shared by every module key with the same object key; our own
# two files are named by their content, so a change to main.cc recompiles main.cc alone.
inc_flags=()
for i in "${includes[@]}" grpc_root grpc_root/include; do inc_flags+=("-I$SRC/$i"); done
mk="$CACHE/Makefile"
{
    echo "CXX := $CXX"
    echo "CC := $CC"
    echo "CFLAGS := $(printf '%q ' "${COMMON_FLAGS[@]}" "${inc_flags[@]}")"
    echo "CXXFLAGS := \$(CFLAGS) $(printf '%q ' "${CXX_FLAGS[@]}")"
    echo "LDFLAGS := $(printf '%q ' "${LINK_FLAGS[@]}")"
    objs=()
    for s in "${sources[@]}"; do
        o="$OBJ/${s%.*}.o"
        objs+=("$o")
        case "$s" in
            *.c) echo "$o: $SRC/$s"; printf '\t@mkdir -p $(dir $@) && $(CC) $(CFLAGS) -c $< -o $@.tmp && mv $@.tmp $@\n' ;;
            *) echo "$o: $SRC/$s"; printf '\t@mkdir -p $(dir $@) && $(CXX) $(CXXFLAGS) -c $< -o $@.tmp && mv $@.tmp $@\n' ;;
        esac
    done
    main="$REPO/testdata/builtins/main.cc"
    shim="$REPO/testdata/builtins/pthread_shim.c"
    main_o="$OBJ/protowasm/main-$(hash16 < "$main").o"
    shim_o="$OBJ/protowasm/pthread_shim-$(hash16 < "$shim").o"
    echo "$main_o:"
    printf '\t@mkdir -p $(dir $@) && $(CXX) $(CXXFLAGS) -c %q -o $@.tmp && mv $@.tmp $@\n' "$main"
    echo "$shim_o:"
    printf '\t@mkdir -p $(dir $@) && $(CC) $(CFLAGS) -c %q -o $@.tmp && mv $@.tmp $@\n' "$shim"
    objs+=("$main_o" "$shim_o")
    echo "protoc-gen-builtins.wasm: ${objs[*]}"
    # Linked under its own name (in link/), which the module's name section records.
    printf '\t@echo linking $@ && mkdir -p link && $(CXX) $(CFLAGS) $^ $(LDFLAGS) -o link/$@ && mv link/$@ $@\n'
} > "$mk"
echo "builtins: compiling ${#sources[@]} files with $JOBS jobs into $OBJ"
make -C "$CACHE" -f "$mk" -j "$JOBS" protoc-gen-builtins.wasm
is_wasm "$MODULE" || die "the link did not produce a wasm module: $MODULE"

cp "$MODULE" "$DEST.tmp" && mv "$DEST.tmp" "$DEST"
built "$DEST" "$start"
