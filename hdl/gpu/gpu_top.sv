// Simulation top of the GPU front-end: the bridge endpoint (hdl/bridge/)
// and the device, wired together. The C++ harness drives clk and rst_n.
//
//   host MMIO ─► axi_reg_slave ─► gpu_regs ─┬─ BAR0 registers, interrupts ─► msix_arb / INTx
//                                           ├─ BAR2 doorbell ─► gpu_cp (command ring)
//                                           └─ BAR4 ─► gpu_vram port A
//   gpu_cp ─┬─ fetch (dma_rd) ───────────────┐
//           ├─ gpu_copy (dma_rd/dma_wr) ─────┼─► gpu_axi_mux ─► bridge DMA slave
//           └─ gpu_kernel ─► gpu_vram B      │
//   gpu_nic (descriptor rings, dma_rd/wr) ───┘   and AXI-Stream TX/RX
//   gpu_uart ◄─► bridge byte stream
//
// Identity and BAR layout come from the register map (gpu_regs_pkg, made
// from hdl/gpu/regmap.json). docs/gpu.md describes the design.
module gpu_top
    import gpu_regs_pkg::*;
    import axi_pkg::*;
    import gpu_axi_pkg::*;
(
    input logic clk,
    input logic rst_n
);
    logic dev_rst_n, dev_idle;

    // MMIO: bridge master -> register slave (user = BAR number)
    axi_req_t    mm_req;
    axi_rsp_t    mm_rsp;
    logic [2:0]  mm_awuser, mm_aruser;
    // DMA: the device's masters (through the mux) -> bridge slave
    axi_req_t    dma_req;
    axi_rsp_t    dma_rsp;

    logic        msix_valid, msix_ready;
    logic [15:0] msix_vector;
    logic        intx_level, cfg_msix_enable, cfg_msix_masked, cfg_bus_master, cfg_intx_disable;
    logic [63:0] tx_tdata, rx_tdata;
    logic [7:0]  tx_tkeep, rx_tkeep;
    logic        tx_tlast, tx_tvalid, tx_tready, rx_tlast, rx_tvalid, rx_tready;
    logic        utx_valid, utx_ready, urx_valid, urx_ready;
    logic [7:0]  utx_data, urx_data;

    cosim_bridge #(
        .VENDOR_ID(VENDOR_ID), .DEVICE_ID(DEVICE_ID),
        .SUBSYS_VENDOR_ID(SUBSYS_VENDOR_ID), .SUBSYS_ID(SUBSYS_ID),
        .CLASS_CODE(CLASS_CODE), .REVISION(REVISION),
        .BAR_SIZE0(BAR_REGS_SIZE), .BAR_FLAGS0(BAR_REGS_FLAGS),
        .BAR_SIZE2(BAR_DOORBELL_SIZE), .BAR_FLAGS2(BAR_DOORBELL_FLAGS),
        .BAR_SIZE4(BAR_VRAM_SIZE), .BAR_FLAGS4(BAR_VRAM_FLAGS),
        .MSIX_VECTORS(MSIX_VECTORS),
        .MSIX_TABLE_BAR(MSIX_TABLE_BAR), .MSIX_TABLE_OFFSET(MSIX_TABLE_OFFSET),
        .MSIX_PBA_BAR(MSIX_PBA_BAR), .MSIX_PBA_OFFSET(MSIX_PBA_OFFSET)
    ) bridge (
        .clk, .rst_n, .dev_rst_n, .dev_idle,
        .m_axi_awid(mm_req.awid), .m_axi_awaddr(mm_req.awaddr), .m_axi_awlen(mm_req.awlen),
        .m_axi_awsize(mm_req.awsize), .m_axi_awburst(mm_req.awburst), .m_axi_awuser(mm_awuser),
        .m_axi_awvalid(mm_req.awvalid), .m_axi_awready(mm_rsp.awready),
        .m_axi_wdata(mm_req.wdata), .m_axi_wstrb(mm_req.wstrb), .m_axi_wlast(mm_req.wlast),
        .m_axi_wvalid(mm_req.wvalid), .m_axi_wready(mm_rsp.wready),
        .m_axi_bid(mm_rsp.bid), .m_axi_bresp(mm_rsp.bresp), .m_axi_bvalid(mm_rsp.bvalid),
        .m_axi_bready(mm_req.bready),
        .m_axi_arid(mm_req.arid), .m_axi_araddr(mm_req.araddr), .m_axi_arlen(mm_req.arlen),
        .m_axi_arsize(mm_req.arsize), .m_axi_arburst(mm_req.arburst), .m_axi_aruser(mm_aruser),
        .m_axi_arvalid(mm_req.arvalid), .m_axi_arready(mm_rsp.arready),
        .m_axi_rid(mm_rsp.rid), .m_axi_rdata(mm_rsp.rdata), .m_axi_rresp(mm_rsp.rresp),
        .m_axi_rlast(mm_rsp.rlast), .m_axi_rvalid(mm_rsp.rvalid), .m_axi_rready(mm_req.rready),
        .s_axi_awid(dma_req.awid), .s_axi_awaddr(dma_req.awaddr), .s_axi_awlen(dma_req.awlen),
        .s_axi_awsize(dma_req.awsize), .s_axi_awburst(dma_req.awburst),
        .s_axi_awvalid(dma_req.awvalid), .s_axi_awready(dma_rsp.awready),
        .s_axi_wdata(dma_req.wdata), .s_axi_wstrb(dma_req.wstrb), .s_axi_wlast(dma_req.wlast),
        .s_axi_wvalid(dma_req.wvalid), .s_axi_wready(dma_rsp.wready),
        .s_axi_bid(dma_rsp.bid), .s_axi_bresp(dma_rsp.bresp), .s_axi_bvalid(dma_rsp.bvalid),
        .s_axi_bready(dma_req.bready),
        .s_axi_arid(dma_req.arid), .s_axi_araddr(dma_req.araddr), .s_axi_arlen(dma_req.arlen),
        .s_axi_arsize(dma_req.arsize), .s_axi_arburst(dma_req.arburst),
        .s_axi_arvalid(dma_req.arvalid), .s_axi_arready(dma_rsp.arready),
        .s_axi_rid(dma_rsp.rid), .s_axi_rdata(dma_rsp.rdata), .s_axi_rresp(dma_rsp.rresp),
        .s_axi_rlast(dma_rsp.rlast), .s_axi_rvalid(dma_rsp.rvalid), .s_axi_rready(dma_req.rready),
        .msix_valid, .msix_vector, .msix_ready,
        .intx_level, .cfg_msix_enable, .cfg_msix_masked, .cfg_bus_master, .cfg_intx_disable,
        .s_axis_tx_tdata(tx_tdata), .s_axis_tx_tkeep(tx_tkeep), .s_axis_tx_tlast(tx_tlast),
        .s_axis_tx_tvalid(tx_tvalid), .s_axis_tx_tready(tx_tready),
        .m_axis_rx_tdata(rx_tdata), .m_axis_rx_tkeep(rx_tkeep), .m_axis_rx_tlast(rx_tlast),
        .m_axis_rx_tvalid(rx_tvalid), .m_axis_rx_tready(rx_tready),
        .uart_tx_valid(utx_valid), .uart_tx_data(utx_data), .uart_tx_ready(utx_ready),
        .uart_rx_valid(urx_valid), .uart_rx_data(urx_data), .uart_rx_ready(urx_ready)
    );

    gpu_dev dev (
        .clk, .rst_n(dev_rst_n), .dev_idle,
        .mm_req, .mm_rsp, .mm_awuser, .mm_aruser, .dma_req, .dma_rsp,
        .msix_valid, .msix_vector, .msix_ready,
        .intx_level, .cfg_state({cfg_intx_disable, cfg_bus_master, cfg_msix_masked, cfg_msix_enable}),
        .tx_tdata, .tx_tkeep, .tx_tlast, .tx_tvalid, .tx_tready,
        .rx_tdata, .rx_tkeep, .rx_tlast, .rx_tvalid, .rx_tready,
        .utx_valid, .utx_data, .utx_ready, .urx_valid, .urx_data, .urx_ready
    );
endmodule
