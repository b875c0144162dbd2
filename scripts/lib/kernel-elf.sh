# kernel_elf BZIMAGE OUT: the kernel ELF (vmlinux) inside an x86 bzImage, for
# QEMU's PVH entry (-kernel with an ELF that carries XEN_ELFNOTE_PHYS32_ENTRY).
# Under TCG the bzImage's own decompressor costs seconds of every boot (the
# Debian kernel is xz-compressed); decompressing once here saves them.
# Returns 1 (OUT not written) if the kernel has no PVH entry or the payload
# is in a format this host cannot decompress.
kernel_elf() {
  local in=$1 out=$2 setup_sects offset length skip magic
  # The setup header (Documentation/arch/x86/boot.rst): setup_sects at 0x1f1,
  # payload_offset and payload_length at 0x248 and 0x24c, both from the start
  # of the protected-mode code, (setup_sects + 1) sectors in.
  setup_sects=$(od -An -tu1 -j $((0x1f1)) -N1 "$in" | tr -d ' ')
  offset=$(od -An -tu4 -j $((0x248)) -N4 "$in" | tr -d ' ')
  length=$(od -An -tu4 -j $((0x24c)) -N4 "$in" | tr -d ' ')
  [ "${setup_sects:-0}" -gt 0 ] && [ "${length:-0}" -gt 0 ] || return 1
  skip=$(( (setup_sects + 1) * 512 + offset ))
  magic=$(od -An -tx1 -j "$skip" -N4 "$in" | tr -d ' ')
  local cat
  case "$magic" in
    fd377a58) cat="xz -dc --single-stream" ;;
    1f8b*) cat="gzip -dcq" ;;
    28b52ffd) cat="zstd -dcq" ;;
    *) return 1 ;;
  esac
  command -v "${cat%% *}" >/dev/null || return 1
  # The payload ends with the kernel's size (4 bytes) after the stream, which
  # a decompressor may call trailing garbage: what counts is a whole ELF.
  tail -c +$((skip + 1)) "$in" | head -c "$length" | $cat > "$out.tmp" 2>/dev/null || true
  local size end=0 type off vaddr paddr filesz rest
  size=$(stat -c %s "$out.tmp")
  while read -r type off vaddr paddr filesz rest; do
    [ "$type" = LOAD ] && [ $((off + filesz)) -gt "$end" ] && end=$((off + filesz))
  done < <(readelf -lW "$out.tmp" 2>/dev/null)
  if [ "$(od -An -tx1 -N4 "$out.tmp" | tr -d ' ')" != 7f454c46 ] || [ "$end" -eq 0 ] || [ "$end" -gt "$size" ] ||
     ! readelf -n "$out.tmp" 2>/dev/null | grep -q "Xen.*(0x00000012)"; then
    rm -f "$out.tmp"
    return 1
  fi
  mv "$out.tmp" "$out"
}
