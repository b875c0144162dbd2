# GPU front-end file list (verilator -f hdl/gpu/rtl.f, run from the repo root).
# Top module: gpu_top
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
hdl/gpu/gpu_regs_pkg.sv
hdl/gpu/gpu_axi_pkg.sv
hdl/gpu/gpu_axi_mux.sv
hdl/gpu/gpu_vram.sv
hdl/gpu/gpu_copy.sv
hdl/gpu/gpu_kernel.sv
hdl/gpu/gpu_cp.sv
hdl/gpu/gpu_nic.sv
hdl/gpu/gpu_uart.sv
hdl/gpu/gpu_regs.sv
hdl/gpu/gpu_dev.sv
hdl/gpu/gpu_top.sv
