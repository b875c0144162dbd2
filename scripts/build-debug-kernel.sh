#!/usr/bin/env bash
# Builds the debug guest kernel (`cosim run|regress --kernel debug`): the same
# kernel version as the guest's (Debian's linux-image-amd64, resolved as
# scripts/build-guest.sh does), built from Debian's `linux` source package
# with a small config: x86_64_defconfig, kvm_guest.config and
# guest/kernel/debug.config (what the guest image needs, virtio built in,
# KASAN, lockdep, DMA-API debugging). The project layer builds its modules
# against the built tree, so their vermagic matches.
#
# Prints the absolute path of a directory shaped like build-guest.sh's output
# as the LAST stdout line: vmlinuz, kernel.config, modules.cpio.gz (the
# kernel's /lib/modules index, an initramfs layer) and build-info.txt
# (hash=, kernel_abi= (its release), headers= (the built tree),
# kernel_package=, build_seconds=). Progress goes to stderr.
# Cached in build/kernel/debug-<hash>/, <hash> covering this script's commands
# (not its comments), the config fragment, the kernel version and the compiler; a rerun with the cache
# present takes seconds. COSIM_KERNEL_REBUILD=1 forces a rebuild.
#
# Installs what it needs with apt (bc bison flex libelf-dev libssl-dev cpio
# dpkg-dev xz-utils kmod gcc make). When no deb-src line serves the bookworm
# suites it adds one per suite in /etc/apt/sources.list.d/cosim-bookworm-src.list
# (source packages only: nothing is installed from it). When the mirror does not
# serve that version's source files it takes linux-source-<x.y> of the same
# version instead (step 4). The build runs with
# `nice -n 10 make -j$COSIM_KERNEL_JOBS` (default 2). Cold, it took 52 minutes
# on 2 cores shared with other work (the measured time is logged and kept in
# build-info.txt as build_seconds=).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
script="$root/scripts/$(basename "$0")"
fragment="$root/guest/kernel/debug.config"
cd "$root"
log() { printf '[build-debug-kernel] %s\n' "$*" >&2; }
die() { printf '[build-debug-kernel] error: %s\n' "$*" >&2; exit 1; }
jobs=${COSIM_KERNEL_JOBS:-2}
case "$jobs" in ''|*[!0-9]*|0) die "COSIM_KERNEL_JOBS must be a positive number, not '$jobs'" ;; esac

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || die "need root (or sudo) for apt-get"
  sudo="sudo"
fi
apt_get() { $sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@"; }
updated=0
apt_update() {
  [ "$updated" = 1 ] && return 0
  log "apt-get update"
  apt_get update -qq >&2 || die "apt-get update failed"
  updated=1
}
installed_version() { dpkg-query -W -f='${Status} ${Version}\n' "$1" 2>/dev/null | sed -n 's/^install ok installed //p'; }

# 1. The guest kernel's version (the same resolution as build-guest.sh).
. "$root/scripts/lib/guest-kernel.sh"
guest_kernel_resolve
abi=$GUEST_KERNEL_ABI
kver=$GUEST_KERNEL_VERSION   # also the version of the `linux` source package
upstream=${kver%-*}          # 6.1.192

# 2. Input hash and the cache.
hash_inputs() {
  echo "kver=$kver"
  echo "gcc=$(gcc --version 2>/dev/null | head -n1)"
  # Its commands only: a comment or a blank line changes no build.
  grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$script" | sha256sum | sed "s| .*| scripts/build-debug-kernel.sh|"
  sha256sum "$fragment" | sed "s| .*| guest/kernel/debug.config|"
}
hash=$(hash_inputs | sha256sum | cut -c1-16)
out_root="$root/build/kernel"
out="$out_root/debug-$hash"
if [ -z "${COSIM_KERNEL_REBUILD:-}" ] && [ -f "$out/build-info.txt" ] && [ -f "$out/vmlinuz" ]; then
  log "cached: $out ($(sed -n 's/^kernel_abi=//p' "$out/build-info.txt"), from linux $kver)"
  echo "$out"
  exit 0
fi
mkdir -p "$out_root/.cache"
# One build per hash at a time; a second caller waits for the first (up to 2 hours).
exec 9>"$out_root/.debug-$hash.lock"
flock -w 7200 9 || die "timed out after 2 h waiting for another build of $out (lock $out_root/.debug-$hash.lock)"
if [ -z "${COSIM_KERNEL_REBUILD:-}" ] && [ -f "$out/build-info.txt" ] && [ -f "$out/vmlinuz" ]; then
  log "built meanwhile by another caller: $out"
  echo "$out"
  exit 0
fi
t0=$(date +%s)

# 3. Host packages.
need=()
for p in bc bison flex libelf-dev libssl-dev cpio dpkg-dev xz-utils kmod gcc make; do
  [ -n "$(installed_version "$p")" ] || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  log "installing: ${need[*]}"
  if ! apt_get install -y -q --no-install-recommends "${need[@]}" >&2; then
    apt_update
    apt_get install -y -q --no-install-recommends "${need[@]}" >&2 || die "apt-get install ${need[*]} failed"
  fi
fi

# 4. Debian's `linux` source package, downloaded once per version: with
# `apt-get source` (the .dsc, orig tarball and Debian's patches), or, when the
# mirror no longer serves that version's source files (the security archive
# keeps only the current ones, and some mirrors carry binaries only), the
# linux-source-<major.minor> package of the same version: built from that
# source package, its tarball is the tree with Debian's patches applied
# (downloaded and unpacked, never installed).
src_cache="$out_root/.cache/linux-$kver"
dsc="$src_cache/linux_${kver#*:}.dsc"
srcpkg="linux-source-$(cut -d. -f1,2 <<<"$upstream")"
srcdeb="$src_cache/${srcpkg}_${kver#*:}_all.deb"
sandbox=()
[ "$(id -u)" -eq 0 ] && sandbox=(-o APT::Sandbox::User=root)
if [ ! -f "$dsc" ] && [ ! -f "$srcdeb" ]; then
  # A deb-src line for every bookworm suite that has a deb line but no deb-src
  # (the kernel's version may live in bookworm-security or bookworm-updates).
  targets=$(apt-get indextargets --format '$(CREATED_BY) $(CODENAME) $(REPO_URI) $(COMPONENT)' 2>/dev/null)
  lines=()
  while read -r kind codename uri comp; do
    [ "$kind" = Packages ] && [ "$comp" = main ] || continue
    case "$codename" in bookworm|bookworm-updates|bookworm-security) ;; *) continue ;; esac
    grep -qx "Sources $codename .*" <<<"$targets" && continue
    lines+=("deb-src ${uri%/} $codename main")
  done <<<"$targets"
  if [ ${#lines[@]} -gt 0 ]; then
    f=/etc/apt/sources.list.d/cosim-bookworm-src.list
    log "adding to $f (source packages only): ${lines[*]}"
    tmpf=$(mktemp)
    { [ -f "$f" ] && cat "$f"; printf '%s\n' "${lines[@]}"; } | sort -u > "$tmpf"
    $sudo install -m 644 "$tmpf" "$f"
    rm -f "$tmpf"
    updated=0
    apt_update
  fi
  has_src() { apt-cache showsrc linux 2>/dev/null | grep -xF "Version: $kver" >/dev/null; }  # no -q: an early exit would fail the pipe
  has_src || { updated=0; apt_update; }
  dl=$(mktemp -d "$out_root/.cache/.dl-XXXXXX")
  chmod 755 "$dl"
  if has_src; then
    log "downloading the linux $kver source package (apt-get source --download-only linux=$kver)"
    (cd "$dl" && apt-get -q -o Acquire::Retries=3 "${sandbox[@]}" source --download-only "linux=$kver" >&2) ||
      log "apt-get source --download-only linux=$kver failed (see above)"
  else
    log "no deb-src suite lists linux=$kver"
  fi
  if [ ! -f "$dl/$(basename "$dsc")" ] || [ ! -f "$dl/linux_$upstream.orig.tar.xz" ]; then
    rm -f "$dl"/*
    log "downloading $srcpkg=$kver instead (the same source with Debian's patches applied)"
    (cd "$dl" && apt-get -q -o Acquire::Retries=3 "${sandbox[@]}" download "$srcpkg=$kver" >&2) || {
      rm -rf "$dl"
      die "neither the linux=$kver source package nor $srcpkg=$kver could be downloaded"
    }
    [ -f "$dl/$(basename "$srcdeb")" ] || { rm -rf "$dl"; die "the download has no $(basename "$srcdeb")"; }
  fi
  rm -rf "$src_cache"
  mv -T "$dl" "$src_cache"
fi

# 5. Unpack into the output folder.
rm -rf "$out"
mkdir -p "$out"
tree="$out/linux-$upstream"
if [ -f "$dsc" ]; then
  log "unpacking $(basename "$dsc") (dpkg-source -x applies Debian's patches)"
  (cd "$out" && dpkg-source --no-check -x "$dsc" "linux-$upstream" >/dev/null) || die "dpkg-source -x $dsc failed"
  rm -rf "$tree/debian"  # Debian's packaging, not part of the build
else
  log "unpacking $(basename "$srcdeb")"
  mkdir -p "$out/unpack"
  dpkg-deb --fsys-tarfile "$srcdeb" | tar -x -O "./usr/src/$srcpkg.tar.xz" | tar -xJ -C "$out/unpack" ||
    die "unpacking $srcdeb failed"
  mv -T "$out/unpack/$srcpkg" "$tree" || die "$srcdeb: no $srcpkg/ in its tarball"
  rmdir "$out/unpack"
fi
[ -f "$tree/Makefile" ] || die "no kernel tree at $tree"
grep -qx "SUBLEVEL = ${upstream##*.}" "$tree/Makefile" || die "$tree/Makefile is not version $upstream"

# 6. Configure, and check that every line of the fragment was kept.
kmake() { nice -n 10 make -C "$tree" -j"$jobs" LOCALVERSION= "$@"; }
log "configuring: x86_64_defconfig + kvm_guest.config + guest/kernel/debug.config"
kmake -s x86_64_defconfig >&2
kmake -s kvm_guest.config >&2
"$tree/scripts/kconfig/merge_config.sh" -m -O "$tree" "$tree/.config" "$fragment" >/dev/null ||
  die "merge_config.sh failed on guest/kernel/debug.config"
kmake -s olddefconfig >&2
missing=()
while IFS= read -r line; do
  case "$line" in
    CONFIG_*=*) grep -qxF "$line" "$tree/.config" || missing+=("$line (have: $(grep -E "^(# )?${line%%=*}[= ]" "$tree/.config" || echo unset))") ;;
    "# CONFIG_"*" is not set")
      opt=${line#\# }; opt=${opt%% *}
      ! grep -q "^$opt=" "$tree/.config" || missing+=("$line (have: $(grep "^$opt=" "$tree/.config"))") ;;
  esac
done < "$fragment"
[ ${#missing[@]} -eq 0 ] || die "the final .config does not have what guest/kernel/debug.config asks for (a dependency is missing or an option was renamed):$(printf '\n  %s' "${missing[@]}")"

# 7. Build: bzImage, the few defconfig modules and Module.symvers (out-of-tree
# modules link against it), then what those modules need.
log "building linux $upstream with nice -n 10 make -j$jobs (about 50 minutes on 2 cores; log: $out/build.log)"
if ! kmake bzImage modules > "$out/build.log" 2>&1; then
  tail -n 30 "$out/build.log" >&2
  die "kernel build failed (full log: $out/build.log)"
fi
kmake modules_prepare >> "$out/build.log" 2>&1 || die "make modules_prepare failed (log: $out/build.log)"
[ -f "$tree/Module.symvers" ] || die "no Module.symvers after the build"
release=$(cat "$tree/include/config/kernel.release")
case "$release" in *-cosim-debug) ;; *) die "the built kernel's release is '$release', not <version>-cosim-debug" ;; esac
cp "$tree/arch/x86/boot/bzImage" "$out/vmlinuz"
cp "$tree/.config" "$out/kernel.config"

# 8. /lib/modules/<release> for the initramfs: the built-in modules' index,
# so that `modprobe virtio_net` (built in here) succeeds and lspci -k works.
stage=$(mktemp -d "$out_root/.stage-XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/lib/modules/$release"
for f in modules.builtin modules.builtin.modinfo; do
  [ -f "$tree/$f" ] || die "no $f in the built tree"
  cp "$tree/$f" "$stage/lib/modules/$release/"
done
: > "$stage/lib/modules/$release/modules.order"
depmod -b "$stage" "$release" || die "depmod failed"
find "$stage" -exec touch -h -d @0 {} +
(cd "$stage" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
  cpio --null -o -H newc --reproducible --owner=0:0 --quiet) | gzip -9n > "$out/modules.cpio.gz"

secs=$(( $(date +%s) - t0 ))
{
  echo "hash=$hash"
  echo "kernel_abi=$release"
  echo "kernel_package=linux=$kver (source; the guest's linux-image-$abi)"
  echo "headers=$tree"
  echo "kernel=debug"
  echo "build_seconds=$secs"
  echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
} > "$out/build-info.tmp"
mv "$out/build-info.tmp" "$out/build-info.txt"
log "built $out in ${secs}s ($(( secs / 60 )) min $(( secs % 60 )) s cold; kernel $release from linux $kver)"
echo "$out"
