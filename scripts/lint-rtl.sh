#!/usr/bin/env bash
# Lint the RTL with every Verilator warning enabled: each built-in project
# (hdl/*/cosim.json: the example device, the GPU front-end, the AXI test
# device) with the bridge endpoint. Exits non-zero on any warning (waivers,
# where unavoidable, are inline in the RTL with the reason next to them).
set -euo pipefail
cd "$(dirname "$0")/.."

log=$(mktemp)
trap 'rm -f "$log"' EXIT

failed=0
designs=$(node -e '
  for (const f of process.argv.slice(1)) {
    const p = JSON.parse(require("fs").readFileSync(f, "utf8"));
    console.log(`${p.rtl.top}:${require("path").join(require("path").dirname(f), p.rtl.filelist)}`);
  }' hdl/*/cosim.json)
for design in $designs; do
  top=${design%%:*}
  list=${design#*:}
  status=0
  # -F: paths relative to each file list's folder, as scripts/build-rtl.sh reads them.
  verilator --lint-only -Wall --top-module "$top" -F hdl/bridge/bridge.f -F "$list" >"$log" 2>&1 || status=$?
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
