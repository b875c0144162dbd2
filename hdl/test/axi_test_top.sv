// Simulation top of the AXI test device (axi_test_dev.sv) behind the SV
// bridge endpoint; built as a model library for the TypeScript RTL tests:
//   scripts/build-rtl.sh --lib --top axi_test_top --filelist hdl/test/rtl.f (project hdl/test/cosim.json)
// The bridge's ports connect by name (.*) to the signals below; the device's
// are mapped explicitly (its slave is the bridge's master and vice versa).
module axi_test_top (
    input logic clk,
    input logic rst_n
);
    logic        dev_rst_n, dev_idle;
    logic [3:0]  m_axi_awid, m_axi_bid, m_axi_arid, m_axi_rid, s_axi_awid, s_axi_bid, s_axi_arid, s_axi_rid;
    logic [63:0] m_axi_awaddr, m_axi_wdata, m_axi_araddr, m_axi_rdata, s_axi_awaddr, s_axi_wdata, s_axi_araddr, s_axi_rdata;
    logic [7:0]  m_axi_awlen, m_axi_wstrb, m_axi_arlen, s_axi_awlen, s_axi_wstrb, s_axi_arlen;
    logic [2:0]  m_axi_awsize, m_axi_awuser, m_axi_arsize, m_axi_aruser, s_axi_awsize, s_axi_arsize;
    logic [1:0]  m_axi_awburst, m_axi_bresp, m_axi_arburst, m_axi_rresp, s_axi_awburst, s_axi_bresp, s_axi_arburst, s_axi_rresp;
    logic        m_axi_awvalid, m_axi_awready, m_axi_wlast, m_axi_wvalid, m_axi_wready, m_axi_bvalid, m_axi_bready;
    logic        m_axi_arvalid, m_axi_arready, m_axi_rlast, m_axi_rvalid, m_axi_rready;
    logic        s_axi_awvalid, s_axi_awready, s_axi_wlast, s_axi_wvalid, s_axi_wready, s_axi_bvalid, s_axi_bready;
    logic        s_axi_arvalid, s_axi_arready, s_axi_rlast, s_axi_rvalid, s_axi_rready;
    logic        msix_valid, msix_ready;
    logic [15:0] msix_vector;
    logic        intx_level, cfg_msix_enable, cfg_msix_masked, cfg_bus_master, cfg_intx_disable;
    logic [63:0] s_axis_tx_tdata, m_axis_rx_tdata;
    logic [7:0]  s_axis_tx_tkeep, m_axis_rx_tkeep;
    logic        s_axis_tx_tlast, s_axis_tx_tvalid, s_axis_tx_tready;
    logic        m_axis_rx_tlast, m_axis_rx_tvalid, m_axis_rx_tready;
    logic        uart_tx_valid, uart_tx_ready, uart_rx_valid, uart_rx_ready;
    logic [7:0]  uart_tx_data, uart_rx_data;

    cosim_bridge #(
        .VENDOR_ID        (16'h1234),
        .DEVICE_ID        (16'h7E57),
        .SUBSYS_VENDOR_ID (16'h1234),
        .SUBSYS_ID        (16'h0002),
        .CLASS_CODE       (24'hFF0000),
        .REVISION         (8'h01),
        .BAR_SIZE0        (64'h1_0000),
        .MSIX_VECTORS     (8),
        .MSIX_TABLE_BAR   (0),
        .MSIX_TABLE_OFFSET(64'h8000),
        .MSIX_PBA_BAR     (0),
        .MSIX_PBA_OFFSET  (64'h9000)
    ) bridge (.*);

    axi_test_dev dev (
        .clk, .rst_n(dev_rst_n), .dev_idle,
        .s_axi_awid(m_axi_awid), .s_axi_awaddr(m_axi_awaddr), .s_axi_awlen(m_axi_awlen),
        .s_axi_awsize(m_axi_awsize), .s_axi_awburst(m_axi_awburst), .s_axi_awuser(m_axi_awuser),
        .s_axi_awvalid(m_axi_awvalid), .s_axi_awready(m_axi_awready),
        .s_axi_wdata(m_axi_wdata), .s_axi_wstrb(m_axi_wstrb), .s_axi_wlast(m_axi_wlast),
        .s_axi_wvalid(m_axi_wvalid), .s_axi_wready(m_axi_wready),
        .s_axi_bid(m_axi_bid), .s_axi_bresp(m_axi_bresp), .s_axi_bvalid(m_axi_bvalid), .s_axi_bready(m_axi_bready),
        .s_axi_arid(m_axi_arid), .s_axi_araddr(m_axi_araddr), .s_axi_arlen(m_axi_arlen),
        .s_axi_arsize(m_axi_arsize), .s_axi_arburst(m_axi_arburst), .s_axi_aruser(m_axi_aruser),
        .s_axi_arvalid(m_axi_arvalid), .s_axi_arready(m_axi_arready),
        .s_axi_rid(m_axi_rid), .s_axi_rdata(m_axi_rdata), .s_axi_rresp(m_axi_rresp),
        .s_axi_rlast(m_axi_rlast), .s_axi_rvalid(m_axi_rvalid), .s_axi_rready(m_axi_rready),
        .m_axi_awid(s_axi_awid), .m_axi_awaddr(s_axi_awaddr), .m_axi_awlen(s_axi_awlen),
        .m_axi_awsize(s_axi_awsize), .m_axi_awburst(s_axi_awburst),
        .m_axi_awvalid(s_axi_awvalid), .m_axi_awready(s_axi_awready),
        .m_axi_wdata(s_axi_wdata), .m_axi_wstrb(s_axi_wstrb), .m_axi_wlast(s_axi_wlast),
        .m_axi_wvalid(s_axi_wvalid), .m_axi_wready(s_axi_wready),
        .m_axi_bid(s_axi_bid), .m_axi_bresp(s_axi_bresp), .m_axi_bvalid(s_axi_bvalid), .m_axi_bready(s_axi_bready),
        .m_axi_arid(s_axi_arid), .m_axi_araddr(s_axi_araddr), .m_axi_arlen(s_axi_arlen),
        .m_axi_arsize(s_axi_arsize), .m_axi_arburst(s_axi_arburst),
        .m_axi_arvalid(s_axi_arvalid), .m_axi_arready(s_axi_arready),
        .m_axi_rid(s_axi_rid), .m_axi_rdata(s_axi_rdata), .m_axi_rresp(s_axi_rresp),
        .m_axi_rlast(s_axi_rlast), .m_axi_rvalid(s_axi_rvalid), .m_axi_rready(s_axi_rready),
        .msix_valid, .msix_vector, .msix_ready,
        .s_axis_rx_tdata(m_axis_rx_tdata), .s_axis_rx_tkeep(m_axis_rx_tkeep), .s_axis_rx_tlast(m_axis_rx_tlast),
        .s_axis_rx_tvalid(m_axis_rx_tvalid), .s_axis_rx_tready(m_axis_rx_tready),
        .m_axis_tx_tdata(s_axis_tx_tdata), .m_axis_tx_tkeep(s_axis_tx_tkeep), .m_axis_tx_tlast(s_axis_tx_tlast),
        .m_axis_tx_tvalid(s_axis_tx_tvalid), .m_axis_tx_tready(s_axis_tx_tready),
        .uart_rx_valid, .uart_rx_data, .uart_rx_ready,
        .uart_tx_valid, .uart_tx_data, .uart_tx_ready
    );

    // The AXI test device interrupts by MSI-X only and ignores the host's
    // config state.
    assign intx_level = 1'b0;
    wire unused = &{1'b0, cfg_msix_enable, cfg_msix_masked, cfg_bus_master, cfg_intx_disable};
endmodule
