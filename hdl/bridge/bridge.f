# The bridge endpoint: scripts/build-rtl.sh compiles it ahead of every design's
# own file list. Paths are relative to this folder.
+incdir+.
cosim_fifo.sv
cosim_hs_chk.sv
cosim_bridge_mmio.sv
cosim_bridge_dma_wr.sv
cosim_bridge.sv
