#!/usr/bin/env bash
# Check that the cosim-pcie patch applies cleanly (no fuzz, no offset
# surprises, no rejects) to a pristine QEMU tree (v10.0.2 or v10.2.2), with
# `patch -p1` and with `git am`.
#
# usage: scripts/check-qemu-patch.sh [--qemu VERSION] [--tree DIR] [--patch FILE] [--fetch]
#
#   --qemu VER    the QEMU version (default 10.0.2, or the --tree's VERSION);
#                 the patch is made with `make-qemu-patch.sh --qemu VER`
#   --tree DIR    pristine QEMU tree (default build/qemu/src/qemu-VER, which
#                 scripts/build-qemu.sh --qemu VER extracts)
#   --patch FILE  check this patch instead of a fresh scripts/make-qemu-patch.sh
#   --fetch       if the pristine tree is missing, fetch it
#                 (scripts/build-qemu.sh --qemu VER --fetch-only); otherwise
#                 exit 77 (skip)
#
# Exit 0 when it applies; 1 with the rejects on stderr when it does not; 77 when
# the pristine tree is not there (a test runner can report a skip).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
say() { echo "[check-qemu-patch] $*" >&2; }
die() { echo "[check-qemu-patch] error: $*" >&2; exit 1; }

TREE=""
QEMU_VERSION=""
PATCH=""
FETCH=0
while [ $# -gt 0 ]; do
    case "$1" in
        --qemu) QEMU_VERSION="${2:?--qemu needs a version}"; shift 2 ;;
        --qemu=*) QEMU_VERSION="${1#*=}"; shift ;;
        --tree) TREE="${2:?--tree needs a dir}"; shift 2 ;;
        --patch) PATCH="${2:?--patch needs a file}"; shift 2 ;;
        --fetch) FETCH=1; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 0 ;;
        *) die "unknown argument '$1'" ;;
    esac
done

if [ -z "$QEMU_VERSION" ]; then
    if [ -n "$TREE" ] && [ -f "$TREE/VERSION" ]; then QEMU_VERSION="$(cat "$TREE/VERSION")"; else QEMU_VERSION=10.0.2; fi
fi
[ -n "$TREE" ] || TREE="$ROOT/build/qemu/src/qemu-$QEMU_VERSION"

if [ ! -f "$TREE/VERSION" ]; then
    if [ "$FETCH" = 1 ]; then
        TREE="$(bash "$ROOT/scripts/build-qemu.sh" --qemu "$QEMU_VERSION" --fetch-only | tail -n1)"
    else
        say "pristine QEMU tree $TREE not found (run scripts/build-qemu.sh --qemu $QEMU_VERSION --fetch-only, or pass --fetch)"
        exit 77
    fi
fi
[ "$(cat "$TREE/VERSION")" = "$QEMU_VERSION" ] || die "$TREE is QEMU $(cat "$TREE/VERSION"), not $QEMU_VERSION"
command -v patch >/dev/null 2>&1 || die "patch(1) is needed"
command -v git >/dev/null 2>&1 || die "git is needed"

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
if [ -z "$PATCH" ]; then
    PATCH="$TMP/cosim-pcie.patch"
    bash "$ROOT/scripts/make-qemu-patch.sh" --qemu "$QEMU_VERSION" -o "$PATCH"
fi
[ -s "$PATCH" ] || die "patch $PATCH is empty"

# Copy only the files the patch touches (fast: no 400 MB copy), then apply for
# real so that rejects land as .rej files we can show.
mkdir -p "$TMP/a"
grep -E '^--- a/' "$PATCH" | sed 's#^--- a/##; s#\t.*##' | LC_ALL=C sort -u > "$TMP/touched"
while IFS= read -r f; do
    [ -f "$TREE/$f" ] || { say "the patch modifies $f, which the tree at $TREE does not have"; exit 1; }
    mkdir -p "$TMP/a/$(dirname "$f")"
    cp "$TREE/$f" "$TMP/a/$f"
done < "$TMP/touched"
# New files must not exist yet.
grep -E '^\+\+\+ b/' "$PATCH" | sed 's#^+++ b/##; s#\t.*##' | while IFS= read -r f; do
    if ! grep -qxF "$f" "$TMP/touched" && [ -e "$TREE/$f" ]; then
        echo "$f"
    fi
done > "$TMP/clash"
if [ -s "$TMP/clash" ]; then
    say "the patch creates files the tree already has: $(tr '\n' ' ' < "$TMP/clash")"
    exit 1
fi

fail=0
cp -a "$TMP/a" "$TMP/p"
if ! (cd "$TMP/p" && patch -p1 -F0 --no-backup-if-mismatch < "$PATCH") > "$TMP/patch.log" 2>&1 \
    || grep -qiE 'fuzz|offset|reject|malformed' "$TMP/patch.log"; then
    say "patch -p1 does not apply cleanly to $TREE:"
    cat "$TMP/patch.log" >&2
    find "$TMP/p" -name '*.rej' -print | while IFS= read -r r; do
        echo "--- reject ${r#"$TMP/p/"} ---" >&2
        cat "$r" >&2
    done
    fail=1
fi

cp -a "$TMP/a" "$TMP/g"
if ! (cd "$TMP/g" && git init -q . && git add -A && \
      git -c user.name=check -c user.email=check@invalid commit -q -m pristine && \
      git -c user.name=check -c user.email=check@invalid am -q --whitespace=error-all < "$PATCH") \
      > "$TMP/am.log" 2>&1; then
    say "git am does not apply the patch:"
    cat "$TMP/am.log" >&2
    fail=1
fi

if [ "$fail" = 0 ]; then
    # Both ways must give identical trees.
    rm -rf "$TMP/g/.git"
    if ! diff -r "$TMP/p" "$TMP/g" > "$TMP/diff.log" 2>&1; then
        say "patch -p1 and git am give different trees:"
        cat "$TMP/diff.log" >&2
        fail=1
    fi
fi
[ "$fail" = 0 ] || exit 1
say "ok: $(grep -c '^diff --git' "$PATCH") file(s); applies to $(cat "$TREE/VERSION") with patch -p1 (no fuzz) and git am"
