# GPU front-end file list (scripts/build-rtl.sh --top gpu_top --filelist hdl/gpu/rtl.f).
# Top module: gpu_top. Paths are relative to this folder; the bridge endpoint
# (hdl/bridge/bridge.f) is added by scripts/build-rtl.sh.
../lib/axi_pkg.sv
../lib/dma_pkg.sv
../lib/dma_align.sv
../lib/dma_rd.sv
../lib/dma_wr.sv
../lib/axi_reg_slave.sv
../lib/msix_arb.sv
gpu_regs_pkg.sv
gpu_axi_pkg.sv
gpu_axi_mux.sv
gpu_vram.sv
gpu_copy.sv
gpu_kernel.sv
gpu_cp.sv
gpu_nic.sv
gpu_uart.sv
gpu_regs.sv
gpu_dev.sv
gpu_top.sv
