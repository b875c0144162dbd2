// Simulation top of the axi-ram project: BAR0 (64 KiB, 32-bit memory BAR) is
// a third-party AXI4 RAM, Alex Forencich's axi_ram.v (verilog-axi, MIT,
// unchanged), on the bridge's MMIO master. No DMA, no MSI-X, no NIC, no UART.
//
// The bridge's ports connect by name (.*) to the signals below. Its AXI is
// ID 4 / address 64 / data 64 bits; the RAM takes ID 4, data 64 and the low
// 16 address bits (its size), and an active-high reset.
module axi_ram_top (
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
        .VENDOR_ID   (16'h1234),
        .DEVICE_ID   (16'hA4A0),
        .CLASS_CODE  (24'h050000),  // memory controller, RAM
        .REVISION    (8'h01),
        .BAR_SIZE0   (64'h1_0000),
        .MSIX_VECTORS(0)            // no interrupts: no MSI-X capability at all
    ) bridge (.*);

    axi_ram #(
        .DATA_WIDTH(64),
        .ADDR_WIDTH(16),
        .ID_WIDTH  (4)
    ) ram (
        .clk,
        .rst(!dev_rst_n),
        .s_axi_awid(m_axi_awid), .s_axi_awaddr(m_axi_awaddr[15:0]), .s_axi_awlen(m_axi_awlen),
        .s_axi_awsize(m_axi_awsize), .s_axi_awburst(m_axi_awburst),
        .s_axi_awlock(1'b0), .s_axi_awcache(4'h0), .s_axi_awprot(3'h0),
        .s_axi_awvalid(m_axi_awvalid), .s_axi_awready(m_axi_awready),
        .s_axi_wdata(m_axi_wdata), .s_axi_wstrb(m_axi_wstrb), .s_axi_wlast(m_axi_wlast),
        .s_axi_wvalid(m_axi_wvalid), .s_axi_wready(m_axi_wready),
        .s_axi_bid(m_axi_bid), .s_axi_bresp(m_axi_bresp), .s_axi_bvalid(m_axi_bvalid),
        .s_axi_bready(m_axi_bready),
        .s_axi_arid(m_axi_arid), .s_axi_araddr(m_axi_araddr[15:0]), .s_axi_arlen(m_axi_arlen),
        .s_axi_arsize(m_axi_arsize), .s_axi_arburst(m_axi_arburst),
        .s_axi_arlock(1'b0), .s_axi_arcache(4'h0), .s_axi_arprot(3'h0),
        .s_axi_arvalid(m_axi_arvalid), .s_axi_arready(m_axi_arready),
        .s_axi_rid(m_axi_rid), .s_axi_rdata(m_axi_rdata), .s_axi_rresp(m_axi_rresp),
        .s_axi_rlast(m_axi_rlast), .s_axi_rvalid(m_axi_rvalid), .s_axi_rready(m_axi_rready)
    );

    // A RAM never starts anything by itself (an access in progress keeps the
    // bridge awake on its own).
    assign dev_idle = 1'b1;

    // Only BAR0 exists, and it is 64 KiB: the BAR number and the high address
    // bits carry nothing.
    wire unused = &{1'b0, m_axi_awuser, m_axi_aruser, m_axi_awaddr[63:16], m_axi_araddr[63:16],
                    s_axi_bid, s_axi_bresp, s_axi_bvalid, s_axi_awready, s_axi_wready,
                    s_axi_arready, s_axi_rid, s_axi_rdata, s_axi_rresp, s_axi_rlast, s_axi_rvalid,
                    msix_ready, s_axis_tx_tready, m_axis_rx_tdata, m_axis_rx_tkeep, m_axis_rx_tlast,
                    m_axis_rx_tvalid, uart_tx_ready, uart_rx_valid, uart_rx_data,
                    cfg_msix_enable, cfg_msix_masked, cfg_bus_master, cfg_intx_disable};

    // Tie-offs: the device masters no DMA, raises no MSI-X or INTx, sends no
    // frames or bytes, and takes (drops) whatever the host sends.
    assign {s_axi_awid, s_axi_awaddr, s_axi_awlen, s_axi_awsize, s_axi_awburst, s_axi_awvalid} = '0;
    assign {s_axi_wdata, s_axi_wstrb, s_axi_wlast, s_axi_wvalid} = '0;
    assign {s_axi_arid, s_axi_araddr, s_axi_arlen, s_axi_arsize, s_axi_arburst, s_axi_arvalid} = '0;
    assign s_axi_bready = 1'b1;
    assign s_axi_rready = 1'b1;
    assign {msix_valid, msix_vector} = '0;
    assign intx_level = 1'b0;
    assign {s_axis_tx_tdata, s_axis_tx_tkeep, s_axis_tx_tlast, s_axis_tx_tvalid} = '0;
    assign m_axis_rx_tready = 1'b1;
    assign {uart_tx_valid, uart_tx_data} = '0;
    assign uart_rx_ready = 1'b1;
endmodule
