#!/usr/bin/env bash
# Build QEMU (x86_64-softmmu) with the cosim-pcie device from qemu-patch/.
#
# usage: scripts/build-qemu.sh [--qemu VERSION] [--out DIR] [--jobs N] [--force]
#                              [--fresh] [--deps-only] [--fetch-only] [--no-apt]
#                              [--list-versions]
#
#   --qemu VER    the QEMU version: 10.0.2 (the default: `cosim run`, the system
#                 tests and build/qemu/current use it) or 10.2.2 (the newest
#                 QEMU Debian's archive serves as source, from sid; npm test
#                 runs test/qemu against it too)
#   --out DIR     build root; default build/qemu
#   --jobs N      ninja jobs (default 2, the machine's limit)
#   --force       rebuild even if the cache already holds this build
#   --fresh       throw the incremental work tree away and build from scratch
#   --deps-only   install the Debian packages (and apt sources), then stop
#   --fetch-only  install packages, fetch and extract the pristine source, then stop;
#                 prints the pristine tree's path
#   --no-apt      never run apt-get (fail if something is missing)
#   --list-versions  print the version table and exit
#
# What it does, each step skipped when already done:
#   1. apt: adds bookworm-backports (deb + deb-src) when no source provides it,
#      and for a version whose source only sid has (10.2.2) a deb-src line for
#      sid in /etc/apt/sources.list.d/cosim-sid-src.list (source only: nothing
#      is ever installed from sid), both on the mirror the machine's bookworm
#      source uses; installs the build dependencies (meson >= 1.5 and
#      python3-pycotap from backports; device-tree-compiler for 10.2.2), the
#      firmware (seabios, ipxe-qemu) and the stock qemu-system-x86 10.0.2 from
#      backports (the baseline VM; its qemu-system-data fills /usr/share/qemu
#      with the option ROMs and firmware links the patched binaries use too).
#   2. fetches the QEMU source with `apt-get source --download-only` into
#      <out>/dl/ (the orig tarball is enough; the .dsc may 404), checks its
#      sha256 and extracts it once to <out>/src/qemu-<version> (pristine, never
#      modified: scripts/check-qemu-patch.sh applies the patch to it).
#   3. emits the patch with scripts/make-qemu-patch.sh, applies it to a copy of
#      the pristine tree (<out>/work/ for 10.0.2, <out>/work-<version>/ for the
#      others, kept between runs so a device change rebuilds only
#      cosim_pcie.c), configures and builds with ninja -j N. One build at a
#      time (a lock shared by all versions).
#   4. publishes <out>/<hash>/qemu-system-x86_64 atomically (temp dir + rename),
#      where <hash> covers the QEMU version, the tarball, the patch bytes and the
#      configure flags; <out>/current-<version> is a symlink to the latest
#      build of that version, and <out>/current to the latest 10.0.2 build.
#      The 4 newest builds of each version are kept (and whatever a current*
#      link points to); older ones are deleted.
#
# The absolute path of qemu-system-x86_64 is the LAST line on stdout; everything
# else goes to stderr.
#
# Firmware: the +ds tarball has no pc-bios blobs. The binary is configured with
#   --firmwarepath=/usr/share/qemu:/usr/share/seabios:/usr/lib/ipxe/qemu
# so it finds bios-256k.bin, the option ROMs (linuxboot_dma.bin, kvmvapic.bin)
# and the iPXE ROMs from Debian's packages without any flag. `-L DIR` still
# overrides it; `cosim run` needs to pass nothing (passing
# `-L /usr/share/qemu` is harmless and equivalent).
set -euo pipefail

say() { echo "[build-qemu] $*" >&2; }
die() { echo "[build-qemu] error: $*" >&2; exit 1; }

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SELF="$ROOT/scripts/build-qemu.sh"

# The supported versions. Columns: QEMU version, Debian source package version
# (`apt-get source qemu=...`), the suite whose deb-src serves it, sha256 of
# the orig tarball qemu_<version>+ds.orig.tar.xz, extra Debian packages the
# build needs ("-": none). The first row is the default.
QEMU_VERSION_TABLE='
10.0.2  1:10.0.2+ds-2+deb13u1~bpo12+1  bookworm-backports  0901da33844a331bf8b3602b9c1fbd178e60b737c8e3ade678255bd090c9b9f1  -
10.2.2  1:10.2.2+ds-1                  sid                 be05230fe47a6937cd29f28f562932c8125f9c93c2a82c625198f7a4aa601dfb  device-tree-compiler
'
DEFAULT_QEMU_VERSION="$(echo "$QEMU_VERSION_TABLE" | awk 'NF { print $1; exit }')"
# The stock QEMU installed from backports as the baseline VM (and the source of
# /usr/share/qemu's ROMs), whichever version is built.
BASELINE_QEMU_VERSION=10.0.2
BACKPORTS_LINE_SUITE=bookworm-backports
FIRMWARE_PATH="/usr/share/qemu:/usr/share/seabios:/usr/lib/ipxe/qemu"

QEMU_VERSION="$DEFAULT_QEMU_VERSION"
OUT="$ROOT/build/qemu"
JOBS=2
FORCE=0
FRESH=0
MODE=build
NO_APT=0

while [ $# -gt 0 ]; do
    case "$1" in
        --qemu) QEMU_VERSION="${2:?--qemu needs a version}"; shift 2 ;;
        --qemu=*) QEMU_VERSION="${1#*=}"; shift ;;
        --list-versions) echo "$QEMU_VERSION_TABLE" | awk 'NF' | sed 's/  */ /g'; exit 0 ;;
        --out) OUT="${2:?--out needs a value}"; shift 2 ;;
        --out=*) OUT="${1#*=}"; shift ;;
        --jobs|-j) JOBS="${2:?--jobs needs a value}"; shift 2 ;;
        --force) FORCE=1; shift ;;
        --fresh) FRESH=1; FORCE=1; shift ;;
        --deps-only) MODE=deps; shift ;;
        --fetch-only) MODE=fetch; shift ;;
        --no-apt) NO_APT=1; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$SELF" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
done
case "$JOBS" in ''|*[!0-9]*|0) die "bad --jobs '$JOBS'" ;; esac
[ "$JOBS" -le 2 ] || { say "capping --jobs $JOBS at 2 (2-core machine)"; JOBS=2; }
case "$OUT" in /*) ;; *) OUT="$PWD/$OUT" ;; esac

# shellcheck disable=SC2034
read -r _ QEMU_DEB_VERSION QEMU_SRC_SUITE QEMU_TARBALL_SHA256 QEMU_EXTRA_PKGS <<EOF_ROW || true
$(echo "$QEMU_VERSION_TABLE" | awk -v v="$QEMU_VERSION" '$1 == v')
EOF_ROW
[ -n "${QEMU_DEB_VERSION:-}" ] || die "unknown QEMU version '$QEMU_VERSION'; supported: $(echo "$QEMU_VERSION_TABLE" | awk 'NF { printf "%s ", $1 }')"
QEMU_TARBALL="qemu_${QEMU_VERSION}+ds.orig.tar.xz"
[ "$QEMU_EXTRA_PKGS" = - ] && QEMU_EXTRA_PKGS=""

# The configure flags (part of the cache key). /usr/bin/python3 on purpose: a
# pyenv python first in PATH has neither Debian's meson nor pycotap.
CONFIGURE_FLAGS=(
    --target-list=x86_64-softmmu
    --without-default-features
    --enable-tcg
    --enable-kvm
    --enable-slirp
    --enable-fdt=system
    --disable-download
    --disable-install-blobs
    --disable-docs
    --disable-werror
    --firmwarepath="$FIRMWARE_PATH"
    --python=/usr/bin/python3
)

# ---------------------------------------------------------------- 1. apt
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 && SUDO="sudo"
fi
APT=(env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -o Acquire::Retries=3)
# apt drops privileges to _apt for downloads and gpgv; in some containers
# /dev/null is not writable by other users, which breaks that sandbox
# ("apt-key: cannot create /dev/null"). Download as root there instead.
APT_SANDBOX=()
case "$(stat -c %a /dev/null 2>/dev/null)" in
    *6) ;;
    *) APT_SANDBOX=(-o APT::Sandbox::User=root); APT+=("${APT_SANDBOX[@]}") ;;
esac
apt_run() {
    [ "$NO_APT" = 0 ] || die "--no-apt given but needed: apt-get $*"
    if [ "$(id -u)" -ne 0 ] && [ -z "$SUDO" ]; then die "need root (or sudo) for: apt-get $*"; fi
    $SUDO "${APT[@]}" "$@"
}

# Is a target of this type (Packages / Sources) configured for the suite?
apt_has_target() { # $1 = Packages|Sources, $2 = codename (default bookworm-backports)
    apt-get indextargets --format '$(CREATED_BY) $(CODENAME)' 2>/dev/null \
        | grep -qx "$1 ${2:-$BACKPORTS_LINE_SUITE}"
}

# The Debian mirror the machine's bookworm source uses (for the lines we add).
debian_mirror() {
    local m
    m="$(apt-get indextargets --format '$(CREATED_BY) $(CODENAME) $(REPO_URI)' 2>/dev/null \
        | awk '$1 == "Packages" && $2 == "bookworm" { print $3; exit }')"
    m="${m%/}"
    echo "${m:-http://deb.debian.org/debian}"
}

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
version_of() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || true; }

ensure_backports() {
    local need=()
    local mirror; mirror="$(debian_mirror)"
    apt_has_target Packages || need+=("deb $mirror $BACKPORTS_LINE_SUITE main")
    apt_has_target Sources || need+=("deb-src $mirror $BACKPORTS_LINE_SUITE main")
    if [ ${#need[@]} -gt 0 ]; then
        [ "$NO_APT" = 0 ] || die "bookworm-backports (deb/deb-src) is not configured and --no-apt was given"
        local f=/etc/apt/sources.list.d/cosim-bookworm-backports.list
        say "adding to $f: ${need[*]}"
        local tmp; tmp="$(mktemp)"
        { [ -f "$f" ] && cat "$f"; printf '%s\n' "${need[@]}"; } | sort -u > "$tmp"
        $SUDO install -m 644 "$tmp" "$f"
        rm -f "$tmp"
        APT_UPDATED=0
    fi
}

# A version whose source is not in bookworm-backports (10.2.2: sid): a deb-src
# line only, so no binary package can ever come from that suite.
ensure_src_suite() {
    [ "$QEMU_SRC_SUITE" = "$BACKPORTS_LINE_SUITE" ] && return 0
    apt_has_target Sources "$QEMU_SRC_SUITE" && return 0
    [ "$NO_APT" = 0 ] || die "no deb-src for $QEMU_SRC_SUITE configured (QEMU $QEMU_VERSION's source) and --no-apt was given"
    local f="/etc/apt/sources.list.d/cosim-$QEMU_SRC_SUITE-src.list"
    local line; line="deb-src $(debian_mirror) $QEMU_SRC_SUITE main"
    say "adding to $f: $line (source packages only)"
    local tmp; tmp="$(mktemp)"
    { [ -f "$f" ] && cat "$f"; echo "$line"; } | sort -u > "$tmp"
    $SUDO install -m 644 "$tmp" "$f"
    rm -f "$tmp"
    APT_UPDATED=0
}

APT_UPDATED=1
apt_update_once() {
    if [ "$APT_UPDATED" = 0 ]; then
        say "apt-get update"
        apt_run update -qq >&2
        APT_UPDATED=1
    fi
}

ensure_packages() {
    # main: compilers and libraries; backports: meson, pycotap, the stock QEMU.
    local main_pkgs=(build-essential pkg-config ninja-build python3 python3-venv
        python3-setuptools dpkg-dev xz-utils bzip2 patch git ca-certificates
        libglib2.0-dev libpixman-1-dev libslirp-dev libfdt-dev zlib1g-dev libzmq3-dev flex bison
        seabios ipxe-qemu)
    # shellcheck disable=SC2206
    [ -n "$QEMU_EXTRA_PKGS" ] && main_pkgs+=($QEMU_EXTRA_PKGS)
    local bpo_pkgs=(meson python3-pycotap qemu-system-x86 qemu-system-data)
    local missing_main=() missing_bpo=() p
    for p in "${main_pkgs[@]}"; do installed "$p" || missing_main+=("$p"); done
    for p in "${bpo_pkgs[@]}"; do installed "$p" || missing_bpo+=("$p"); done
    # Wrong versions count as missing: meson must be >= 1.5, the baseline QEMU 10.0.2.
    if installed meson && dpkg --compare-versions "$(version_of meson)" lt 1.5; then missing_bpo+=(meson); fi
    if installed qemu-system-x86 && ! version_of qemu-system-x86 | grep -q "^1:$BASELINE_QEMU_VERSION"; then
        missing_bpo+=(qemu-system-x86 qemu-system-data)
    fi
    if [ ${#missing_main[@]} -eq 0 ] && [ ${#missing_bpo[@]} -eq 0 ]; then
        return 0
    fi
    if [ ${#missing_bpo[@]} -gt 0 ] && ! apt-cache policy meson 2>/dev/null | grep -q "$BACKPORTS_LINE_SUITE"; then
        APT_UPDATED=0
    fi
    if [ ${#missing_main[@]} -gt 0 ] && ! apt-cache show "${missing_main[@]}" >/dev/null 2>&1; then
        APT_UPDATED=0
    fi
    apt_update_once
    if [ ${#missing_main[@]} -gt 0 ]; then
        say "installing: ${missing_main[*]}"
        apt_run install -y -qq --no-install-recommends "${missing_main[@]}" >&2
    fi
    if [ ${#missing_bpo[@]} -gt 0 ]; then
        say "installing from $BACKPORTS_LINE_SUITE: ${missing_bpo[*]}"
        apt_run install -y -qq --no-install-recommends -t "$BACKPORTS_LINE_SUITE" "${missing_bpo[@]}" >&2
    fi
}

ensure_backports
ensure_src_suite
ensure_packages
dpkg --compare-versions "$(version_of meson)" ge 1.5 || die "meson >= 1.5 required, found '$(version_of meson)'"
[ -x /usr/bin/python3 ] || die "/usr/bin/python3 missing"
/usr/bin/python3 -c 'import pycotap' 2>/dev/null || die "python3-pycotap is not importable by /usr/bin/python3"
pkg-config --exists libzmq || die "libzmq development files missing (libzmq3-dev)"
[ -f /usr/share/seabios/bios-256k.bin ] || die "seabios firmware missing (/usr/share/seabios/bios-256k.bin)"
for p in $QEMU_EXTRA_PKGS; do installed "$p" || die "$p is needed for QEMU $QEMU_VERSION"; done
[ "$MODE" = deps ] && { say "dependencies ready"; exit 0; }

# ---------------------------------------------------------------- 2. source
mkdir -p "$OUT/dl" "$OUT/src"
TARBALL="$OUT/dl/$QEMU_TARBALL"
if [ ! -f "$TARBALL" ]; then
    say "fetching the QEMU $QEMU_VERSION source (apt-get source --download-only qemu=$QEMU_DEB_VERSION)"
    apt_update_once  # a deb-src line added above is listed only after an update
    apt_has_target Sources "$QEMU_SRC_SUITE" || die "no deb-src for $QEMU_SRC_SUITE configured"
    if ! apt-cache showsrc "qemu=$QEMU_DEB_VERSION" >/dev/null 2>&1; then APT_UPDATED=0; apt_update_once; fi
    DL_TMP="$(mktemp -d "$OUT/dl/.tmp-XXXXXX")"
    chmod 755 "$DL_TMP"
    # apt-get source fails when the .dsc or debian.tar 404s; the orig tarball
    # (the only part we need) is still there.
    ( cd "$DL_TMP" && apt-get -o Acquire::Retries=3 ${APT_SANDBOX[@]+"${APT_SANDBOX[@]}"} source --download-only "qemu=$QEMU_DEB_VERSION" ) >&2 \
        || say "apt-get source reported an error (the .dsc/debian.tar may be gone); checking for the orig tarball"
    [ -f "$DL_TMP/$QEMU_TARBALL" ] || { rm -rf "$DL_TMP"; die "download of $QEMU_TARBALL failed"; }
    mv -f "$DL_TMP/$QEMU_TARBALL" "$TARBALL"
    rm -rf "$DL_TMP"
fi
SUM="$(sha256sum < "$TARBALL" | cut -d' ' -f1)"
case "$QEMU_TARBALL_SHA256" in
    @*) say "tarball sha256 $SUM (not pinned)" ;;
    *) [ "$SUM" = "$QEMU_TARBALL_SHA256" ] || die "$TARBALL: sha256 $SUM, expected $QEMU_TARBALL_SHA256 (delete it to re-fetch)" ;;
esac

PRISTINE="$OUT/src/qemu-$QEMU_VERSION"
if [ ! -f "$PRISTINE/.cosim-pristine" ]; then
    say "extracting $QEMU_TARBALL"
    rm -rf "$PRISTINE"
    X_TMP="$(mktemp -d "$OUT/src/.tmp-XXXXXX")"
    tar -C "$X_TMP" -xJf "$TARBALL"
    top="$(find "$X_TMP" -mindepth 1 -maxdepth 1 -type d | head -1)"
    [ -n "$top" ] && [ -f "$top/VERSION" ] || { rm -rf "$X_TMP"; die "unexpected tarball layout"; }
    grep -qx "$QEMU_VERSION" "$top/VERSION" || { rm -rf "$X_TMP"; die "tarball VERSION is $(cat "$top/VERSION"), expected $QEMU_VERSION"; }
    echo "$SUM" > "$top/.cosim-pristine"
    mv -T "$top" "$PRISTINE"
    rm -rf "$X_TMP"
fi
if [ "$MODE" = fetch ]; then echo "$PRISTINE"; exit 0; fi

# ---------------------------------------------------------------- 3. patch
command -v flock >/dev/null 2>&1 || die "flock (util-linux) not found"
PATCH_TMP="$(mktemp "$OUT/.patch-XXXXXX")"
trap 'rm -f "$PATCH_TMP"' EXIT
bash "$ROOT/scripts/make-qemu-patch.sh" --qemu "$QEMU_VERSION" -o "$PATCH_TMP"

HASH="$(
    {
        echo "qemu: $QEMU_VERSION ($QEMU_DEB_VERSION) tarball $SUM"
        echo "configure: ${CONFIGURE_FLAGS[*]}"
        echo "patch:"; cat "$PATCH_TMP"
    } | sha256sum | cut -c1-16
)"
DEST="$OUT/$HASH"
BIN="$DEST/qemu-system-x86_64"

# current-<version> for every version; current (what `cosim run`, the system
# tests and test/qemu use by default) only for the default version.
link_current() {
    local name
    for name in "current-$QEMU_VERSION" $([ "$QEMU_VERSION" = "$DEFAULT_QEMU_VERSION" ] && echo current); do
        ln -sfn "$HASH/qemu-system-x86_64" "$OUT/.$name.$$"
        mv -Tf "$OUT/.$name.$$" "$OUT/$name"
    done
}

if [ "$FORCE" = 0 ] && [ -x "$BIN" ]; then
    say "cached $HASH"
    link_current
    echo "$BIN"
    exit 0
fi

# One build at a time, whatever the version (a QEMU build takes both cores).
exec 9> "$OUT/.work.lock"
flock 9

# Each version has its own work tree; the default one keeps the name work/.
if [ "$QEMU_VERSION" = "$DEFAULT_QEMU_VERSION" ]; then WORK="$OUT/work"; else WORK="$OUT/work-$QEMU_VERSION"; fi
WSRC="$WORK/qemu-$QEMU_VERSION"
WBUILD="$WSRC/build"
START=$(date +%s)

if [ "$FRESH" = 1 ] || [ ! -f "$WORK/.cosim-work" ] || [ "$(cat "$WORK/.cosim-work")" != "$SUM" ]; then
    say "preparing the work tree (copy of the pristine tree)"
    rm -rf "$WORK"
    mkdir -p "$WORK"
    cp -a "$PRISTINE" "$WSRC"
    rm -f "$WSRC/.cosim-pristine"
    : > "$WORK/.touched"
    echo "$SUM" > "$WORK/.cosim-work"
fi

# Apply the patch to copies of the files it touches; copy into the work tree
# only the files whose bytes change, so ninja rebuilds only what changed.
STAGE="$(mktemp -d "$OUT/.stage-XXXXXX")"
trap 'rm -f "$PATCH_TMP"; rm -rf "$STAGE"' EXIT
grep -E '^--- a/' "$PATCH_TMP" | sed 's#^--- a/##; s#\t.*##' | LC_ALL=C sort -u | while IFS= read -r f; do
    mkdir -p "$STAGE/$(dirname "$f")"
    cp -p "$PRISTINE/$f" "$STAGE/$f"
done
if ! (cd "$STAGE" && patch -p1 -F0 --no-backup-if-mismatch -s < "$PATCH_TMP") >&2; then
    die "the patch does not apply to QEMU $QEMU_VERSION (scripts/check-qemu-patch.sh --qemu $QEMU_VERSION shows the rejects)"
fi
(cd "$STAGE" && find . -type f | sed 's#^\./##' | LC_ALL=C sort) > "$OUT/.touched.$$"
# Files a previous patch touched and this one does not: back to pristine.
LC_ALL=C comm -23 "$WORK/.touched" "$OUT/.touched.$$" | while IFS= read -r f; do
    if [ -f "$PRISTINE/$f" ]; then cp -p "$PRISTINE/$f" "$WSRC/$f"; else rm -f "$WSRC/$f"; fi
done
changed=0
while IFS= read -r f; do
    if ! cmp -s "$STAGE/$f" "$WSRC/$f"; then
        mkdir -p "$WSRC/$(dirname "$f")"
        cp "$STAGE/$f" "$WSRC/$f"
        changed=$((changed + 1))
    fi
done < "$OUT/.touched.$$"
mv -f "$OUT/.touched.$$" "$WORK/.touched"
say "patch applied ($changed file(s) changed in the work tree)"

# ---------------------------------------------------------------- 4. build
# The +ds tarball drops pc-bios/edk2-*.fd.bz2, but pc-bios/meson.build lists
# them whenever bzip2 is installed. Give the work tree empty stand-ins (valid
# bzip2 of nothing): only configure looks at them; the qemu-system-x86_64
# target does not use them and nothing is installed.
sed -n "s/^ *'\(edk2-[A-Za-z0-9_.-]*\.fd\)',.*/\1/p" "$WSRC/pc-bios/meson.build" | while IFS= read -r fd; do
    [ -f "$WSRC/pc-bios/$fd.bz2" ] || bzip2 -c < /dev/null > "$WSRC/pc-bios/$fd.bz2"
done
FLAGS_LINE="${CONFIGURE_FLAGS[*]}"
if [ ! -f "$WBUILD/build.ninja" ] || [ "$(cat "$WORK/.configure-flags" 2>/dev/null)" != "$FLAGS_LINE" ]; then
    say "configure ${CONFIGURE_FLAGS[*]}"
    rm -rf "$WBUILD" "$WORK/.configure-flags"
    mkdir -p "$WBUILD"
    if ! (cd "$WBUILD" && ../configure "${CONFIGURE_FLAGS[@]}") > "$WORK/configure.log" 2>&1; then
        tail -n 40 "$WORK/configure.log" >&2
        die "configure failed (log: $WORK/configure.log)"
    fi
    echo "$FLAGS_LINE" > "$WORK/.configure-flags"
fi
grep -q '^#define CONFIG_COSIM_PCIE 1' "$WBUILD/x86_64-softmmu-config-devices.h" 2>/dev/null \
    || die "CONFIG_COSIM_PCIE is not enabled for x86_64-softmmu (see $WBUILD/x86_64-softmmu-config-devices.h)"

say "building qemu-system-x86_64 with ninja -j $JOBS (log: $WORK/build.log)"
if ! ninja -C "$WBUILD" -j "$JOBS" qemu-system-x86_64 > "$WORK/build.log" 2>&1; then
    grep -E 'error:|Error' "$WORK/build.log" | head -40 >&2 || true
    echo "--- tail ---" >&2
    tail -n 30 "$WORK/build.log" >&2
    die "build failed (log: $WORK/build.log)"
fi
grep -E 'warning:' "$WORK/build.log" | grep cosim | head -20 >&2 || true
"$WBUILD/qemu-system-x86_64" -device help 2>/dev/null | grep -q '"cosim-pcie"' \
    || die "the built binary has no cosim-pcie device"

# Publish atomically: a directory holding qemu-system-x86_64 is only ever a
# finished build.
TMPD="$(mktemp -d "$OUT/.tmp-$HASH-XXXXXX")"
chmod 755 "$TMPD"
cp "$WBUILD/qemu-system-x86_64" "$TMPD/"
cp "$PATCH_TMP" "$TMPD/cosim-pcie.patch"
{
    echo "qemu $QEMU_VERSION ($QEMU_DEB_VERSION), tarball sha256 $SUM"
    echo "configure ${CONFIGURE_FLAGS[*]}"
    echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ) in $(( $(date +%s) - START )) s"
    echo "firmware: found through --firmwarepath=$FIRMWARE_PATH (seabios, ipxe-qemu, qemu-system-data)"
} > "$TMPD/build-info.txt"
if [ -d "$DEST" ]; then rm -rf "$DEST"; fi
mv -T "$TMPD" "$DEST" || { rm -rf "$TMPD"; die "could not publish $DEST"; }
link_current
# Keep the 4 newest builds of each version (70 MB each) and whatever a current*
# link points to; older hashes go. The version is build-info.txt's first line.
keep="$(for l in "$OUT"/current "$OUT"/current-*; do [ -L "$l" ] && basename "$(dirname "$(readlink "$l")")"; done || true)"
ls -1dt "$OUT"/[0-9a-f]*/ 2>/dev/null | while IFS= read -r old; do
    old="${old%/}"
    h="$(basename "$old")"
    case "$h" in
        [0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]) ;;
        *) continue ;;
    esac
    v="$(sed -n '1s/^qemu \([^ ]*\) .*/\1/p' "$old/build-info.txt" 2>/dev/null)"
    echo "${v:-unknown} $h"
done | awk '{ n[$1]++; if (n[$1] > 4) print $2 }' | while IFS= read -r h; do
    printf '%s\n' "$keep" | grep -qx "$h" || rm -rf "${OUT:?}/$h"
done
say "built in $(( $(date +%s) - START )) s: $BIN"
echo "$BIN"
