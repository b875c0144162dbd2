#!/usr/bin/env bash
# Installs and builds whatever is missing, so that `npm start` and `npm test`
# work on a fresh Debian 12 machine. Every step is skipped when already done.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
step() { printf '[setup] %s\n' "$*" >&2; }

# 1. Debian packages: the Verilator toolchain and libzmq for the C side; clang
#    and its libFuzzer/sanitizer runtime for the shim fuzzer (npm run fuzz).
apt_pkgs=(verilator libzmq3-dev pkg-config g++ make zlib1g-dev clang-14 libclang-rt-14-dev)
# npm test (--all-qemu) also reads a trace export back with tshark and the
# dissector in bridge/wireshark/ (Lua is built in; packet capture is not used,
# and noninteractive apt answers no to capturing as a non-root user).
if [ "${1:-}" = --all-qemu ]; then apt_pkgs+=(tshark); fi
missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  step "installing Debian packages: ${missing[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "[setup] need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
ver=$(verilator --version | awk '{print $2}')
case "$ver" in 5.*) ;; *) echo "[setup] Verilator 5.x required, found '$ver'" >&2; exit 1 ;; esac

# 2. npm packages, reinstalled when the lock file changed.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

# 3. The TypeScript build (incremental, a few seconds).
step "compiling TypeScript"
npx --no-install tsc -p tsconfig.json >&2

# 4. The Verilated example device, QEMU with the cosim-pcie device (10.0.2,
#    the default; with --all-qemu also 10.2.2, which npm test runs test/qemu
#    against too) and the guest (kernel, initramfs with
#    the driver and test programs). Each is cached by a hash of its inputs; a
#    cold QEMU build takes a few minutes per version.
step "building the RTL simulator"
bash scripts/build-rtl.sh >/dev/null
bash scripts/build-rtl.sh --top gpu_top --filelist hdl/gpu/rtl.f >/dev/null
step "building the N-API addon and the model libraries (TypeScript testbench, in-process HDL peer)"
node scripts/build-addon.js
bash scripts/build-rtl.sh --lib >/dev/null
bash scripts/build-rtl.sh --lib --top axi_test_top --filelist hdl/test/rtl.f >/dev/null
# The first version is the one runs use; the others only npm test needs
# (test/qemu runs against each): --all-qemu builds them too.
qemu_versions=$(bash scripts/build-qemu.sh --list-versions | cut -d' ' -f1)
[ "${1:-}" = --all-qemu ] || qemu_versions=$(echo "$qemu_versions" | head -n1)
for qv in $qemu_versions; do
  step "building QEMU $qv with cosim-pcie"
  bash scripts/build-qemu.sh --qemu "$qv" >/dev/null
done
step "building the guest"
bash scripts/build-guest.sh >/dev/null
step "ready"
