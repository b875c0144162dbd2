// The GPU front-end device behind the bridge (see gpu_top.sv for the
// picture and docs/gpu.md for the behaviour).
//
// Resets: rst_n is the bridge's device reset. A soft reset (SOFT_RESET
// register) holds every engine and register in reset (core_rst_n) until the
// DMA mux has nothing outstanding, at least 16 clocks; the MMIO front end,
// the mux, the cycle counter and the stream guards below stay out of it, so
// MMIO keeps answering and no AXI or stream transfer is left half done.
module gpu_dev
    import gpu_regs_pkg::*;
    import axi_pkg::*;
    import gpu_axi_pkg::*;
(
    input  logic        clk,
    input  logic        rst_n,
    output logic        dev_idle,

    input  axi_req_t    mm_req,
    output axi_rsp_t    mm_rsp,
    input  logic [2:0]  mm_awuser,
    input  logic [2:0]  mm_aruser,
    output axi_req_t    dma_req,
    input  axi_rsp_t    dma_rsp,

    output logic        msix_valid,
    output logic [15:0] msix_vector,
    input  logic        msix_ready,

    output logic        intx_level,
    input  logic [3:0]  cfg_state,   // cosim_bridge cfg_*: {INTx disable, bus master, MSI-X masked, MSI-X enable}

    output logic [63:0] tx_tdata,
    output logic [7:0]  tx_tkeep,
    output logic        tx_tlast,
    output logic        tx_tvalid,
    input  logic        tx_tready,
    input  logic [63:0] rx_tdata,
    input  logic [7:0]  rx_tkeep,
    input  logic        rx_tlast,
    input  logic        rx_tvalid,
    output logic        rx_tready,

    output logic        utx_valid,
    output logic [7:0]  utx_data,
    input  logic        utx_ready,
    input  logic        urx_valid,
    input  logic [7:0]  urx_data,
    output logic        urx_ready
);
    // ------------------------------------------------------------------
    // Clock counter and soft reset.
    logic [63:0] cycle;
    logic        sreset, soft_reset, mux_quiet;
    logic [4:0]  sreset_cnt;
    wire         core_rst_n = rst_n && !sreset;

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            cycle  <= '0;
            sreset <= 1'b0;
        end else begin
            cycle <= cycle + 64'd1;
            if (soft_reset) begin
                sreset     <= 1'b1;
                sreset_cnt <= 5'd16;
            end else if (sreset) begin
                if (sreset_cnt != '0) sreset_cnt <= sreset_cnt - 5'd1;
                else if (mux_quiet) sreset <= 1'b0;
            end
        end
    end

    // ------------------------------------------------------------------
    // MMIO front end and registers.
    logic        slave_idle, acc_valid, acc_write, acc_ready;
    logic [2:0]  acc_bar;
    logic [63:0] acc_addr, acc_wdata, acc_rdata;
    logic [7:0]  acc_wstrb;
    logic [1:0]  acc_resp;

    axi_reg_slave slave (
        .clk, .rst_n,
        .s_axi_awid(mm_req.awid), .s_axi_awaddr(mm_req.awaddr), .s_axi_awlen(mm_req.awlen),
        .s_axi_awsize(mm_req.awsize), .s_axi_awburst(mm_req.awburst), .s_axi_awuser(mm_awuser),
        .s_axi_awvalid(mm_req.awvalid), .s_axi_awready(mm_rsp.awready),
        .s_axi_wdata(mm_req.wdata), .s_axi_wstrb(mm_req.wstrb), .s_axi_wlast(mm_req.wlast),
        .s_axi_wvalid(mm_req.wvalid), .s_axi_wready(mm_rsp.wready),
        .s_axi_bid(mm_rsp.bid), .s_axi_bresp(mm_rsp.bresp), .s_axi_bvalid(mm_rsp.bvalid),
        .s_axi_bready(mm_req.bready),
        .s_axi_arid(mm_req.arid), .s_axi_araddr(mm_req.araddr), .s_axi_arlen(mm_req.arlen),
        .s_axi_arsize(mm_req.arsize), .s_axi_arburst(mm_req.arburst), .s_axi_aruser(mm_aruser),
        .s_axi_arvalid(mm_req.arvalid), .s_axi_arready(mm_rsp.arready),
        .s_axi_rid(mm_rsp.rid), .s_axi_rdata(mm_rsp.rdata), .s_axi_rresp(mm_rsp.rresp),
        .s_axi_rlast(mm_rsp.rlast), .s_axi_rvalid(mm_rsp.rvalid), .s_axi_rready(mm_req.rready),
        .idle(slave_idle),
        .acc_valid, .acc_write, .acc_bar, .acc_addr, .acc_wdata, .acc_wstrb,
        .acc_ready, .acc_rdata, .acc_resp
    );

    // Wires between the register block and the engines.
    logic        va_en;
    logic [16:0] va_word;
    logic [7:0]  va_wstrb;
    logic [63:0] va_wdata, va_rdata;
    logic [63:0] ring_base, ring_size, fence_addr, db_tail, err_addr, last_fence, cmd_count;
    logic        ring_enable, ring_cfg_wr, db_valid, clear_error, cp_busy, halted, cp_idle;
    logic [11:0] head, tail;
    logic [7:0]  err_code;
    logic        ev_done, ev_error, ev_nic_rx, ev_nic_tx, ev_uart_rx;
    logic        nic_tx_en, nic_rx_en, nic_tx_cfg_wr, nic_rx_cfg_wr;
    logic [63:0] nic_tx_base, nic_tx_size, nic_tx_tail, nic_rx_base, nic_rx_size, nic_rx_tail;
    logic [11:0] nic_tx_head, nic_rx_head;
    logic [63:0] nic_tx_frames, nic_rx_frames, nic_rx_drops;
    logic        nic_tx_busy, nic_rx_busy, nic_rx_held, nic_idle;
    logic        uart_tx_push, uart_rx_pop, uart_tx_full, uart_rx_avail, uart_idle;
    logic [7:0]  uart_tx_data, uart_rx_data, uart_rx_count;
    logic [MSIX_VECTORS-1:0] msix_req;
    logic        msix_busy;

    gpu_regs regs (
        .clk, .rst_n, .srst_n(core_rst_n),
        .acc_valid, .acc_write, .acc_bar, .acc_addr, .acc_wdata, .acc_wstrb,
        .acc_ready, .acc_rdata, .acc_resp,
        .va_en, .va_word, .va_wstrb, .va_wdata, .va_rdata,
        .cycle, .resetting(sreset), .soft_reset,
        .ring_base, .ring_size, .ring_enable, .fence_addr, .ring_cfg_wr, .db_valid, .db_tail,
        .clear_error, .head, .tail, .cp_busy, .halted, .err_code, .err_addr, .last_fence, .cmd_count,
        .nic_tx_en, .nic_rx_en, .nic_tx_base, .nic_tx_size, .nic_tx_tail,
        .nic_rx_base, .nic_rx_size, .nic_rx_tail, .nic_tx_cfg_wr, .nic_rx_cfg_wr,
        .nic_tx_head, .nic_rx_head, .nic_tx_frames, .nic_rx_frames, .nic_rx_drops,
        .nic_tx_busy, .nic_rx_busy, .nic_rx_held,
        .uart_tx_push, .uart_tx_data, .uart_rx_pop, .uart_tx_full, .uart_rx_avail,
        .uart_rx_data, .uart_rx_count,
        .ev_done, .ev_error, .ev_nic_rx, .ev_nic_tx, .ev_uart_rx, .msix_req,
        .cfg_state, .intx(intx_level)
    );

    msix_arb #(.VECTORS(MSIX_VECTORS)) msix (
        .clk, .rst_n(core_rst_n), .req(msix_req),
        .msix_valid, .msix_vector, .msix_ready, .busy(msix_busy)
    );

    // ------------------------------------------------------------------
    // Command processor, copy engine, compute unit, VRAM.
    axi_req_t     m_req[3];
    axi_rsp_t     m_rsp[3];
    logic         c_start, c_dst_vram, c_busy, c_error;
    logic [1:0]   c_src_kind;
    logic [63:0]  c_src, c_dst, c_const, c_err_addr;
    logic [31:0]  c_len;
    logic         k_start, k_busy;
    logic [7:0]   k_kernel;
    logic [31:0]  k_count, k_alpha;
    logic [14:0]  k_a, k_b;
    logic [19:3]  k_c;
    logic         cv_en, kv_en;
    logic [14:0]  cv_line, kv_line;
    logic [31:0]  cv_wstrb, kv_wstrb;
    logic [255:0] cv_wdata, kv_wdata, vb_rdata;

    gpu_cp cp (
        .clk, .rst_n(core_rst_n), .cycle,
        .ring_base, .ring_size, .enable(ring_enable), .fence_addr, .ring_cfg_wr,
        .db_valid, .db_tail, .clear_error,
        .head, .tail, .busy(cp_busy), .halted, .idle(cp_idle), .err_code, .err_addr,
        .last_fence, .cmd_count, .ev_done, .ev_error,
        .m_req(m_req[1]), .m_rsp(m_rsp[1]),
        .cp_start(c_start), .cp_src_kind(c_src_kind), .cp_dst_vram(c_dst_vram),
        .cp_src(c_src), .cp_dst(c_dst), .cp_len(c_len), .cp_const(c_const),
        .cp_busy(c_busy), .cp_error(c_error), .cp_err_addr(c_err_addr),
        .k_start, .k_kernel, .k_count, .k_a, .k_b, .k_c, .k_alpha, .k_busy
    );

    gpu_copy copy (
        .clk, .rst_n(core_rst_n),
        .start(c_start), .src_kind(c_src_kind), .dst_vram(c_dst_vram),
        .src(c_src), .dst(c_dst), .len(c_len), .const_word(c_const),
        .busy(c_busy), .error(c_error), .err_addr(c_err_addr),
        .m_req(m_req[0]), .m_rsp(m_rsp[0]),
        .v_en(cv_en), .v_line(cv_line), .v_wstrb(cv_wstrb), .v_wdata(cv_wdata), .v_rdata(vb_rdata)
    );

    gpu_kernel kern (
        .clk, .rst_n(core_rst_n),
        .start(k_start), .kernel(k_kernel), .count(k_count), .a(k_a), .b(k_b), .c(k_c),
        .alpha(k_alpha), .busy(k_busy),
        .v_en(kv_en), .v_line(kv_line), .v_wstrb(kv_wstrb), .v_wdata(kv_wdata), .v_rdata(vb_rdata)
    );

    // Port B: the compute unit while it runs, else the copy engine (the
    // command processor runs one command at a time).
    gpu_vram vram (
        .clk,
        .a_en(va_en), .a_word(va_word), .a_wstrb(va_wstrb), .a_wdata(va_wdata), .a_rdata(va_rdata),
        .b_en(k_busy ? kv_en : cv_en), .b_line(k_busy ? kv_line : cv_line),
        .b_wstrb(k_busy ? kv_wstrb : cv_wstrb), .b_wdata(k_busy ? kv_wdata : cv_wdata),
        .b_rdata(vb_rdata)
    );

    // ------------------------------------------------------------------
    // NIC and UART.
    logic [63:0] n_tdata;
    logic [7:0]  n_tkeep;
    logic        n_tlast, n_tvalid, n_rx_tvalid, n_rx_tready;

    gpu_nic nic (
        .clk, .rst_n(core_rst_n),
        .tx_en(nic_tx_en), .rx_en(nic_rx_en), .tx_base(nic_tx_base), .tx_size(nic_tx_size),
        .tx_tail(nic_tx_tail), .rx_base(nic_rx_base), .rx_size(nic_rx_size), .rx_tail(nic_rx_tail),
        .tx_cfg_wr(nic_tx_cfg_wr), .rx_cfg_wr(nic_rx_cfg_wr),
        .tx_head(nic_tx_head), .rx_head(nic_rx_head), .tx_frames(nic_tx_frames),
        .rx_frames(nic_rx_frames), .rx_drops(nic_rx_drops),
        .tx_busy(nic_tx_busy), .rx_busy(nic_rx_busy), .rx_held(nic_rx_held), .idle(nic_idle),
        .ev_tx(ev_nic_tx), .ev_rx(ev_nic_rx),
        .m_req(m_req[2]), .m_rsp(m_rsp[2]),
        .tx_tdata(n_tdata), .tx_tkeep(n_tkeep), .tx_tlast(n_tlast), .tx_tvalid(n_tvalid),
        .tx_tready,
        .rx_tdata, .rx_tkeep, .rx_tlast, .rx_tvalid(n_rx_tvalid), .rx_tready(n_rx_tready)
    );

    gpu_uart uart (
        .clk, .rst_n(core_rst_n),
        .tx_push(uart_tx_push), .tx_data(uart_tx_data), .tx_full(uart_tx_full),
        .rx_pop(uart_rx_pop), .rx_avail(uart_rx_avail), .rx_data(uart_rx_data),
        .rx_count(uart_rx_count), .ev_rx(ev_uart_rx), .idle(uart_idle),
        .uart_tx_valid(utx_valid), .uart_tx_data(utx_data), .uart_tx_ready(utx_ready),
        .uart_rx_valid(urx_valid), .uart_rx_data(urx_data), .uart_rx_ready(urx_ready)
    );

    // ------------------------------------------------------------------
    // Stream guards across a soft reset: a frame the NIC was sending is
    // ended with an empty last beat (as the bridge does on a host reset),
    // and the rest of a host frame it was receiving is dropped, so frame
    // boundaries survive the reset.
    logic tx_mid, rx_mid, rx_drop;
    wire  tx_cut = sreset && tx_mid;
    wire  rx_beat = rx_tvalid && rx_tready;

    assign tx_tdata    = tx_cut ? 64'h0 : n_tdata;
    assign tx_tkeep    = tx_cut ? 8'h00 : n_tkeep;
    assign tx_tlast    = tx_cut ? 1'b1 : n_tlast;
    assign tx_tvalid   = tx_cut || n_tvalid;
    assign n_rx_tvalid = rx_tvalid && !sreset && !rx_drop;
    assign rx_tready   = rx_drop || (!sreset && n_rx_tready);

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            tx_mid  <= 1'b0;
            rx_mid  <= 1'b0;
            rx_drop <= 1'b0;
        end else begin
            if (tx_tvalid && tx_tready) tx_mid <= !tx_tlast;
            if (rx_beat) rx_mid <= !rx_tlast;
            if (soft_reset) rx_drop <= rx_beat ? !rx_tlast : rx_mid;
            else if (rx_drop && rx_beat && rx_tlast) rx_drop <= 1'b0;
        end
    end

    // ------------------------------------------------------------------
    // DMA mux onto the bridge.
    gpu_axi_mux mux (
        .clk, .rst_n, .flush(sreset), .m_req, .m_rsp, .s_req(dma_req), .s_rsp(dma_rsp),
        .quiet(mux_quiet)
    );

    assign dev_idle = slave_idle && !acc_valid && !sreset && cp_idle && !c_busy && !k_busy
                   && nic_idle && uart_idle && !msix_busy && mux_quiet && !tx_tvalid && !rx_drop;

    // ------------------------------------------------------------------
    // AXI handshake checks on the device's own masters (the bridge checks
    // what leaves the mux). Active with --assert.
    localparam string MNAME[3] = '{"copy", "fetch", "nic"};
    for (genvar i = 0; i < 3; i++) begin : chk
        cosim_hs_chk #(.WIDTH(4 + 64 + 8 + 3 + 2), .NAME({"gpu ", MNAME[i], " AR"})) ar (
            .clk, .rst_n(core_rst_n), .cycle, .valid(m_req[i].arvalid), .ready(m_rsp[i].arready),
            .payload({m_req[i].arid, m_req[i].araddr, m_req[i].arlen, m_req[i].arsize, m_req[i].arburst}));
        cosim_hs_chk #(.WIDTH(4 + 64 + 8 + 3 + 2), .NAME({"gpu ", MNAME[i], " AW"})) aw (
            .clk, .rst_n(core_rst_n), .cycle, .valid(m_req[i].awvalid), .ready(m_rsp[i].awready),
            .payload({m_req[i].awid, m_req[i].awaddr, m_req[i].awlen, m_req[i].awsize, m_req[i].awburst}));
        cosim_hs_chk #(.WIDTH(64 + 8 + 1), .NAME({"gpu ", MNAME[i], " W"})) w (
            .clk, .rst_n(core_rst_n), .cycle, .valid(m_req[i].wvalid), .ready(m_rsp[i].wready),
            .payload({m_req[i].wdata, m_req[i].wstrb, m_req[i].wlast}));
    end
    cosim_hs_chk #(.WIDTH(64 + 8 + 1), .NAME("gpu nic TX stream")) chk_tx (
        .clk, .rst_n, .cycle, .valid(tx_tvalid), .ready(tx_tready),
        .payload({tx_tdata, tx_tkeep, tx_tlast}));
endmodule
