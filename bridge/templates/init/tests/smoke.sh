#!/bin/sh
# smoke.sh - {{NAME}}'s shell smoke test, no driver involved: finds the
# device in sysfs, checks its config space with setpci, and reads and writes
# BAR0 registers with busybox devmem. Exit status 0 on success; otherwise
# the last line says what went wrong.
#
# The guest kernel (Debian's) has CONFIG_IO_STRICT_DEVMEM=y: while a driver
# holds BAR0, /dev/mem (and mmap of sysfs resource0) refuse it. So the test
# unbinds the driver for its duration and binds it again on exit.
vendor=0x{{VENDOR_ID}} device=0x{{DEVICE_ID}}
fail() { echo "smoke: FAIL: $*"; exit 1; }
say() { echo "smoke: $*"; }

bdf=
for d in /sys/bus/pci/devices/*; do
	if [ "$(cat "$d/vendor")" = "$vendor" ] && [ "$(cat "$d/device")" = "$device" ]; then
		bdf=${d##*/}
		break
	fi
done
[ -n "$bdf" ] || fail "no PCI device $vendor:$device in /sys/bus/pci/devices"
sys=/sys/bus/pci/devices/$bdf
say "device $vendor:$device at $bdf"

# Config space through setpci (pciutils): the ids QEMU took from the RTL.
v=$(setpci -s "$bdf" VENDOR_ID 2>&1) || fail "setpci: $v"
[ "0x$v" = "$vendor" ] || fail "setpci VENDOR_ID: $v, want ${vendor#0x}"
v=$(setpci -s "$bdf" DEVICE_ID 2>&1) || fail "setpci: $v"
[ "0x$v" = "$device" ] || fail "setpci DEVICE_ID: $v, want ${device#0x}"

if [ -e "$sys/driver" ]; then
	drv=$(basename "$(readlink "$sys/driver")")
	echo "$bdf" > "/sys/bus/pci/drivers/$drv/unbind" || fail "cannot unbind $drv"
	trap 'echo "$bdf" > "/sys/bus/pci/drivers/$drv/bind" || echo "smoke: cannot bind $drv again"' EXIT
	say "unbound $drv for the test"
fi
# Memory space on, so BAR0 decodes without a driver.
setpci -s "$bdf" COMMAND=0x0002:0x0002 || fail "setpci COMMAND"

# BAR0's physical address: first field of the first line of `resource`.
read -r bar0 _ < "$sys/resource"
[ $((bar0)) -ne 0 ] || fail "BAR0 is not assigned ($sys/resource)"
say "BAR0 at $bar0"
# reg OFFSET WIDTH [VALUE]: devmem on BAR0, the value read in $val; any
# failure (e.g. /dev/mem refusing the range) ends the test with devmem's words.
reg() {
	val=$(devmem "$(printf '0x%x' $((bar0 + $1)))" "$2" ${3:+"$3"} 2>&1) || fail "devmem BAR0+$1: $val"
}

# ID (0x00): low word {vendor, device}, high word the register map version 1.
reg 0x0 32
[ $((val)) -eq $((vendor << 16 | device)) ] || fail "ID low word $val, want 0x${vendor#0x}${device#0x}"
reg 0x4 32
[ $((val)) -eq 1 ] || fail "ID high word $val, want 0x1"

# SCRATCH (0x08): each 32-bit half on its own, so the byte strobes count.
reg 0x8 32 0x89abcdef
reg 0xc 32 0x01234567
reg 0x8 32; lo=$val
reg 0xc 32; hi=$val
[ $((lo)) -eq $((0x89abcdef)) ] && [ $((hi)) -eq $((0x01234567)) ] ||
	fail "SCRATCH read back $hi:$lo, want 0x01234567:0x89abcdef"
say "ok: ID and SCRATCH through devmem"
