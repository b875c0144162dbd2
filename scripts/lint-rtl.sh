#!/usr/bin/env bash
# Lint the bridge and example RTL with every Verilator warning enabled.
# Exits non-zero on any warning (waivers, where unavoidable, are inline in
# the RTL with the reason next to them).
set -euo pipefail
cd "$(dirname "$0")/.."

log=$(mktemp)
trap 'rm -f "$log"' EXIT

status=0
verilator --lint-only -Wall --top-module cosim_top -f hdl/rtl.f >"$log" 2>&1 || status=$?
cat "$log"
if [ "$status" -ne 0 ] || grep -q '%Warning' "$log"; then
    echo "lint-rtl: FAILED" >&2
    exit 1
fi
echo "lint-rtl: clean"
