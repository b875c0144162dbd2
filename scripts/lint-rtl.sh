#!/usr/bin/env bash
# Lint the RTL with every Verilator warning enabled: the bridge with the
# example device (top cosim_top, hdl/rtl.f), the GPU front-end (top
# gpu_top, hdl/gpu/rtl.f) and the AXI test device (top axi_test_top,
# hdl/test/rtl.f). Exits non-zero on any warning (waivers, where
# unavoidable, are inline in the RTL with the reason next to them).
set -euo pipefail
cd "$(dirname "$0")/.."

log=$(mktemp)
trap 'rm -f "$log"' EXIT

failed=0
for design in cosim_top:hdl/rtl.f gpu_top:hdl/gpu/rtl.f axi_test_top:hdl/test/rtl.f; do
  top=${design%%:*}
  list=${design#*:}
  status=0
  verilator --lint-only -Wall --top-module "$top" -f "$list" >"$log" 2>&1 || status=$?
  cat "$log"
  if [ "$status" -ne 0 ] || grep -q '%Warning' "$log"; then
    echo "lint-rtl: $top ($list) FAILED" >&2
    failed=1
  else
    echo "lint-rtl: $top clean"
  fi
done
[ "$failed" -eq 0 ] || exit 1
echo "lint-rtl: clean"
