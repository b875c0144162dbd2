#!/usr/bin/env bash
# Build the Verilator simulator (cosim-sim) for an RTL top + the DPI shim + harness,
# or (--lib) the model library libcosim-model.so that the N-API addon loads.
#
# usage: scripts/build-rtl.sh [--top NAME] [--filelist FILE] [--define X[=V]]... [--vflag FLAG]...
#                             [--lib] [--out DIR] [--jobs N] [--force]
#
#   --top NAME       top module (inputs clk, rst_n only, instantiates cosim_bridge);
#                    default cosim_top
#   --filelist FILE  one path per line, relative to the file list's own folder
#                    (absolute paths work too), '#' starts a comment; +incdir+DIR and
#                    +define+X lines are passed through; .svh/.vh/.h entries only add
#                    their directory to the include path. Default hdl/example/rtl.f.
#                    The bridge endpoint (hdl/bridge/bridge.f) is always compiled
#                    first; a file list need not name it.
#   --define X[=V]   a preprocessor define (repeatable)
#   --incdir DIR     an include directory (repeatable)
#   --vflag FLAG     an extra Verilator option, e.g. --vflag -Wno-UNUSED (repeatable)
#   --lib            build libcosim-model.so instead of cosim-sim: the model, the
#                    Verilator runtime objects and the shim's queue layer, all -fPIC,
#                    exporting only the cosim_model_* C ABI (dpi/include/cosim_model.h).
#                    No ZeroMQ. Loaded by the TypeScript testbench and the in-process
#                    HDL peer (bridge/src/testbench/). <out>/current-lib-<top> links to it.
#   --out DIR        build root; default build/rtl
#   --jobs N         make jobs (default 2, the machine's limit)
#   --force          rebuild even if cached
#
# The build lands in <out>/<hash>/cosim-sim (or libcosim-model.so), where <hash> covers the verilator
# version, this script, every file in the file list (and the headers in its
# include directories), the defines and flags, dpi/{shim,harness,include} (+ dpi/model
# with --lib), the mode and the top name. A hit skips the build. The absolute
# path of the binary is the last line on stdout; <out>/current-<top> is a
# symlink to it. Everything else goes to stderr.
set -euo pipefail

say() { echo "[build-rtl] $*" >&2; }
die() { echo "[build-rtl] error: $*" >&2; exit 1; }

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SELF="$ROOT/scripts/build-rtl.sh"

TOP=cosim_top
FILELIST="$ROOT/hdl/example/rtl.f"
EXTRA_DEFINES=()
EXTRA_INCDIRS=()
VFLAGS=()
OUT="$ROOT/build/rtl"
JOBS=2
FORCE=0
LIB=0

while [ $# -gt 0 ]; do
    case "$1" in
        --top) TOP="${2:?--top needs a value}"; shift 2 ;;
        --top=*) TOP="${1#*=}"; shift ;;
        --filelist) FILELIST="${2:?--filelist needs a value}"; shift 2 ;;
        --filelist=*) FILELIST="${1#*=}"; shift ;;
        --incdir) EXTRA_INCDIRS+=("${2:?--incdir needs a value}"); shift 2 ;;
        --incdir=*) EXTRA_INCDIRS+=("${1#*=}"); shift ;;
        --define) EXTRA_DEFINES+=("+define+${2:?--define needs a value}"); shift 2 ;;
        --define=*) EXTRA_DEFINES+=("+define+${1#*=}"); shift ;;
        --vflag) VFLAGS+=("${2:?--vflag needs a value}"); shift 2 ;;
        --vflag=*) VFLAGS+=("${1#*=}"); shift ;;
        --out) OUT="${2:?--out needs a value}"; shift 2 ;;
        --out=*) OUT="${1#*=}"; shift ;;
        --jobs|-j) JOBS="${2:?--jobs needs a value}"; shift 2 ;;
        --force) FORCE=1; shift ;;
        --lib) LIB=1; shift ;;
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
if [ "$LIB" = 0 ]; then # the model library has no ZeroMQ transport
    command -v pkg-config >/dev/null 2>&1 || die "pkg-config not found; run scripts/setup.sh"
    pkg-config --exists libzmq 2>/dev/null || die "libzmq development files not found (pkg-config libzmq); run scripts/setup.sh"
fi
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
add_source() {
    local f="$1" x
    for x in "${SOURCES[@]+"${SOURCES[@]}"}"; do [ "$x" = "$f" ] && return 0; done
    SOURCES+=("$f")
}
# normpath PATH: PATH made absolute, "." and ".." folded as `cd` folds them,
# in REPLY. No subshell: a file list of 100 lines must not cost 300 forks.
normpath() {
    local p="$1" part parts out=()
    case "$p" in /*) ;; *) p="$PWD/$p" ;; esac
    IFS=/ read -ra parts <<< "$p"
    for part in "${parts[@]}"; do
        case "$part" in
            ''|.) ;;
            ..) [ ${#out[@]} -eq 0 ] || unset 'out[${#out[@]}-1]' ;;
            *) out+=("$part") ;;
        esac
    done
    local IFS=/
    REPLY="/${out[*]}"
}
# read_filelist FILE: relative paths are relative to FILE's folder.
read_filelist() {
    local list="$1" base lineno=0 line d f
    base="${list%/*}"; [ "$base" != "$list" ] || base=.
    while IFS= read -r line || [ -n "$line" ]; do
        lineno=$((lineno + 1))
        line="${line%%#*}"
        line="${line#"${line%%[![:space:]]*}"}"
        line="${line%"${line##*[![:space:]]}"}"
        [ -n "$line" ] || continue
        case "$line" in
            +incdir+*)
                d="${line#+incdir+}"; case "$d" in /*) ;; *) d="$base/$d" ;; esac
                [ -d "$d" ] || die "$list:$lineno: include directory $d not found"
                normpath "$d"; add_incdir "$REPLY" ;;
            +define+*) DEFINES+=("$line") ;;
            -*) die "$list:$lineno: '$line': options do not belong in a file list (use --vflag, or rtl.verilatorFlags in cosim.json)" ;;
            *)
                f="$line"; case "$f" in /*) ;; *) f="$base/$f" ;; esac
                [ -f "$f" ] || die "$list:$lineno: $line not found (looked for $f)"
                normpath "$f"; f="$REPLY"
                case "$f" in
                    *.svh|*.vh|*.h) add_incdir "${f%/*}" ;;
                    *) add_source "$f"; add_incdir "${f%/*}" ;;
                esac ;;
        esac
    done < "$list"
}
BRIDGE_LIST="$ROOT/hdl/bridge/bridge.f"
[ -f "$BRIDGE_LIST" ] || die "$BRIDGE_LIST missing"
read_filelist "$BRIDGE_LIST"
NBRIDGE=${#SOURCES[@]}
read_filelist "$FILELIST"
DEFINES+=(${EXTRA_DEFINES[@]+"${EXTRA_DEFINES[@]}"})
for d in ${EXTRA_INCDIRS[@]+"${EXTRA_INCDIRS[@]}"}; do
    [ -d "$d" ] || die "--incdir $d: not a directory"
    add_incdir "$(cd "$d" && pwd)"
done
[ ${#SOURCES[@]} -gt "$NBRIDGE" ] || die "$FILELIST lists no source files"

SHIM="$ROOT/dpi/shim/cosim_shim.c"
QUEUE="$ROOT/dpi/shim/cosim_queue.c"
HARNESS="$ROOT/dpi/harness/main.cpp"
MODEL_API="$ROOT/dpi/model/model_api.cpp"
MODEL_FORK="$ROOT/dpi/model/model_fork.cpp"
[ -f "$SHIM" ] || die "$SHIM missing"
[ -f "$QUEUE" ] || die "$QUEUE missing"
[ -f "$HARNESS" ] || die "$HARNESS missing"
[ "$LIB" = 0 ] || [ -f "$MODEL_API" ] || die "$MODEL_API missing"
DPI_DIRS=("$ROOT/dpi/shim" "$ROOT/dpi/harness" "$ROOT/dpi/include")
if [ "$LIB" = 1 ]; then
    DPI_DIRS+=("$ROOT/dpi/model")
    PRODUCT=libcosim-model.so
    LINKNAME="current-lib-$TOP"
else
    PRODUCT=cosim-sim
    LINKNAME="current-$TOP"
fi

ZMQ_CFLAGS=""
ZMQ_LIBS=""
if [ "$LIB" = 0 ]; then
    ZMQ_CFLAGS="$(pkg-config --cflags libzmq)"
    ZMQ_LIBS="$(pkg-config --libs libzmq)"
fi

# ---- cache key ----
HASH="$(
    {
        echo "verilator: $VERSION"
        echo "top: $TOP"
        [ "$LIB" = 1 ] && echo "mode: lib"
        echo "zmq: $ZMQ_CFLAGS $ZMQ_LIBS"
        echo "cc: $(${CC:-cc} --version 2>&1 | head -1) cxx: $(${CXX:-g++} --version 2>&1 | head -1)"
        echo "defines: ${DEFINES[*]+"${DEFINES[*]}"}"
        echo "vflags: ${VFLAGS[*]+"${VFLAGS[*]}"}"
        # One sha256sum for every file: a process per file made a cache hit
        # cost a second.
        HDRS=()
        for d in "${INCDIRS[@]}"; do
            echo "incdir: $d"
            while IFS= read -r h; do HDRS+=("$h"); done < <(find "$d" -maxdepth 1 -type f \( -name '*.svh' -o -name '*.vh' -o -name '*.h' \) -print 2>/dev/null | LC_ALL=C sort)
        done
        sha256sum -- "$SELF" "${SOURCES[@]}" ${HDRS[@]+"${HDRS[@]}"}
        cd "$ROOT" && find "${DPI_DIRS[@]#"$ROOT"/}" -type f -print0 2>/dev/null | LC_ALL=C sort -z | xargs -0 sha256sum --
    } | sha256sum | cut -c1-16
)"

DEST="$OUT/$HASH"
BIN="$DEST/$PRODUCT"
mkdir -p "$OUT"

link_current() {
    ln -sfn "$HASH/$PRODUCT" "$OUT/.$LINKNAME.$$"
    mv -Tf "$OUT/.$LINKNAME.$$" "$OUT/$LINKNAME"
}

if [ "$FORCE" = 0 ] && [ -f "$BIN" ]; then
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
# compile a .c with the C++ compiler) and link the objects ahead of libzmq
# (-LDFLAGS lands in LDLIBS, after the model objects).
# -CFLAGS reaches the harness; OPT_* set the optimization level (5.006 cannot
# override it through -CFLAGS).
OPT_MAKE=(OPT_FAST=-O2 OPT_GLOBAL=-O2 OPT_SLOW=-O1)
build_sim() {
    "$CC" -std=c11 -O2 -g -Wall -Wextra -I"$ROOT/dpi/include" -c "$QUEUE" -o "$TMP/cosim_queue.o" || return $?
    "$CC" -std=c11 -O2 -g -Wall -Wextra -I"$ROOT/dpi/include" $ZMQ_CFLAGS -c "$SHIM" -o "$TMP/cosim_shim.o" || return $?
    verilator --cc --exe \
        --trace-fst --assert -Wno-fatal \
        --prefix Vsim --top-module "$TOP" \
        --Mdir "$TMP/obj" -o "$TMP/cosim-sim" \
        "${INCARGS[@]}" ${DEFINES[@]+"${DEFINES[@]}"} ${VFLAGS[@]+"${VFLAGS[@]}"} \
        -CFLAGS "-I$ROOT/dpi/include -I$ROOT/dpi/harness $ZMQ_CFLAGS" \
        -LDFLAGS "$TMP/cosim_shim.o $TMP/cosim_queue.o $ZMQ_LIBS" \
        "${SOURCES[@]}" "$HARNESS" || return $?
    check_top || return $?
    make -C "$TMP/obj" -f Vsim.mk -j "$JOBS" "${OPT_MAKE[@]}"
}
# The harness drives clk and rst_n and nothing else, and talks to the design
# only through the bridge's DPI calls: say so plainly instead of a C++ error
# or a simulator that never announces itself.
check_top() {
    local ports extra
    ports=$(grep -oE 'VL_(IN|OUT|INOUT)[A-Z0-9]*\(&[A-Za-z0-9_]+' "$TMP/obj/Vsim.h" | sed 's/.*(&//' | sort -u | tr '\n' ' ' | sed 's/ $//')
    extra=$(echo "$ports" | tr ' ' '\n' | grep -vxE 'clk|rst_n|' | tr '\n' ' ' || true)
    if [ -n "$extra" ] || ! echo " $ports " | grep -q ' clk ' || ! echo " $ports " | grep -q ' rst_n '; then
        echo "TOPCHECK: top module '$TOP' has ports: ${ports:-none}; a cosim top has exactly 'input clk, input rst_n' (wire everything else inside it, to cosim_bridge)"
        return 3
    fi
    if ! grep -q 'cosim_dpi_announce' "$TMP/obj/Vsim__Dpi.h" 2>/dev/null; then
        echo "TOPCHECK: top module '$TOP' does not instantiate cosim_bridge (hdl/bridge/cosim_bridge.sv): without it the device never reaches the broker"
        return 3
    fi
}
# The library: Verilator generates the makefile (model_api.cpp as the "user"
# file, so it gets the model's defines); make builds the model archive and the
# runtime objects by name (5.006 has no libverilated.a target), all -fPIC; one
# g++ -shared links them with the queue layer. The version script hides every
# symbol but cosim_model_*, so several model libraries coexist in one process.
build_lib() {
    "$CC" -std=c11 -O2 -g -fPIC -Wall -Wextra -I"$ROOT/dpi/include" -c "$QUEUE" -o "$TMP/cosim_queue.o" || return $?
    ${CXX:-g++} -std=c++17 -O2 -g -fPIC -Wall -Wextra -c "$MODEL_FORK" -o "$TMP/model_fork.o" || return $?
    printf 'const char *cosim_lib_top_name(void) { return "%s"; }\n' "$TOP" > "$TMP/top_name.c"
    "$CC" -std=c11 -O2 -fPIC -c "$TMP/top_name.c" -o "$TMP/top_name.o" || return $?
    verilator --cc --exe \
        --trace-fst --assert -Wno-fatal \
        --prefix Vsim --top-module "$TOP" \
        --Mdir "$TMP/obj" \
        "${INCARGS[@]}" ${DEFINES[@]+"${DEFINES[@]}"} ${VFLAGS[@]+"${VFLAGS[@]}"} \
        -CFLAGS "-fPIC -I$ROOT/dpi/include -I$ROOT/dpi/harness -I$ROOT/dpi/model" \
        "${SOURCES[@]}" "$MODEL_API" || return $?
    check_top || return $?
    make -C "$TMP/obj" -f Vsim.mk -j "$JOBS" "${OPT_MAKE[@]}" \
        Vsim__ALL.a model_api.o verilated.o verilated_dpi.o verilated_fst_c.o verilated_threads.o || return $?
    printf '{\n  global: cosim_model_*;\n  local: *;\n};\n' > "$TMP/exports.map"
    ${CXX:-g++} -shared -o "$TMP/libcosim-model.so" \
        "$TMP/obj/model_api.o" "$TMP/model_fork.o" "$TMP/cosim_queue.o" "$TMP/top_name.o" \
        -Wl,--whole-archive "$TMP/obj/Vsim__ALL.a" -Wl,--no-whole-archive \
        "$TMP/obj/verilated.o" "$TMP/obj/verilated_dpi.o" "$TMP/obj/verilated_fst_c.o" "$TMP/obj/verilated_threads.o" \
        -Wl,--version-script="$TMP/exports.map" -Wl,-Bsymbolic -Wl,--no-undefined -lz -pthread
}
set +e
(
    cd "$TMP"
    if [ "$LIB" = 1 ]; then build_lib; else build_sim; fi
) > "$TMP/build.log" 2>&1
rc=$?
set -e
if [ $rc -ne 0 ] || [ ! -f "$TMP/$PRODUCT" ]; then
    if grep -q '^TOPCHECK: ' "$TMP/build.log"; then
        sed -n 's/^TOPCHECK: /[build-rtl] error: /p' "$TMP/build.log" >&2
        exit 1
    fi
    echo "[build-rtl] error: verilator build failed (exit $rc); last lines of the log:" >&2
    grep -E '%Error|error:|Error ' "$TMP/build.log" | head -40 >&2 || true
    echo "--- tail ---" >&2
    tail -n 30 "$TMP/build.log" >&2
    exit 1
fi
grep -E '^%Warning' "$TMP/build.log" | head -20 >&2 || true
say "built in $(( $(date +%s) - START )) s"

# Publish atomically: a directory holding the product is only ever a finished build.
if [ -d "$DEST" ]; then
    if [ -f "$BIN" ]; then
        say "another build finished first; keeping it"
        rm -rf "$TMP"
    else
        rm -rf "$DEST"
        mv -T "$TMP" "$DEST"
    fi
else
    mv -T "$TMP" "$DEST" 2>/dev/null || { [ -f "$BIN" ] || die "could not publish $DEST"; rm -rf "$TMP"; }
fi
TMP=""
link_current
echo "$BIN"
