// Simulation top of {{NAME}}: the bridge endpoint cosim_bridge (supplied by
// qemu-hdl-bridge, never listed in rtl.f) wired to the device {{NAME_C}}_dev.
// The harness drives clk and rst_n and nothing else, so a top has exactly
// these two ports. The bridge's ports connect by name (.*) to the signals
// below; the device's are mapped explicitly, because its slave is the
// bridge's master and the other way round.
module {{NAME_C}}_top (
    input logic clk,
    input logic rst_n
);
    // The PCI identity, the BAR layout and MSI-X live here and nowhere else:
    // the bridge announces them to QEMU, the device reports the ids in its
    // ID register.
    localparam logic [15:0] VENDOR_ID    = 16'h{{VENDOR_ID}};
    localparam logic [15:0] DEVICE_ID    = 16'h{{DEVICE_ID}};
    localparam int          MSIX_VECTORS = 4;

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
        .VENDOR_ID        (VENDOR_ID),
        .DEVICE_ID        (DEVICE_ID),
        .SUBSYS_VENDOR_ID (VENDOR_ID),
        .SUBSYS_ID        (16'h0001),
        .CLASS_CODE       (24'h{{CLASS}}),
        .REVISION         (8'h01),
        .BAR_SIZE0        (64'h1_0000),  // 64 KiB of registers; 64-bit, so BAR1 is its upper half
        .BAR_FLAGS0       (1),
        .MSIX_VECTORS     (MSIX_VECTORS),
        .MSIX_TABLE_BAR   (0),           // QEMU emulates table and PBA: those
        .MSIX_TABLE_OFFSET(64'h8000),    // offsets never reach the RTL
        .MSIX_PBA_BAR     (0),
        .MSIX_PBA_OFFSET  (64'h9000)
    ) bridge (.*);

    {{NAME_C}}_dev #(
        .VENDOR_ID   (VENDOR_ID),
        .DEVICE_ID   (DEVICE_ID),
        .MSIX_VECTORS(MSIX_VECTORS)
    ) dev (
        .clk, .rst_n(dev_rst_n), .dev_idle,
        .s_axi_awid(m_axi_awid), .s_axi_awaddr(m_axi_awaddr), .s_axi_awuser(m_axi_awuser),
        .s_axi_awvalid(m_axi_awvalid), .s_axi_awready(m_axi_awready),
        .s_axi_wdata(m_axi_wdata), .s_axi_wstrb(m_axi_wstrb),
        .s_axi_wvalid(m_axi_wvalid), .s_axi_wready(m_axi_wready),
        .s_axi_bid(m_axi_bid), .s_axi_bresp(m_axi_bresp), .s_axi_bvalid(m_axi_bvalid), .s_axi_bready(m_axi_bready),
        .s_axi_arid(m_axi_arid), .s_axi_araddr(m_axi_araddr), .s_axi_aruser(m_axi_aruser),
        .s_axi_arvalid(m_axi_arvalid), .s_axi_arready(m_axi_arready),
        .s_axi_rid(m_axi_rid), .s_axi_rdata(m_axi_rdata), .s_axi_rresp(m_axi_rresp),
        .s_axi_rlast(m_axi_rlast), .s_axi_rvalid(m_axi_rvalid), .s_axi_rready(m_axi_rready),
        .m_axi_awid(s_axi_awid), .m_axi_awaddr(s_axi_awaddr), .m_axi_awlen(s_axi_awlen),
        .m_axi_awsize(s_axi_awsize), .m_axi_awburst(s_axi_awburst),
        .m_axi_awvalid(s_axi_awvalid), .m_axi_awready(s_axi_awready),
        .m_axi_wdata(s_axi_wdata), .m_axi_wstrb(s_axi_wstrb), .m_axi_wlast(s_axi_wlast),
        .m_axi_wvalid(s_axi_wvalid), .m_axi_wready(s_axi_wready),
        .m_axi_bresp(s_axi_bresp), .m_axi_bvalid(s_axi_bvalid), .m_axi_bready(s_axi_bready),
        .m_axi_arid(s_axi_arid), .m_axi_araddr(s_axi_araddr), .m_axi_arlen(s_axi_arlen),
        .m_axi_arsize(s_axi_arsize), .m_axi_arburst(s_axi_arburst),
        .m_axi_arvalid(s_axi_arvalid), .m_axi_arready(s_axi_arready),
        .m_axi_rdata(s_axi_rdata), .m_axi_rresp(s_axi_rresp), .m_axi_rlast(s_axi_rlast),
        .m_axi_rvalid(s_axi_rvalid), .m_axi_rready(s_axi_rready),
        .msix_valid, .msix_vector, .msix_ready
    );

    // Left unconnected on purpose: the bridge only ever issues single-beat
    // MMIO (len 0, INCR, wlast 1), so the register slave needs none of those
    // fields; the DMA engine uses one ID, so bid/rid carry nothing; and the
    // NIC and UART inputs are dropped (below).
    wire unused = &{1'b0, m_axi_awlen, m_axi_awsize, m_axi_awburst, m_axi_wlast,
                    m_axi_arlen, m_axi_arsize, m_axi_arburst, s_axi_bid, s_axi_rid,
                    m_axis_rx_tdata, m_axis_rx_tkeep, m_axis_rx_tlast, m_axis_rx_tvalid,
                    s_axis_tx_tready, uart_rx_valid, uart_rx_data, uart_tx_ready,
                    cfg_msix_enable, cfg_msix_masked, cfg_bus_master, cfg_intx_disable};

    // No INTx: the device interrupts by MSI-X only, and ignores the host's
    // PCI config state (cfg_*: MSI-X enable/mask, bus master, INTx disable).
    // For a driver that falls back to INTx, drive intx_level from a status
    // register the driver clears (see hdl/example/ and docs/example-device.md).
    assign intx_level = 1'b0;

    // No NIC and no UART: host frames and bytes are taken and dropped, the
    // device sends none. Replace these with your own logic if you need them.
    assign s_axis_tx_tdata  = '0;
    assign s_axis_tx_tkeep  = '0;
    assign s_axis_tx_tlast  = 1'b0;
    assign s_axis_tx_tvalid = 1'b0;
    assign m_axis_rx_tready = 1'b1;
    assign uart_tx_valid    = 1'b0;
    assign uart_tx_data     = '0;
    assign uart_rx_ready    = 1'b1;
endmodule
