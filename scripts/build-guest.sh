#!/usr/bin/env bash
# Builds the shared base of the guest image: Debian's current amd64 kernel
# (vmlinuz) and a busybox initramfs with the suite runner (guest/initramfs/),
# Debian's pciutils (lspci, setpci) and the kernel headers to build project
# modules against. What a device project adds (its modules, programs, files,
# tests) is a second initramfs layer built per project
# (bridge/src/project/guest-layer.ts); guest/README.md describes both.
#
# Prints the absolute path of a directory holding vmlinuz (and vmlinux, the
# same kernel decompressed for QEMU's PVH entry), initramfs.cpio.lz4,
# kernel.config and build-info.txt (headers=, kernel_abi=) as the LAST
# stdout line; progress goes to stderr. The result is cached in
# build/guest/<hash>/, <hash> covering every input: guest/initramfs, this
# script, the kernel package version, busybox/libc/gcc/pciutils package
# versions. Built in a temporary directory and renamed into place atomically.
# COSIM_GUEST_REBUILD=1 forces a rebuild.
#
# Installs what it needs with apt (busybox-static, cpio, kmod, gcc, make,
# libc6-dev, pciutils, linux-headers-<abi>); the kernel .deb is only
# downloaded and unpacked, never installed on the host.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
script="$root/scripts/$(basename "$0")"
cd "$root"
log() { printf '[build-guest] %s\n' "$*" >&2; }
die() { printf '[build-guest] error: %s\n' "$*" >&2; exit 1; }

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
  apt_get update -qq >&2
  updated=1
}
installed_version() { dpkg-query -W -f='${Status} ${Version}\n' "$1" 2>/dev/null | sed -n 's/^install ok installed //p'; }

# 1. The kernel ABI and package version (shared with scripts/build-debug-kernel.sh).
. "$root/scripts/lib/guest-kernel.sh"
. "$root/scripts/lib/kernel-elf.sh"
guest_kernel_resolve
abi=$GUEST_KERNEL_ABI
kver=$GUEST_KERNEL_VERSION

# 2. Host packages (installed only when missing or, for the headers, of another version).
need=()
for p in busybox-static cpio kmod gcc make libc6-dev pciutils binutils xz-utils lz4; do
  [ -n "$(installed_version "$p")" ] || need+=("$p")
done
[ "$(installed_version "linux-headers-$abi")" = "$kver" ] || need+=("linux-headers-$abi=$kver")
if [ ${#need[@]} -gt 0 ]; then
  log "installing: ${need[*]}"
  if ! apt_get install -y -q --no-install-recommends "${need[@]}" >&2; then
    apt_update
    apt_get install -y -q --no-install-recommends "${need[@]}" >&2
  fi
fi
kdir=/usr/src/linux-headers-$abi
[ -f "$kdir/Makefile" ] || die "kernel headers missing at $kdir"
busybox=/bin/busybox   # from busybox-static (it conflicts with the dynamic busybox package)

# 3. Input hash.
hash_inputs() {
  echo "abi=$abi kver=$kver"
  for p in busybox-static libc6-dev gcc-12 gcc cpio pciutils libpci3; do echo "$p=$(installed_version "$p")"; done
  sha256sum "$script" | sed "s| .*| scripts/build-guest.sh|"
  sha256sum "$root/scripts/lib/kernel-elf.sh" | sed "s| .*| scripts/lib/kernel-elf.sh|"
  (cd "$root" && find guest/initramfs -type f ! -name '*.md' ! -name '*.swp' -print0 |
      LC_ALL=C sort -z | xargs -0 sha256sum)
}
hash=$(hash_inputs | sha256sum | cut -c1-16)
out_root="$root/build/guest"
out="$out_root/$hash"
if [ -z "${COSIM_GUEST_REBUILD:-}" ] && [ -f "$out/vmlinuz" ] && [ -f "$out/initramfs.cpio.lz4" ]; then
  log "cached: $out (kernel $abi $kver)"
  echo "$out"
  exit 0
fi

t0=$(date +%s)
mkdir -p "$out_root/.cache"
tmp=$(mktemp -d "$out_root/.tmp.$hash.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/out"

# 4. vmlinuz from the kernel .deb (downloaded once per version, never installed).
deb_dir="$out_root/.cache/linux-image-$abi-$kver"
deb=$(ls "$deb_dir"/*.deb 2>/dev/null | head -n1 || true)
if [ -z "$deb" ]; then
  log "downloading linux-image-$abi=$kver"
  dl="$tmp/dl"; mkdir -p "$dl"
  if ! (cd "$dl" && apt-get download "linux-image-$abi=$kver" >&2); then
    apt_update
    (cd "$dl" && apt-get download "linux-image-$abi=$kver" >&2)
  fi
  mkdir -p "$deb_dir"
  f=$(ls "$dl"/*.deb | head -n1)
  mv "$f" "$deb_dir/"
  deb="$deb_dir/$(basename "$f")"
fi
log "extracting vmlinuz-$abi"
mods="./lib/modules/$abi"
# virtio-net (with what it depends on) is the baseline VM's NIC in `cosim compare`.
virtio_net_kos=(drivers/virtio/virtio.ko drivers/virtio/virtio_ring.ko drivers/virtio/virtio_pci_legacy_dev.ko
                drivers/virtio/virtio_pci_modern_dev.ko drivers/virtio/virtio_pci.ko net/core/failover.ko
                drivers/net/net_failover.ko drivers/net/virtio_net.ko)
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" "./boot/vmlinuz-$abi" "./boot/config-$abi" \
  "$mods/modules.builtin" "$mods/modules.builtin.modinfo" "${virtio_net_kos[@]/#/$mods/kernel/}"
mv "$tmp/boot/vmlinuz-$abi" "$tmp/out/vmlinuz"
mv "$tmp/boot/config-$abi" "$tmp/out/kernel.config"
kernel_elf "$tmp/out/vmlinuz" "$tmp/out/vmlinux" ||
  log "vmlinuz-$abi has no PVH entry (or cannot be decompressed here): the guest boots the bzImage, seconds slower under TCG"
# What the guest relies on being built in (no other modules are shipped).
for opt in SERIAL_8250 SERIAL_8250_CONSOLE PCI PCI_MSI DEVTMPFS BLK_DEV_INITRD RD_LZ4 RD_GZIP \
           TMPFS ACPI MODULES MODULE_UNLOAD; do
  grep -qx "CONFIG_$opt=y" "$tmp/out/kernel.config" || die "guest kernel lacks CONFIG_$opt=y"
done

# 5. Static helpers of the runner.
log "building the runner's helpers"
cflags=(-O2 -Wall -Wextra -Werror)
for helper in cosim-clock cosim-pattern; do
  gcc -static -s "${cflags[@]}" -o "$tmp/$helper" "guest/initramfs/$helper.c" >&2 ||
    die "$helper failed to build"
done

# 6. Dynamic executables from Debian (pciutils) with the libraries they load.
copy_with_libs() {	# copy_with_libs ROOT BINARY
  local r=$1 bin=$2 lib
  install -D -m 0755 "$bin" "$r$bin"
  for lib in $(ldd "$bin" | awk '/=> \//{print $3} /^\t\/lib/{print $1}'); do
    [ -e "$r$lib" ] || install -D -m 0755 "$(readlink -f "$lib")" "$r$lib"
  done
}

# 7. The initramfs tree.
log "assembling initramfs"
r="$tmp/root"
mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,run,root,etc,cosim/bin,cosim/modules,cosim/project}
cp "$busybox" "$r/bin/busybox"
"$busybox" --list-full | while read -r a; do
  [ "$a" = bin/busybox ] && continue
  mkdir -p "$r/$(dirname "$a")"
  ln -sf /bin/busybox "$r/$a"
done
install -m 0755 guest/initramfs/init "$r/init"
install -m 0755 guest/initramfs/run-suite "$r/cosim/run-suite"
install -m 0755 guest/initramfs/wait-dev "$r/usr/bin/wait-dev"
install -m 0644 guest/initramfs/profile "$r/etc/profile"
install -m 0755 "$tmp/cosim-clock" "$r/cosim/clock"
install -m 0755 "$tmp/cosim-pattern" "$r/usr/bin/cosim-pattern"
install -m 0755 guest/initramfs/net-up "$r/usr/bin/net-up"
# Debian's pciutils decode capabilities (MSI-X, PCIe) that busybox's lspci does not.
rm -f "$r/usr/bin/lspci" "$r/bin/lspci" "$r/sbin/lspci"
for b in /usr/bin/lspci /usr/bin/setpci; do copy_with_libs "$r" "$b"; done
# Module indexes of the built-in drivers and virtio-net, so that lspci -k
# (libkmod) finds what it looks for and `modprobe virtio_net` works; the
# project's modules are loaded by path.
mkdir -p "$r/lib/modules/$abi"
cp "$tmp/lib/modules/$abi/modules.builtin" "$tmp/lib/modules/$abi/modules.builtin.modinfo" "$r/lib/modules/$abi/"
for ko in "${virtio_net_kos[@]}"; do
  install -D -m 0644 "$tmp/lib/modules/$abi/kernel/$ko" "$r/lib/modules/$abi/kernel/$ko"
done
printf '%s\n' "${virtio_net_kos[@]/#/kernel/}" > "$r/lib/modules/$abi/modules.order"
depmod -b "$r" "$abi" || die "depmod failed"
[ -f /usr/share/misc/pci.ids ] && install -D -m 0644 /usr/share/misc/pci.ids "$r/usr/share/misc/pci.ids"
# The kernel opens /dev/console before /init runs; /init remounts /dev anyway.
mknod -m 600 "$r/dev/console" c 5 1 2>/dev/null || true
mknod -m 666 "$r/dev/null" c 1 3 2>/dev/null || true
echo "root:x:0:0:root:/root:/bin/sh" > "$r/etc/passwd"
find "$r" -exec touch -h -d @0 {} +
(cd "$r" && find . -print0 | LC_ALL=C sort -z |
  cpio --null -o -H newc --reproducible --owner=0:0 --quiet) | lz4 -l -9 -q > "$tmp/out/initramfs.cpio.lz4"

{
  echo "hash=$hash"
  echo "kernel_abi=$abi"
  echo "kernel_package=linux-image-$abi=$kver"
  echo "headers=$kdir"
  echo "busybox=$(installed_version busybox-static)"
  echo "pciutils=$(installed_version pciutils)"
  echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
} > "$tmp/out/build-info.txt"

# 8. Atomic publish (a concurrent build of the same hash may have won).
if [ -n "${COSIM_GUEST_REBUILD:-}" ] && [ -d "$out" ]; then
  mv -T "$out" "$tmp/old" && rm -rf "$tmp/old"
fi
if mv -T "$tmp/out" "$out" 2>/dev/null; then
  log "built $out in $(( $(date +%s) - t0 ))s (kernel $abi $kver, initramfs $(du -k "$out/initramfs.cpio.lz4" | cut -f1) KiB)"
else
  [ -f "$out/initramfs.cpio.lz4" ] || die "cannot publish $out"
  log "another build published $out first"
fi
echo "$out"
