// NIC of the GPU front-end: a minimal MAC with TX and RX descriptor rings
// in guest memory, on the bridge's AXI-Stream ports.
//
// A descriptor (NIC_DESC, 16 bytes) holds a buffer address, a length and a
// status word the device writes back (with the length) when done. Rings
// work like the command ring: HEAD (device) and TAIL (driver) indices,
// power-of-two sizes, entries HEAD .. TAIL-1 belong to the device.
//   TX: the device reads the descriptor, DMA-reads the frame (any
//       alignment, 1 .. NIC_MAX_FRAME bytes), sends it, writes the status.
//   RX: a frame from the host is received whole into a 2 KiB buffer
//       (back-pressure while one waits), then goes into the buffer of the
//       descriptor at RX HEAD (cut to its capacity, STATUS.TRUNC), with the
//       received length written back. With RX disabled, no descriptor
//       posted, or a frame longer than NIC_MAX_FRAME, the frame is dropped
//       and counted.
// One job at a time, received frames first; every completed descriptor is
// an event (INT_STATUS.NIC_TX / NIC_RX, vector NIC).
module gpu_nic
    import gpu_regs_pkg::*;
    import axi_pkg::*;
    import gpu_axi_pkg::*;
(
    input  logic        clk,
    input  logic        rst_n,

    input  logic        tx_en,
    input  logic        rx_en,
    // Bases are 16-byte aligned and tails below 4096: low / high bits unused.
    /* verilator lint_off UNUSEDSIGNAL */
    input  logic [63:0] tx_base,
    input  logic [63:0] tx_size,
    input  logic [63:0] tx_tail,
    input  logic [63:0] rx_base,
    input  logic [63:0] rx_size,
    input  logic [63:0] rx_tail,
    /* verilator lint_on UNUSEDSIGNAL */
    input  logic        tx_cfg_wr,      // TX base/size written: TX HEAD = 0
    input  logic        rx_cfg_wr,
    output logic [11:0] tx_head,
    output logic [11:0] rx_head,
    output logic [63:0] tx_frames,
    output logic [63:0] rx_frames,
    output logic [63:0] rx_drops,
    output logic        tx_busy,
    output logic        rx_busy,
    output logic        rx_held,
    output logic        idle,
    output logic        ev_tx,
    output logic        ev_rx,

    output axi_req_t    m_req,
    input  axi_rsp_t    m_rsp,

    output logic [63:0] tx_tdata,
    output logic [7:0]  tx_tkeep,
    output logic        tx_tlast,
    output logic        tx_tvalid,
    input  logic        tx_tready,
    input  logic [63:0] rx_tdata,
    input  logic [7:0]  rx_tkeep,
    input  logic        rx_tlast,
    input  logic        rx_tvalid,
    output logic        rx_tready
);
    localparam logic [12:0] MAX_FRAME = 13'(NIC_MAX_FRAME);

    function automatic logic ring_ok(logic [63:0] size);
        return size >= 64'(RING_MIN_ENTRIES) && size <= 64'(RING_MAX_ENTRIES)
            && (size & (size - 64'd1)) == 64'd0;
    endfunction

    wire        tx_ok   = ring_ok(tx_size);
    wire        rx_ok   = ring_ok(rx_size);
    wire [11:0] tx_mask = 12'(tx_size - 64'd1);
    wire [11:0] rx_mask = 12'(rx_size - 64'd1);
    wire        tx_work = tx_en && tx_ok && tx_head != (tx_tail[11:0] & tx_mask);
    wire        rx_room = rx_en && rx_ok && rx_head != (rx_tail[11:0] & rx_mask);

    // ------------------------------------------------------------------
    // Receiver: one frame at a time into rx_buf.
    typedef enum logic [1:0] { R_RECV, R_SKIP, R_HELD } rstate_t;

    rstate_t     rstate;
    logic [63:0] rx_buf[256];
    logic [8:0]  rx_wptr;           // beats stored
    logic [12:0] rx_bytes;
    logic        rx_release;        // the main FSM is done with the held frame
    logic        rx_too_long;       // pulse: a frame was dropped for its length

    logic [3:0] keep_n;
    always_comb begin
        keep_n = '0;
        for (int i = 0; i < 8; i++) keep_n = keep_n + 4'(rx_tkeep[i]);
    end
    wire [12:0] rx_nb = rx_bytes + 13'(keep_n);
    wire        rx_beat = rx_tvalid && rx_tready;

    assign rx_tready = rstate != R_HELD;
    assign rx_held   = rstate == R_HELD;

    always_ff @(posedge clk) begin
        rx_too_long <= 1'b0;
        if (!rst_n) begin
            rstate   <= R_RECV;
            rx_wptr  <= '0;
            rx_bytes <= '0;
        end else begin
            case (rstate)
                R_RECV: if (rx_beat) begin
                    if (rx_nb > MAX_FRAME || rx_wptr[8]) begin
                        rx_too_long <= rx_tlast;
                        rstate      <= rx_tlast ? R_RECV : R_SKIP;
                        rx_wptr     <= '0;
                        rx_bytes    <= '0;
                    end else begin
                        rx_buf[rx_wptr[7:0]] <= rx_tdata;
                        rx_wptr  <= rx_wptr + 9'd1;
                        rx_bytes <= rx_nb;
                        if (rx_tlast) begin
                            if (rx_nb == '0) begin    // an empty frame: nothing to deliver
                                rx_wptr  <= '0;
                                rx_bytes <= '0;
                            end else begin
                                rstate <= R_HELD;
                            end
                        end
                    end
                end
                R_SKIP: if (rx_beat && rx_tlast) begin
                    rx_too_long <= 1'b1;
                    rstate      <= R_RECV;
                end
                R_HELD: if (rx_release) begin
                    rstate   <= R_RECV;
                    rx_wptr  <= '0;
                    rx_bytes <= '0;
                end
                default: rstate <= R_RECV;
            endcase
        end
    end

    // ------------------------------------------------------------------
    // Descriptor engine.
    typedef enum logic [3:0] {
        IDLE, DESC, DESC_WAIT, TX_RD, TX_RD_WAIT, TX_SEND, RX_WR, RX_WR_WAIT, ST_WR, ST_WAIT
    } state_t;

    state_t      state;
    logic        is_rx;
    logic [63:0] desc_addr;
    logic [63:0] desc[2];           // the descriptor as read
    logic [31:0] status, out_len;
    logic [8:0]  tpos;              // TX beat
    logic [63:0] tx_buf[512];

    wire [63:0] d_addr = desc[0];
    wire [31:0] d_len  = desc[1][31:0];

    // DMA movers: reads go to the descriptor or the TX buffer, writes come
    // from the RX buffer or from the status word.
    logic        rd_busy, rd_error, rd_we, wr_busy, wr_error;
    logic [8:0]  rd_idx;
    /* verilator lint_off UNUSEDSIGNAL */
    logic [8:0]  wr_idx;            // the RX buffer has 256 words: bit 8 unused
    /* verilator lint_on UNUSEDSIGNAL */
    logic [63:0] rd_wdata, wr_word0, wr_word1;
    wire         wr_stat  = state == ST_WR || state == ST_WAIT;

    axi_req_t    rd_req, wr_req;
    assign m_req = rd_req | wr_req;  // the reader drives only AR/R, the writer AW/W/B

    dma_rd #(.NID(2), .ID_BASE(ID_NIC)) rd (
        .clk, .rst_n,
        .start(state == DESC || state == TX_RD),
        .addr(state == DESC ? desc_addr : d_addr),
        .n(state == DESC ? 13'(NIC_DESC_SIZE) : d_len[12:0]),
        .busy(rd_busy), .error(rd_error),
        .buf_we(rd_we), .buf_idx(rd_idx), .buf_wdata(rd_wdata),
        .m_req(rd_req), .m_rsp(m_rsp)
    );

    logic desc_phase;               // the read in flight is a descriptor
    always_ff @(posedge clk) begin
        if (state == DESC) desc_phase <= 1'b1;
        else if (state == TX_RD) desc_phase <= 1'b0;
        if (rd_we) begin
            if (desc_phase) desc[rd_idx[0]] <= rd_wdata;
            else tx_buf[rd_idx] <= rd_wdata;
        end
    end

    assign wr_word0 = wr_stat ? {status, out_len} : rx_buf[wr_idx[7:0]];
    assign wr_word1 = wr_stat ? {status, out_len} : rx_buf[wr_idx[7:0] + 8'd1];

    dma_wr #(.AWID(ID_NIC)) wr (
        .clk, .rst_n,
        .start(state == RX_WR || state == ST_WR),
        .addr(state == ST_WR ? desc_addr + 64'd8 : d_addr),
        .n(state == ST_WR ? 13'd8 : out_len[12:0]),
        .src_off(3'd0),
        .busy(wr_busy), .error(wr_error),
        .buf_idx(wr_idx), .buf_word0(wr_word0), .buf_word1(wr_word1),
        .m_req(wr_req), .m_rsp(m_rsp)
    );

    // TX stream: frame bytes from tx_buf, realigned from the buffer
    // address's misalignment to lane 0.
    logic [8:0]  t_idx;
    logic [7:0]  t_strb;
    wire  [12:0] t_pos = {1'b0, tpos, 3'b000};
    dma_align tx_align (
        .pos(t_pos), .dst_off(3'd0), .src_off(d_addr[2:0]), .n(d_len[12:0]),
        .idx(t_idx), .word0(tx_buf[t_idx]), .word1(tx_buf[t_idx + 9'd1]),
        .data(tx_tdata), .strb(t_strb)
    );
    assign tx_tkeep  = t_strb;
    assign tx_tlast  = 14'(t_pos) + 14'd8 >= 14'(d_len[12:0]);
    assign tx_tvalid = state == TX_SEND;

    localparam logic [31:0] ST_DONE  = 32'(1) << NIC_DESC_STATUS_DONE_LSB;
    localparam logic [31:0] ST_ERROR = 32'(1) << NIC_DESC_STATUS_ERROR_LSB;
    localparam logic [31:0] ST_TRUNC = 32'(1) << NIC_DESC_STATUS_TRUNC_LSB;

    wire [12:0] cap = d_len > 32'(rx_bytes) ? rx_bytes : d_len[12:0];

    assign tx_busy = state != IDLE && !is_rx;
    assign rx_busy = state != IDLE && is_rx;
    assign idle    = state == IDLE && rstate != R_HELD && !tx_work;

    logic rx_no_room;               // pulse: a held frame dropped for want of a buffer

    always_ff @(posedge clk) begin
        ev_tx      <= 1'b0;
        ev_rx      <= 1'b0;
        rx_release <= 1'b0;
        rx_no_room <= 1'b0;
        if (!rst_n) begin
            state     <= IDLE;
            is_rx     <= 1'b0;
            tx_head   <= '0;
            rx_head   <= '0;
            tx_frames <= '0;
            rx_frames <= '0;
            rx_drops  <= '0;
        end else begin
            rx_drops <= rx_drops + 64'(rx_too_long) + 64'(rx_no_room);
            if (tx_cfg_wr) tx_head <= '0;
            if (rx_cfg_wr) rx_head <= '0;
            case (state)
                IDLE: begin
                    if (rstate == R_HELD && !rx_release) begin
                        if (rx_room) begin
                            is_rx     <= 1'b1;
                            desc_addr <= {rx_base[63:4], 4'd0} + {48'd0, rx_head, 4'd0};
                            state     <= DESC;
                        end else begin
                            rx_release <= 1'b1;
                            rx_no_room <= 1'b1;
                        end
                    end else if (tx_work) begin
                        is_rx     <= 1'b0;
                        desc_addr <= {tx_base[63:4], 4'd0} + {48'd0, tx_head, 4'd0};
                        state     <= DESC;
                    end
                end
                DESC: state <= DESC_WAIT;
                DESC_WAIT: if (!rd_busy) begin
                    if (rd_error) begin
                        status  <= ST_DONE | ST_ERROR;
                        out_len <= '0;
                        state   <= ST_WR;
                    end else if (is_rx) begin
                        status  <= ST_DONE | (d_len < 32'(rx_bytes) ? ST_TRUNC : '0);
                        out_len <= 32'(cap);
                        state   <= cap == '0 ? ST_WR : RX_WR;
                    end else if (d_len == '0 || d_len > 32'(MAX_FRAME)) begin
                        status  <= ST_DONE | ST_ERROR;
                        out_len <= d_len;
                        state   <= ST_WR;
                    end else begin
                        out_len <= d_len;
                        state   <= TX_RD;
                    end
                end
                TX_RD: state <= TX_RD_WAIT;
                TX_RD_WAIT: if (!rd_busy) begin
                    tpos <= '0;
                    if (rd_error) begin
                        status <= ST_DONE | ST_ERROR;
                        state  <= ST_WR;
                    end else begin
                        state <= TX_SEND;
                    end
                end
                TX_SEND: if (tx_tready) begin
                    tpos <= tpos + 9'd1;
                    if (tx_tlast) begin
                        status    <= ST_DONE;
                        tx_frames <= tx_frames + 64'd1;
                        state     <= ST_WR;
                    end
                end
                RX_WR: state <= RX_WR_WAIT;
                RX_WR_WAIT: if (!wr_busy) begin
                    if (wr_error) status <= status | ST_ERROR;
                    state <= ST_WR;
                end
                ST_WR: state <= ST_WAIT;
                ST_WAIT: if (!wr_busy) begin
                    if (is_rx) begin
                        rx_head    <= (rx_head + 12'd1) & rx_mask;
                        rx_release <= 1'b1;
                        if (status[NIC_DESC_STATUS_ERROR_LSB]) rx_no_room <= 1'b1;
                        else rx_frames <= rx_frames + 64'd1;
                        ev_rx <= 1'b1;
                    end else begin
                        tx_head <= (tx_head + 12'd1) & tx_mask;
                        ev_tx   <= 1'b1;
                    end
                    state <= IDLE;
                end
                default: state <= IDLE;
            endcase
        end
    end
endmodule
