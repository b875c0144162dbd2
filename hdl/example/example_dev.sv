// Example device for the co-simulation bridge: exercises every bridge port.
//   BAR0 registers / BAR2 RAM (example_regs), a DMA copy engine
//   (example_dma), an interrupt on request or DMA completion (MSI-X, or
//   INTx with IRQ_STATUS while the host has MSI-X disabled), a NIC that
//   loops every host frame back, and a UART that echoes every byte.
// Register map: docs/example-device.md.
module example_dev #(
    parameter int MSIX_VECTORS = 4
) (
    input  logic        clk,
    input  logic        rst_n,
    output logic        dev_idle,

    // AXI4 slave: host MMIO from the bridge (user = BAR number)
    input  logic [3:0]  s_axi_awid,
    input  logic [63:0] s_axi_awaddr,
    input  logic [7:0]  s_axi_awlen,
    input  logic [2:0]  s_axi_awsize,
    input  logic [1:0]  s_axi_awburst,
    input  logic [2:0]  s_axi_awuser,
    input  logic        s_axi_awvalid,
    output logic        s_axi_awready,
    input  logic [63:0] s_axi_wdata,
    input  logic [7:0]  s_axi_wstrb,
    input  logic        s_axi_wlast,
    input  logic        s_axi_wvalid,
    output logic        s_axi_wready,
    output logic [3:0]  s_axi_bid,
    output logic [1:0]  s_axi_bresp,
    output logic        s_axi_bvalid,
    input  logic        s_axi_bready,
    input  logic [3:0]  s_axi_arid,
    input  logic [63:0] s_axi_araddr,
    input  logic [7:0]  s_axi_arlen,
    input  logic [2:0]  s_axi_arsize,
    input  logic [1:0]  s_axi_arburst,
    input  logic [2:0]  s_axi_aruser,
    input  logic        s_axi_arvalid,
    output logic        s_axi_arready,
    output logic [3:0]  s_axi_rid,
    output logic [63:0] s_axi_rdata,
    output logic [1:0]  s_axi_rresp,
    output logic        s_axi_rlast,
    output logic        s_axi_rvalid,
    input  logic        s_axi_rready,

    // AXI4 master: DMA to host memory
    output logic [3:0]  m_axi_awid,
    output logic [63:0] m_axi_awaddr,
    output logic [7:0]  m_axi_awlen,
    output logic [2:0]  m_axi_awsize,
    output logic [1:0]  m_axi_awburst,
    output logic        m_axi_awvalid,
    input  logic        m_axi_awready,
    output logic [63:0] m_axi_wdata,
    output logic [7:0]  m_axi_wstrb,
    output logic        m_axi_wlast,
    output logic        m_axi_wvalid,
    input  logic        m_axi_wready,
    input  logic [3:0]  m_axi_bid,
    input  logic [1:0]  m_axi_bresp,
    input  logic        m_axi_bvalid,
    output logic        m_axi_bready,
    output logic [3:0]  m_axi_arid,
    output logic [63:0] m_axi_araddr,
    output logic [7:0]  m_axi_arlen,
    output logic [2:0]  m_axi_arsize,
    output logic [1:0]  m_axi_arburst,
    output logic        m_axi_arvalid,
    input  logic        m_axi_arready,
    input  logic [3:0]  m_axi_rid,
    input  logic [63:0] m_axi_rdata,
    input  logic [1:0]  m_axi_rresp,
    input  logic        m_axi_rlast,
    input  logic        m_axi_rvalid,
    output logic        m_axi_rready,

    output logic        msix_valid,
    output logic [15:0] msix_vector,
    input  logic        msix_ready,

    // INTx and the host's PCI config state (cosim_bridge cfg_*)
    output logic        intx_level,
    input  logic        cfg_msix_enable,
    input  logic        cfg_msix_masked,
    input  logic        cfg_bus_master,
    input  logic        cfg_intx_disable,

    // NIC: host -> device frames in, device -> host frames out
    input  logic [63:0] s_axis_rx_tdata,
    input  logic [7:0]  s_axis_rx_tkeep,
    input  logic        s_axis_rx_tlast,
    input  logic        s_axis_rx_tvalid,
    output logic        s_axis_rx_tready,
    output logic [63:0] m_axis_tx_tdata,
    output logic [7:0]  m_axis_tx_tkeep,
    output logic        m_axis_tx_tlast,
    output logic        m_axis_tx_tvalid,
    input  logic        m_axis_tx_tready,

    input  logic        uart_rx_valid,
    input  logic [7:0]  uart_rx_data,
    output logic        uart_rx_ready,
    output logic        uart_tx_valid,
    output logic [7:0]  uart_tx_data,
    input  logic        uart_tx_ready
);
    logic        regs_idle, dma_start, dma_irq_en, dma_busy, dma_done, dma_error, dma_irq;
    logic [63:0] dma_src, dma_dst, dma_len;
    logic [7:0]  dma_irq_vec, dma_irq_vector;
    logic        trig_valid;
    logic [15:0] trig_vector;
    logic [63:0] nic_frames, uart_bytes;
    logic [MSIX_VECTORS-1:0] irq_set, irq_status;

    logic        acc_valid, acc_write;
    logic [2:0]  acc_bar;
    logic [63:0] acc_addr, acc_wdata, acc_rdata;
    logic [7:0]  acc_wstrb;
    logic [1:0]  acc_resp;

    axi_reg_slave slave (
        .clk, .rst_n,
        .s_axi_awid, .s_axi_awaddr, .s_axi_awlen, .s_axi_awsize, .s_axi_awburst,
        .s_axi_awuser, .s_axi_awvalid, .s_axi_awready,
        .s_axi_wdata, .s_axi_wstrb, .s_axi_wlast, .s_axi_wvalid, .s_axi_wready,
        .s_axi_bid, .s_axi_bresp, .s_axi_bvalid, .s_axi_bready,
        .s_axi_arid, .s_axi_araddr, .s_axi_arlen, .s_axi_arsize, .s_axi_arburst,
        .s_axi_aruser, .s_axi_arvalid, .s_axi_arready,
        .s_axi_rid, .s_axi_rdata, .s_axi_rresp, .s_axi_rlast, .s_axi_rvalid, .s_axi_rready,
        .idle(regs_idle),
        .acc_valid, .acc_write, .acc_bar, .acc_addr, .acc_wdata, .acc_wstrb,
        .acc_ready(1'b1), .acc_rdata, .acc_resp
    );

    example_regs #(.VECTORS(MSIX_VECTORS)) regs (
        .clk, .rst_n,
        .acc_valid, .acc_write, .acc_bar, .acc_addr, .acc_wdata, .acc_wstrb, .acc_rdata, .acc_resp,
        .dma_start, .dma_src, .dma_dst, .dma_len, .dma_irq_en, .dma_irq_vec,
        .dma_busy, .dma_done, .dma_error,
        .trig_valid, .trig_vector,
        .nic_frames, .uart_bytes,
        .irq_set, .irq_status,
        .cfg_view({intx_level, cfg_intx_disable, cfg_bus_master, cfg_msix_masked, cfg_msix_enable})
    );

    example_dma dma (
        .clk, .rst_n,
        .start(dma_start), .src(dma_src), .dst(dma_dst), .len(dma_len),
        .irq_en(dma_irq_en), .irq_vec(dma_irq_vec), .bus_master(cfg_bus_master),
        .busy(dma_busy), .done(dma_done), .error(dma_error),
        .irq(dma_irq), .irq_vector(dma_irq_vector),
        .m_axi_arid, .m_axi_araddr, .m_axi_arlen, .m_axi_arsize, .m_axi_arburst,
        .m_axi_arvalid, .m_axi_arready,
        .m_axi_rid, .m_axi_rdata, .m_axi_rresp, .m_axi_rlast, .m_axi_rvalid, .m_axi_rready,
        .m_axi_awid, .m_axi_awaddr, .m_axi_awlen, .m_axi_awsize, .m_axi_awburst,
        .m_axi_awvalid, .m_axi_awready,
        .m_axi_wdata, .m_axi_wstrb, .m_axi_wlast, .m_axi_wvalid, .m_axi_wready,
        .m_axi_bid, .m_axi_bresp, .m_axi_bvalid, .m_axi_bready
    );

    // ---- Interrupts: a raised vector goes out as an MSI-X while the host
    // has MSI-X enabled, else it sets its IRQ_STATUS bit, and INTx is up
    // while any bit is set (never both, so a driver that switches modes
    // sees no stale cause). The MSI-X side keeps one pending bit per vector
    // (hdl/lib/msix_arb.sv). Vectors the device does not have are ignored.
    localparam int VW = $clog2(MSIX_VECTORS);

    logic [MSIX_VECTORS-1:0] msix_req;
    logic                    msix_busy;

    assign irq_set    = cfg_msix_enable ? '0 : msix_req;
    assign intx_level = irq_status != '0;

    always_comb begin
        msix_req = '0;
        if (trig_valid && trig_vector < 16'(MSIX_VECTORS)) msix_req[trig_vector[VW-1:0]] = 1'b1;
        if (dma_irq && dma_irq_vector < 8'(MSIX_VECTORS)) msix_req[dma_irq_vector[VW-1:0]] = 1'b1;
    end

    msix_arb #(.VECTORS(MSIX_VECTORS)) msix (
        .clk, .rst_n, .req(cfg_msix_enable ? msix_req : '0), .msix_valid, .msix_vector, .msix_ready,
        .busy(msix_busy)
    );

    // ---- NIC loopback: a 16 KiB beat FIFO; cut-through, so a frame of any
    // length flows and back-pressure on either side simply propagates.
    logic [72:0] nic_out;
    cosim_fifo #(.WIDTH(73), .DEPTH(2048)) nic_fifo (
        .clk, .rst_n,
        .in_valid (s_axis_rx_tvalid),
        .in_ready (s_axis_rx_tready),
        .in_data  ({s_axis_rx_tdata, s_axis_rx_tkeep, s_axis_rx_tlast}),
        .out_valid(m_axis_tx_tvalid),
        .out_ready(m_axis_tx_tready),
        .out_data (nic_out)
    );
    assign {m_axis_tx_tdata, m_axis_tx_tkeep, m_axis_tx_tlast} = nic_out;

    // ---- UART echo.
    cosim_fifo #(.WIDTH(8), .DEPTH(16)) uart_fifo (
        .clk, .rst_n,
        .in_valid (uart_rx_valid),
        .in_ready (uart_rx_ready),
        .in_data  (uart_rx_data),
        .out_valid(uart_tx_valid),
        .out_ready(uart_tx_ready),
        .out_data (uart_tx_data)
    );

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            nic_frames <= '0;
            uart_bytes <= '0;
        end else begin
            if (m_axis_tx_tvalid && m_axis_tx_tready && m_axis_tx_tlast)
                nic_frames <= nic_frames + 64'd1;
            if (uart_tx_valid && uart_tx_ready) uart_bytes <= uart_bytes + 64'd1;
        end
    end

    // Idle: nothing that needs clocks to make progress on its own.
    assign dev_idle = regs_idle && !dma_busy && !dma_start && !dma_irq && !trig_valid
                   && !msix_busy && !m_axis_tx_tvalid && !uart_tx_valid;
endmodule
