// Simulation top: the bridge plus the example device. The C++ harness
// drives clk and rst_n (active low) and nothing else.
module cosim_top (
    input logic clk,
    input logic rst_n
);
    localparam int MSIX_VECTORS = 4;

    logic dev_rst_n, dev_idle;

    // MMIO: bridge master -> device slave
    logic [3:0]  mm_awid, mm_bid, mm_arid, mm_rid;
    logic [63:0] mm_awaddr, mm_wdata, mm_araddr, mm_rdata;
    logic [7:0]  mm_awlen, mm_wstrb, mm_arlen;
    logic [2:0]  mm_awsize, mm_awuser, mm_arsize, mm_aruser;
    logic [1:0]  mm_awburst, mm_bresp, mm_arburst, mm_rresp;
    logic        mm_awvalid, mm_awready, mm_wlast, mm_wvalid, mm_wready, mm_bvalid, mm_bready;
    logic        mm_arvalid, mm_arready, mm_rlast, mm_rvalid, mm_rready;

    // DMA: device master -> bridge slave
    logic [3:0]  dm_awid, dm_bid, dm_arid, dm_rid;
    logic [63:0] dm_awaddr, dm_wdata, dm_araddr, dm_rdata;
    logic [7:0]  dm_awlen, dm_wstrb, dm_arlen;
    logic [2:0]  dm_awsize, dm_arsize;
    logic [1:0]  dm_awburst, dm_bresp, dm_arburst, dm_rresp;
    logic        dm_awvalid, dm_awready, dm_wlast, dm_wvalid, dm_wready, dm_bvalid, dm_bready;
    logic        dm_arvalid, dm_arready, dm_rlast, dm_rvalid, dm_rready;

    logic        msix_valid, msix_ready;
    logic [15:0] msix_vector;
    logic        intx_level, cfg_msix_enable, cfg_msix_masked, cfg_bus_master, cfg_intx_disable;

    logic [63:0] tx_tdata, rx_tdata;
    logic [7:0]  tx_tkeep, rx_tkeep;
    logic        tx_tlast, tx_tvalid, tx_tready, rx_tlast, rx_tvalid, rx_tready;

    logic        utx_valid, utx_ready, urx_valid, urx_ready;
    logic [7:0]  utx_data, urx_data;

    cosim_bridge #(
        .VENDOR_ID        (16'h1234),
        .DEVICE_ID        (16'hC051),
        .SUBSYS_VENDOR_ID (16'h1234),
        .SUBSYS_ID        (16'h0001),
        .CLASS_CODE       (24'h120000),  // processing accelerator
        .REVISION         (8'h01),
        .BAR_SIZE0        (64'h1_0000),  // 64 KiB, 64-bit: BAR1 is its upper half
        .BAR_FLAGS0       (1),
        .BAR_SIZE2        (64'h1000),    // 4 KiB, 32-bit
        .BAR_FLAGS2       (0),
        .MSIX_VECTORS     (MSIX_VECTORS),
        .MSIX_TABLE_BAR   (0),
        .MSIX_TABLE_OFFSET(64'h8000),
        .MSIX_PBA_BAR     (0),
        .MSIX_PBA_OFFSET  (64'h9000)
    ) bridge (
        .clk, .rst_n, .dev_rst_n, .dev_idle,
        .m_axi_awid(mm_awid), .m_axi_awaddr(mm_awaddr), .m_axi_awlen(mm_awlen),
        .m_axi_awsize(mm_awsize), .m_axi_awburst(mm_awburst), .m_axi_awuser(mm_awuser),
        .m_axi_awvalid(mm_awvalid), .m_axi_awready(mm_awready),
        .m_axi_wdata(mm_wdata), .m_axi_wstrb(mm_wstrb), .m_axi_wlast(mm_wlast),
        .m_axi_wvalid(mm_wvalid), .m_axi_wready(mm_wready),
        .m_axi_bid(mm_bid), .m_axi_bresp(mm_bresp), .m_axi_bvalid(mm_bvalid),
        .m_axi_bready(mm_bready),
        .m_axi_arid(mm_arid), .m_axi_araddr(mm_araddr), .m_axi_arlen(mm_arlen),
        .m_axi_arsize(mm_arsize), .m_axi_arburst(mm_arburst), .m_axi_aruser(mm_aruser),
        .m_axi_arvalid(mm_arvalid), .m_axi_arready(mm_arready),
        .m_axi_rid(mm_rid), .m_axi_rdata(mm_rdata), .m_axi_rresp(mm_rresp),
        .m_axi_rlast(mm_rlast), .m_axi_rvalid(mm_rvalid), .m_axi_rready(mm_rready),
        .s_axi_awid(dm_awid), .s_axi_awaddr(dm_awaddr), .s_axi_awlen(dm_awlen),
        .s_axi_awsize(dm_awsize), .s_axi_awburst(dm_awburst),
        .s_axi_awvalid(dm_awvalid), .s_axi_awready(dm_awready),
        .s_axi_wdata(dm_wdata), .s_axi_wstrb(dm_wstrb), .s_axi_wlast(dm_wlast),
        .s_axi_wvalid(dm_wvalid), .s_axi_wready(dm_wready),
        .s_axi_bid(dm_bid), .s_axi_bresp(dm_bresp), .s_axi_bvalid(dm_bvalid),
        .s_axi_bready(dm_bready),
        .s_axi_arid(dm_arid), .s_axi_araddr(dm_araddr), .s_axi_arlen(dm_arlen),
        .s_axi_arsize(dm_arsize), .s_axi_arburst(dm_arburst),
        .s_axi_arvalid(dm_arvalid), .s_axi_arready(dm_arready),
        .s_axi_rid(dm_rid), .s_axi_rdata(dm_rdata), .s_axi_rresp(dm_rresp),
        .s_axi_rlast(dm_rlast), .s_axi_rvalid(dm_rvalid), .s_axi_rready(dm_rready),
        .msix_valid, .msix_vector, .msix_ready,
        .intx_level, .cfg_msix_enable, .cfg_msix_masked, .cfg_bus_master, .cfg_intx_disable,
        .s_axis_tx_tdata(tx_tdata), .s_axis_tx_tkeep(tx_tkeep), .s_axis_tx_tlast(tx_tlast),
        .s_axis_tx_tvalid(tx_tvalid), .s_axis_tx_tready(tx_tready),
        .m_axis_rx_tdata(rx_tdata), .m_axis_rx_tkeep(rx_tkeep), .m_axis_rx_tlast(rx_tlast),
        .m_axis_rx_tvalid(rx_tvalid), .m_axis_rx_tready(rx_tready),
        .uart_tx_valid(utx_valid), .uart_tx_data(utx_data), .uart_tx_ready(utx_ready),
        .uart_rx_valid(urx_valid), .uart_rx_data(urx_data), .uart_rx_ready(urx_ready)
    );

    example_dev #(.MSIX_VECTORS(MSIX_VECTORS)) dev (
        .clk, .rst_n(dev_rst_n), .dev_idle,
        .s_axi_awid(mm_awid), .s_axi_awaddr(mm_awaddr), .s_axi_awlen(mm_awlen),
        .s_axi_awsize(mm_awsize), .s_axi_awburst(mm_awburst), .s_axi_awuser(mm_awuser),
        .s_axi_awvalid(mm_awvalid), .s_axi_awready(mm_awready),
        .s_axi_wdata(mm_wdata), .s_axi_wstrb(mm_wstrb), .s_axi_wlast(mm_wlast),
        .s_axi_wvalid(mm_wvalid), .s_axi_wready(mm_wready),
        .s_axi_bid(mm_bid), .s_axi_bresp(mm_bresp), .s_axi_bvalid(mm_bvalid),
        .s_axi_bready(mm_bready),
        .s_axi_arid(mm_arid), .s_axi_araddr(mm_araddr), .s_axi_arlen(mm_arlen),
        .s_axi_arsize(mm_arsize), .s_axi_arburst(mm_arburst), .s_axi_aruser(mm_aruser),
        .s_axi_arvalid(mm_arvalid), .s_axi_arready(mm_arready),
        .s_axi_rid(mm_rid), .s_axi_rdata(mm_rdata), .s_axi_rresp(mm_rresp),
        .s_axi_rlast(mm_rlast), .s_axi_rvalid(mm_rvalid), .s_axi_rready(mm_rready),
        .m_axi_awid(dm_awid), .m_axi_awaddr(dm_awaddr), .m_axi_awlen(dm_awlen),
        .m_axi_awsize(dm_awsize), .m_axi_awburst(dm_awburst),
        .m_axi_awvalid(dm_awvalid), .m_axi_awready(dm_awready),
        .m_axi_wdata(dm_wdata), .m_axi_wstrb(dm_wstrb), .m_axi_wlast(dm_wlast),
        .m_axi_wvalid(dm_wvalid), .m_axi_wready(dm_wready),
        .m_axi_bid(dm_bid), .m_axi_bresp(dm_bresp), .m_axi_bvalid(dm_bvalid),
        .m_axi_bready(dm_bready),
        .m_axi_arid(dm_arid), .m_axi_araddr(dm_araddr), .m_axi_arlen(dm_arlen),
        .m_axi_arsize(dm_arsize), .m_axi_arburst(dm_arburst),
        .m_axi_arvalid(dm_arvalid), .m_axi_arready(dm_arready),
        .m_axi_rid(dm_rid), .m_axi_rdata(dm_rdata), .m_axi_rresp(dm_rresp),
        .m_axi_rlast(dm_rlast), .m_axi_rvalid(dm_rvalid), .m_axi_rready(dm_rready),
        .msix_valid, .msix_vector, .msix_ready,
        .intx_level, .cfg_msix_enable, .cfg_msix_masked, .cfg_bus_master, .cfg_intx_disable,
        .s_axis_rx_tdata(rx_tdata), .s_axis_rx_tkeep(rx_tkeep), .s_axis_rx_tlast(rx_tlast),
        .s_axis_rx_tvalid(rx_tvalid), .s_axis_rx_tready(rx_tready),
        .m_axis_tx_tdata(tx_tdata), .m_axis_tx_tkeep(tx_tkeep), .m_axis_tx_tlast(tx_tlast),
        .m_axis_tx_tvalid(tx_tvalid), .m_axis_tx_tready(tx_tready),
        .uart_rx_valid(urx_valid), .uart_rx_data(urx_data), .uart_rx_ready(urx_ready),
        .uart_tx_valid(utx_valid), .uart_tx_data(utx_data), .uart_tx_ready(utx_ready)
    );
endmodule
