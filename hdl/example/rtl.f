# Example device file list (scripts/build-rtl.sh --filelist hdl/example/rtl.f).
# Top module: cosim_top. Paths are relative to this folder; the bridge endpoint
# (hdl/bridge/bridge.f) is added by scripts/build-rtl.sh.
../lib/axi_pkg.sv
../lib/dma_pkg.sv
../lib/dma_align.sv
../lib/dma_rd.sv
../lib/dma_wr.sv
../lib/axi_reg_slave.sv
../lib/msix_arb.sv
example_regs.sv
example_dma.sv
example_dev.sv
cosim_top.sv
