# The AXI test device behind the bridge endpoint (top axi_test_top), for the
# TypeScript RTL tests: scripts/build-rtl.sh --lib --top axi_test_top --filelist hdl/test/rtl.f
# Paths are relative to this folder; the bridge endpoint is added by the script.
axi_test_dev.sv
axi_test_top.sv
