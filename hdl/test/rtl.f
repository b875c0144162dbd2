# The AXI test device behind the bridge endpoint (top axi_test_top), for the
# TypeScript RTL tests: scripts/build-rtl.sh --lib --top axi_test_top --filelist hdl/test/rtl.f
+incdir+hdl/bridge
hdl/bridge/cosim_fifo.sv
hdl/bridge/cosim_hs_chk.sv
hdl/bridge/cosim_bridge_mmio.sv
hdl/bridge/cosim_bridge_dma_wr.sv
hdl/bridge/cosim_bridge.sv
hdl/test/axi_test_dev.sv
hdl/test/axi_test_top.sv
