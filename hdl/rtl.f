# qemu-hdl-bridge RTL file list (verilator -f hdl/rtl.f, run from the repo root).
# Top module: cosim_top
+incdir+hdl/bridge
hdl/bridge/cosim_fifo.sv
hdl/bridge/cosim_hs_chk.sv
hdl/bridge/cosim_bridge_mmio.sv
hdl/bridge/cosim_bridge_dma_wr.sv
hdl/bridge/cosim_bridge.sv
hdl/lib/axi_pkg.sv
hdl/lib/dma_pkg.sv
hdl/lib/dma_align.sv
hdl/lib/dma_rd.sv
hdl/lib/dma_wr.sv
hdl/lib/axi_reg_slave.sv
hdl/lib/msix_arb.sv
hdl/example/example_regs.sv
hdl/example/example_dma.sv
hdl/example/example_dev.sv
hdl/example/cosim_top.sv
