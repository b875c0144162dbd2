#!/bin/sh
# ram.sh - axi-ram's guest test: BAR0 of 1234:a4a0 is 64 KiB of RAM. Finds
# the device in sysfs, checks its config space and turns memory decoding on
# with setpci (no driver does it here), then writes words and bytes through
# /dev/mem with busybox devmem and reads them back. Exit 0 on success; the
# last line says what went wrong otherwise.
vendor=0x1234 device=0xa4a0
fail() { echo "ram: FAIL: $*"; exit 1; }

bdf=
for d in /sys/bus/pci/devices/*; do
	if [ "$(cat "$d/vendor")" = "$vendor" ] && [ "$(cat "$d/device")" = "$device" ]; then
		bdf=${d##*/}
		break
	fi
done
[ -n "$bdf" ] || fail "no PCI device $vendor:$device in /sys/bus/pci/devices"

v=$(setpci -s "$bdf" VENDOR_ID 2>&1) || fail "setpci: $v"
[ "0x$v" = "$vendor" ] || fail "setpci VENDOR_ID: $v, want ${vendor#0x}"
setpci -s "$bdf" COMMAND=0x0002:0x0002 || fail "setpci COMMAND"
read -r bar0 _ < "/sys/bus/pci/devices/$bdf/resource"
[ $((bar0)) -ne 0 ] || fail "BAR0 is not assigned"
echo "ram: $bdf, BAR0 at $bar0"
# mem OFFSET WIDTH [VALUE]: devmem on BAR0, the value read in $val; any
# failure ends the test with devmem's own words.
mem() {
	val=$(devmem "$(printf '0x%x' $((bar0 + $1)))" "$2" ${3:+"$3"} 2>&1) || fail "devmem BAR0+$1: $val"
}

# Distinct words at both ends and in between, all written before any is
# read back, so an address that aliases another shows.
offsets="0x0 0x4 0x8 0x1000 0x7ffc 0xfff8 0xfffc"
for off in $offsets; do mem "$off" 32 $((0x5a000000 + off)); done
for off in $offsets; do
	mem "$off" 32
	[ $((val)) -eq $((0x5a000000 + off)) ] || fail "word at $off: read $val, want $(printf '0x%x' $((0x5a000000 + off)))"
done

# A byte write changes that byte only (the RAM honours the write strobes).
mem 0x1001 8 0xa5
mem 0x1000 32
[ $((val)) -eq $((0x5a00a500)) ] || fail "word at 0x1000 after a byte write at 0x1001: $val, want 0x5a00a500"
echo "ram: ok: words and bytes read back"
