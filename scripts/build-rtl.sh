#!/usr/bin/env bash
# Build the Verilator simulator (cosim-sim) for an RTL top + the DPI shim + harness.
#
# usage: scripts/build-rtl.sh [--top NAME] [--filelist FILE] [--out DIR] [--jobs N] [--force]
#
#   --top NAME       top module (inputs clk, rst_n only); default cosim_top
#   --filelist FILE  one path per line, relative to the repo root (absolute paths
#                    work too), '#' starts a comment; +incdir+DIR and +define+X lines
#                    are passed through; .svh/.vh/.h entries only add their directory
#                    to the include path. Default hdl/rtl.f
#   --out DIR        build root; default build/rtl
#   --jobs N         make jobs (default 2, the machine's limit)
#   --force          rebuild even if cached
#
# The build lands in <out>/<hash>/cosim-sim, where <hash> covers the verilator
# version, this script, every file in the file list (and the headers in its
# include directories), dpi/{shim,harness,include} and the top name. A hit skips
# the build. The absolute path of the binary is the last line on stdout;
# <out>/current-<top> is a symlink to it. Everything else goes to stderr.
set -euo pipefail

say() { echo "[build-rtl] $*" >&2; }
die() { echo "[build-rtl] error: $*" >&2; exit 1; }

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SELF="$ROOT/scripts/build-rtl.sh"

TOP=cosim_top
FILELIST="$ROOT/hdl/rtl.f"
OUT="$ROOT/build/rtl"
JOBS=2
FORCE=0

while [ $# -gt 0 ]; do
    case "$1" in
        --top) TOP="${2:?--top needs a value}"; shift 2 ;;
        --top=*) TOP="${1#*=}"; shift ;;
        --filelist) FILELIST="${2:?--filelist needs a value}"; shift 2 ;;
        --filelist=*) FILELIST="${1#*=}"; shift ;;
        --out) OUT="${2:?--out needs a value}"; shift 2 ;;
        --out=*) OUT="${1#*=}"; shift ;;
        --jobs|-j) JOBS="${2:?--jobs needs a value}"; shift 2 ;;
        --force) FORCE=1; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$SELF" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
done

case "$TOP" in
    ''|*[!A-Za-z0-9_]*) die "bad top module name '$TOP'" ;;
esac
case "$JOBS" in ''|*[!0-9]*|0) die "bad --jobs '$JOBS'" ;; esac
[ "$JOBS" -le 2 ] || { say "capping --jobs $JOBS at 2 (2-core machine)"; JOBS=2; }

abspath() { case "$1" in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
FILELIST="$(abspath "$FILELIST")"
OUT="$(abspath "$OUT")"

command -v verilator >/dev/null 2>&1 || die "verilator not found in PATH; run scripts/setup.sh"
command -v pkg-config >/dev/null 2>&1 || die "pkg-config not found; run scripts/setup.sh"
pkg-config --exists libzmq 2>/dev/null || die "libzmq development files not found (pkg-config libzmq); run scripts/setup.sh"
command -v sha256sum >/dev/null 2>&1 || die "sha256sum not found (coreutils)"
[ -f "$FILELIST" ] || die "file list $FILELIST not found (pass --filelist FILE)"

VERSION="$(verilator --version 2>&1)" || die "verilator --version failed; run scripts/setup.sh"

# ---- read the file list ----
SOURCES=()
INCDIRS=()
DEFINES=()
add_incdir() {
    local d="$1" x
    for x in "${INCDIRS[@]+"${INCDIRS[@]}"}"; do [ "$x" = "$d" ] && return 0; done
    INCDIRS+=("$d")
}
resolve() { case "$1" in /*) echo "$1" ;; *) echo "$ROOT/$1" ;; esac; }
lineno=0
while IFS= read -r line || [ -n "$line" ]; do
    lineno=$((lineno + 1))
    line="${line%%#*}"
    line="${line#"${line%%[![:space:]]*}"}"
    line="${line%"${line##*[![:space:]]}"}"
    [ -n "$line" ] || continue
    case "$line" in
        +incdir+*)
            d="$(resolve "${line#+incdir+}")"
            [ -d "$d" ] || die "$FILELIST:$lineno: include directory $d not found"
            add_incdir "$d" ;;
        +define+*) DEFINES+=("$line") ;;
        *)
            f="$(resolve "$line")"
            [ -f "$f" ] || die "$FILELIST:$lineno: $line not found (looked for $f)"
            case "$f" in
                *.svh|*.vh|*.h) add_incdir "$(dirname "$f")" ;;
                *) SOURCES+=("$f"); add_incdir "$(dirname "$f")" ;;
            esac ;;
    esac
done < "$FILELIST"
[ ${#SOURCES[@]} -gt 0 ] || die "$FILELIST lists no source files"
# The DPI import package lives here; every design that uses the bridge needs it.
[ -d "$ROOT/hdl/bridge" ] && add_incdir "$ROOT/hdl/bridge"

SHIM="$ROOT/dpi/shim/cosim_shim.c"
HARNESS="$ROOT/dpi/harness/main.cpp"
[ -f "$SHIM" ] || die "$SHIM missing"
[ -f "$HARNESS" ] || die "$HARNESS missing"

ZMQ_CFLAGS="$(pkg-config --cflags libzmq)"
ZMQ_LIBS="$(pkg-config --libs libzmq)"

# ---- cache key ----
HASH="$(
    {
        echo "verilator: $VERSION"
        echo "top: $TOP"
        echo "zmq: $ZMQ_CFLAGS $ZMQ_LIBS"
        echo "cc: $(${CC:-cc} --version 2>&1 | head -1) cxx: $(${CXX:-g++} --version 2>&1 | head -1)"
        echo "defines: ${DEFINES[*]+"${DEFINES[*]}"}"
        echo "script:"; sha256sum < "$SELF"
        for f in "${SOURCES[@]}"; do echo "src: $f"; sha256sum < "$f"; done
        for d in "${INCDIRS[@]}"; do
            echo "incdir: $d"
            find "$d" -maxdepth 1 -type f \( -name '*.svh' -o -name '*.vh' -o -name '*.h' \) -print 2>/dev/null \
                | LC_ALL=C sort | while IFS= read -r h; do echo "hdr: $h"; sha256sum < "$h"; done
        done
        find "$ROOT/dpi/shim" "$ROOT/dpi/harness" "$ROOT/dpi/include" -type f -print 2>/dev/null \
            | LC_ALL=C sort | while IFS= read -r f; do echo "dpi: ${f#"$ROOT"/}"; sha256sum < "$f"; done
    } | sha256sum | cut -c1-16
)"

DEST="$OUT/$HASH"
BIN="$DEST/cosim-sim"
mkdir -p "$OUT"

link_current() {
    ln -sfn "$HASH/cosim-sim" "$OUT/.current-$TOP.$$"
    mv -Tf "$OUT/.current-$TOP.$$" "$OUT/current-$TOP"
}

if [ "$FORCE" = 0 ] && [ -x "$BIN" ]; then
    say "cached $HASH"
    link_current
    echo "$BIN"
    exit 0
fi

TMP="$(mktemp -d "$OUT/.tmp-$HASH-XXXXXX")"
chmod 755 "$TMP"
cleanup() { if [ -n "${TMP:-}" ]; then rm -rf "$TMP"; fi; }
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT TERM

INCARGS=()
for d in "${INCDIRS[@]}"; do INCARGS+=("-I$d"); done

say "building top $TOP ($HASH) from $(basename "$FILELIST"): ${#SOURCES[@]} source file(s), -j $JOBS"
START=$(date +%s)
CC="${CC:-cc}"
command -v "$CC" >/dev/null 2>&1 || die "C compiler '$CC' not found; run scripts/setup.sh"
# The shim is C11: compile it with the C compiler (Verilator's makefile would
# compile a .c with the C++ compiler) and link the object ahead of libzmq
# (-LDFLAGS lands in LDLIBS, after the model objects).
# -CFLAGS reaches the harness; OPT_* set the optimization level (5.006 cannot
# override it through -CFLAGS).
set +e
(
    cd "$TMP"
    "$CC" -std=c11 -O2 -g -Wall -Wextra -I"$ROOT/dpi/include" $ZMQ_CFLAGS -c "$SHIM" -o "$TMP/cosim_shim.o" || exit $?
    verilator --cc --exe --build -j "$JOBS" \
        --trace-fst --assert -Wno-fatal \
        --prefix Vsim --top-module "$TOP" \
        --Mdir "$TMP/obj" -o "$TMP/cosim-sim" \
        "${INCARGS[@]}" ${DEFINES[@]+"${DEFINES[@]}"} \
        -CFLAGS "-I$ROOT/dpi/include $ZMQ_CFLAGS" \
        -LDFLAGS "$TMP/cosim_shim.o $ZMQ_LIBS" \
        -MAKEFLAGS "OPT_FAST=-O2 OPT_GLOBAL=-O2 OPT_SLOW=-O1" \
        "${SOURCES[@]}" "$HARNESS"
) > "$TMP/build.log" 2>&1
rc=$?
set -e
if [ $rc -ne 0 ] || [ ! -x "$TMP/cosim-sim" ]; then
    echo "[build-rtl] error: verilator build failed (exit $rc); last lines of the log:" >&2
    grep -E '%Error|error:|Error ' "$TMP/build.log" | head -40 >&2 || true
    echo "--- tail ---" >&2
    tail -n 30 "$TMP/build.log" >&2
    exit 1
fi
grep -E '^%Warning' "$TMP/build.log" | head -20 >&2 || true
say "built in $(( $(date +%s) - START )) s"

# Publish atomically: a directory holding cosim-sim is only ever a finished build.
if [ -d "$DEST" ]; then
    if [ -x "$BIN" ]; then
        say "another build finished first; keeping it"
        rm -rf "$TMP"
    else
        rm -rf "$DEST"
        mv -T "$TMP" "$DEST"
    fi
else
    mv -T "$TMP" "$DEST" 2>/dev/null || { [ -x "$BIN" ] || die "could not publish $DEST"; rm -rf "$TMP"; }
fi
TMP=""
link_current
echo "$BIN"
