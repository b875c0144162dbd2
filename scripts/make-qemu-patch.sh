#!/usr/bin/env bash
# Emit the cosim-pcie QEMU patch: ONE mail-format patch that applies with
# `git am` and with `patch -p1` (no fuzz) to QEMU v10.0.2 and to v10.2.2.
#
# usage: scripts/make-qemu-patch.sh [--qemu VERSION] [-o FILE]   (default: stdout)
#
#   --qemu VER    the QEMU version the patch is meant for (default 10.0.2); it
#                 is named in the commit message ("Based-on: QEMU vVER"), the
#                 diff itself is the same for every supported version
#
# The patch is made of
#   - every file under qemu-patch/ that mirrors the QEMU tree (today
#     hw/misc/cosim_pcie.c), as a new file;
#   - include/hw/misc/cosim_{wire,curve,defaults}.h, verbatim copies of dpi/include/
#     (one source each; never edit a copy);
#   - the hunks in qemu-patch/*.diff (Kconfig + meson + trace-events
#     integration), written against pristine v10.0.2 with context lines that
#     are the same in v10.2.2 (checked by scripts/check-qemu-patch.sh --qemu);
#   - the hunks in qemu-patch/<VERSION>/*.diff for that version alone: fixes
#     to QEMU itself that a later version has made its own way (10.0.2:
#     tcg-dispatch-lifetime.diff, a use-after-free of a vCPU's cached memory
#     dispatch under multi-threaded TCG, which 10.2.2 no longer caches).
# The output is deterministic (fixed date), so its bytes can key a build cache.
# scripts/check-qemu-patch.sh checks that it applies to the pristine tree.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
die() { echo "[make-qemu-patch] error: $*" >&2; exit 1; }

OUTFILE=""
QEMU_VERSION=10.0.2
while [ $# -gt 0 ]; do
    case "$1" in
        --qemu) QEMU_VERSION="${2:?--qemu needs a version}"; shift 2 ;;
        --qemu=*) QEMU_VERSION="${1#*=}"; shift ;;
        -o|--output) OUTFILE="${2:?-o needs a file}"; shift 2 ;;
        --output=*) OUTFILE="${1#*=}"; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 0 ;;
        *) die "unknown argument '$1'" ;;
    esac
done
case "$QEMU_VERSION" in
    [0-9]*.[0-9]*.[0-9]*) ;;
    *) die "bad --qemu '$QEMU_VERSION' (want e.g. 10.0.2)" ;;
esac
command -v git >/dev/null 2>&1 || die "git is needed (apt-get install git)"

PATCHDIR="$ROOT/qemu-patch"
SHARED_HEADERS="cosim_wire.h cosim_curve.h cosim_defaults.h"
[ -d "$PATCHDIR" ] || die "$PATCHDIR missing"
for h in $SHARED_HEADERS; do [ -f "$ROOT/dpi/include/$h" ] || die "$ROOT/dpi/include/$h missing"; done

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/tree/include/hw/misc"

# Lay the new files out as they sit in the QEMU tree.
( cd "$PATCHDIR" && find . -type f ! -name '*.diff' ! -name 'README*' ! -name '.*' -print ) \
    | LC_ALL=C sort > "$TMP/files"
while IFS= read -r f; do
    f="${f#./}"
    mkdir -p "$TMP/tree/$(dirname "$f")"
    cp "$PATCHDIR/$f" "$TMP/tree/$f"
done < "$TMP/files"
for h in $SHARED_HEADERS; do cp "$ROOT/dpi/include/$h" "$TMP/tree/include/hw/misc/$h"; done

# Body: new files (git's format, mode 100644), then the integration hunks.
(
    cd "$TMP/tree"
    find . -type f -print | sed 's#^\./##' | LC_ALL=C sort | while IFS= read -r f; do
        # git diff --no-index exits 1 when the files differ, which they do.
        git -c core.quotepath=off diff --no-index --no-color --no-ext-diff \
            --full-index --src-prefix=a/ --dst-prefix=b/ -- /dev/null "$f" || [ $? -eq 1 ]
    done
    for d in "$PATCHDIR"/*.diff "$PATCHDIR/$QEMU_VERSION"/*.diff; do
        [ -f "$d" ] || continue
        cat "$d"
    done
) > "$TMP/body"
[ -s "$TMP/body" ] || die "empty patch"
STAT="$(git apply --stat --summary < "$TMP/body")" || die "the generated diff is malformed"

{
    echo "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001"
    echo "From: qemu-hdl-bridge <cosim-pcie@qemu-hdl-bridge.invalid>"
    echo "Date: Wed, 1 Jan 2025 00:00:00 +0000"
    echo "Subject: [PATCH] hw/misc: add cosim-pcie, a PCIe device backed by RTL"
    echo " over ZeroMQ"
    echo
    echo "cosim-pcie is the QEMU half of qemu-hdl-bridge: a PCIe endpoint whose"
    echo "identity, BARs and MSI-X layout come from RTL running in a simulator,"
    echo "reached through the bridge's broker over a ZeroMQ DEALER socket."
    echo
    echo "  -device cosim-pcie,endpoint=ipc:///tmp/q.sock[,name=dev0]"
    echo "          [,timeout-ms=5000][,netdev=NET][,chardev=CHR]"
    echo "          [,curve-server-key=BROKER.key,curve-key=NAME.key_secret]"
    echo
    echo "The handshake runs in realize (never in class_init), so a QEMU without"
    echo "the device waits for nothing. MMIO writes are posted; MMIO reads wait"
    echo "for their completion while servicing DMA, MSI-X, NIC and serial"
    echo "messages inline, with a timeout that returns all-ones. The headers"
    echo "include/hw/misc/cosim_{wire,curve,defaults}.h are the project's"
    echo "dpi/include/ headers of those names."
    echo
    echo "Needs libzmq (pkg-config libzmq) to build the device; without it the"
    echo "tree configures and builds without cosim-pcie."
    echo
    echo "Based-on: QEMU v$QEMU_VERSION"
    echo "---"
    echo "$STAT"
    echo
    cat "$TMP/body"
    echo "-- "
    echo "2.39.5"
    echo
} > "$TMP/patch"

if [ -n "$OUTFILE" ]; then
    cp "$TMP/patch" "$OUTFILE.tmp.$$"
    mv -f "$OUTFILE.tmp.$$" "$OUTFILE"
else
    cat "$TMP/patch"
fi
