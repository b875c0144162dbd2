// AXI test device: exercises the bridge endpoint's AXI behaviour from the
// device side, for the TypeScript RTL tests (test/rtl/bridge-axi-*).
//
//   - a DMA read generator: N INCR bursts (any length 1..256, size 1..8
//     bytes, IDs cycling over 1..16 values), issued back to back without
//     waiting for data; every R beat is logged (data, ID, RLAST, RRESP,
//     beat number within its burst) in arrival order;
//   - a DMA write generator: N INCR bursts with narrow sizes and unaligned
//     starts (strobes from the beat addresses, ANDed with a mask), AWs run
//     ahead of the W data; optional MSI-X right after each burst's last W
//     handshake (before its B) to test that the interrupt never passes the
//     data, or after the final B;
//   - LFSR-driven stalls on every ready this device drives (its MMIO slave's
//     AWREADY/WREADY/ARREADY, DMA RREADY/BREADY, NIC RX TREADY, UART RX
//     READY) and delays on the valids it raises (DMA AR/AW/W, MMIO B/R), so
//     back-pressure hits every handshake;
//   - counters of the cycles a valid waited for its ready, per channel;
//   - NIC loopback and UART echo through FIFOs, MSI-X on request.
//
// Register map (BAR0, 64-bit slots; see docs/axi-test-device.md):
//   0x000 ID          RO  0x0000_7E57_A710_0001
//   0x008 STALL       RW  [12:0] channel enables, [23:16] stall threshold (a
//                         channel stalls a cycle when its LFSR byte < it),
//                         [63:32] LFSR seed (reseeds when written)
//   0x010 CYCLE       RO  clocks since reset
//   0x018 DEV_STALLS  RO  cycles a valid into this device waited for its ready
//   0x020 AR_STALLS   RO  cycles DMA ARVALID waited for the bridge's ARREADY
//   0x028 AW_STALLS   RO  cycles DMA AWVALID waited for AWREADY
//   0x030 W_STALLS    RO  cycles DMA WVALID waited for WREADY
//   0x038 MSIX_STALLS RO  cycles MSI-X valid waited for its ready
//   0x040 RD_ADDR     RW  address of the first read burst
//   0x048 RD_CFG      RW  [7:0] ARLEN, [10:8] ARSIZE, [19:12] bursts-1,
//                         [23:20] IDs-1, [63:32] stride in bytes
//   0x050 RD_CTRL     WO  bit0 start
//   0x058 RD_STATUS   RO  [0] busy, [1] done, [2] an RRESP was not OKAY,
//                         [31:16] beats received, [47:32] bursts received
//   0x080 WR_ADDR     RW  address of the first write burst
//   0x088 WR_CFG      RW  [7:0] AWLEN, [10:8] AWSIZE, [19:12] bursts-1,
//                         [23:20] AWID, [63:32] stride in bytes
//   0x090 WR_STRB     RW  [7:0] mask ANDed into every beat's strobes (reset 0xFF)
//   0x098 WR_CTRL     WO  bit0 start, bit1 MSI-X after each burst's last W
//                         beat, bit2 MSI-X after the last B, [15:8] vector
//   0x0A0 WR_STATUS   RO  [0] busy, [1] done, [2] a BRESP was not OKAY or a
//                         BID not AWID, [31:16] B responses, [47:32] W beats
//   0x0A8 WR_SEED     RW  [7:0] data seed: the byte for host address A is
//                         A[7:0] ^ {A[11:8], A[15:12]} ^ seed
//   0x0B0 MSIX        WO  raise MSI-X vector [15:0]
//   0x1000 + 8*i      RO  RD_DATA[i]: RDATA of the i-th R beat (i < 1024)
//   0x3000 + 8*i      RO  RD_INFO[i]: [3:0] RID, [4] RLAST, [6:5] RRESP,
//                         [15:8] beat number within its burst
//   other             reads 0, writes ignored; >= 0x8000 answers SLVERR
module axi_test_dev (
    input  logic        clk,
    input  logic        rst_n,
    output logic        dev_idle,

    // MMIO: AXI4 slave (single beats from the bridge; user = BAR number)
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

    // DMA: AXI4 master into host memory
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
    localparam logic [63:0] ID_VALUE = 64'h0000_7E57_A710_0001;
    localparam int LOG_N = 1024;

    // Stall channels.
    localparam int C_MMIO_AW = 0, C_MMIO_W = 1, C_MMIO_AR = 2, C_MMIO_B = 3, C_MMIO_R = 4,
                   C_DMA_R = 5, C_DMA_B = 6, C_DMA_AR = 7, C_DMA_AW = 8, C_DMA_W = 9,
                   C_NIC_RX = 10, C_UART_RX = 11, C_MSIX = 12, NCH = 13;

    // ------------------------------------------------------------------
    // Stall generator: a 64-bit Galois LFSR; each channel looks at its own
    // byte of it (rotated by 5 bits per channel).
    logic [63:0]    lfsr;
    logic [15:0]    stall_en;
    logic [7:0]     stall_thr;
    logic [NCH-1:0] stall;
    logic           reseed;
    logic [31:0]    seed;

    always_ff @(posedge clk) begin
        if (!rst_n) lfsr <= 64'hACE1_2468_1357_9BDF;
        else if (reseed) lfsr <= {seed, ~seed} | 64'h1;
        else lfsr <= {1'b0, lfsr[63:1]} ^ (lfsr[0] ? 64'hD800_0000_0000_0000 : 64'h0);
    end

    always_comb begin
        logic [7:0] b;
        for (int c = 0; c < NCH; c++) begin
            b = 8'((lfsr >> (5 * c)) | (lfsr << (64 - 5 * c)));
            stall[c] = stall_en[c] && b < stall_thr;
        end
    end

    // ------------------------------------------------------------------
    // Registers written by MMIO.
    logic [63:0] rd_addr, rd_cfg, wr_addr, wr_cfg;
    logic [7:0]  wr_strb_mask, wr_seed;
    logic        rd_start, wr_start, wr_msix_each, wr_msix_end;
    logic [7:0]  wr_vec;
    logic        trig_valid;
    logic [15:0] trig_vector;
    logic [63:0] cycle, dev_stalls, ar_stalls, aw_stalls, w_stalls, msix_stalls;

    // Read engine state.
    logic        rd_busy, rd_done, rd_err;
    logic [8:0]  rd_issued;        // bursts whose AR handshake happened
    logic [15:0] rd_beats, rd_bursts;
    logic [3:0]  rd_next_id;
    logic [7:0]  rd_beat_no[16];   // beat number within the current burst, per ID
    logic [63:0] rd_log_data[LOG_N];
    logic [15:0] rd_log_info[LOG_N];

    // Write engine state.
    logic        wr_busy, wr_done, wr_err;
    logic [8:0]  wr_aw_issued, wr_w_burst;
    logic [7:0]  wr_w_beat;
    logic [15:0] wr_bresps, wr_wbeats;
    logic [63:0] wr_w_addr;        // address of the current W beat

    wire [7:0]  rd_len    = rd_cfg[7:0];
    wire [2:0]  rd_size   = rd_cfg[10:8];
    wire [8:0]  rd_nburst = {1'b0, rd_cfg[19:12]} + 9'd1;
    wire [3:0]  rd_nid_m1 = rd_cfg[23:20];
    wire [31:0] rd_stride = rd_cfg[63:32];
    wire [7:0]  wr_len    = wr_cfg[7:0];
    wire [2:0]  wr_size   = wr_cfg[10:8];
    wire [8:0]  wr_nburst = {1'b0, wr_cfg[19:12]} + 9'd1;
    wire [3:0]  wr_id     = wr_cfg[23:20];
    wire [31:0] wr_stride = wr_cfg[63:32];

    // ------------------------------------------------------------------
    // MMIO slave: one transaction at a time; AW then W then B, or AR then R.
    typedef enum logic [2:0] { S_IDLE, S_W, S_B, S_R } sstate_t;
    sstate_t     ss;
    logic [63:0] s_addr;
    logic [3:0]  s_id;
    logic        s_bad;

    assign s_axi_awready = ss == S_IDLE && !stall[C_MMIO_AW];
    assign s_axi_arready = ss == S_IDLE && !s_axi_awvalid && !stall[C_MMIO_AR];
    assign s_axi_wready  = ss == S_W && !stall[C_MMIO_W];

    function automatic logic [63:0] read_reg(logic [63:0] a);
        logic [63:0] v;
        v = 64'h0;
        if (a >= 64'h1000 && a < 64'h1000 + 64'(8 * LOG_N)) v = rd_log_data[10'((a - 64'h1000) >> 3)];
        else if (a >= 64'h3000 && a < 64'h3000 + 64'(8 * LOG_N)) v = {48'h0, rd_log_info[10'((a - 64'h3000) >> 3)]};
        else
            case (a[11:3])
                9'h000: v = ID_VALUE;
                9'h001: v = {seed, 8'h0, stall_thr, stall_en};
                9'h002: v = cycle;
                9'h003: v = dev_stalls;
                9'h004: v = ar_stalls;
                9'h005: v = aw_stalls;
                9'h006: v = w_stalls;
                9'h007: v = msix_stalls;
                9'h008: v = rd_addr;
                9'h009: v = rd_cfg;
                9'h00B: v = {16'h0, rd_bursts, rd_beats, 13'h0, rd_err, rd_done, rd_busy};
                9'h010: v = wr_addr;
                9'h011: v = wr_cfg;
                9'h012: v = {56'h0, wr_strb_mask};
                9'h014: v = {16'h0, wr_wbeats, wr_bresps, 13'h0, wr_err, wr_done, wr_busy};
                9'h015: v = {56'h0, wr_seed};
                default: v = 64'h0;
            endcase
        return v;
    endfunction

    function automatic logic [63:0] merge(logic [63:0] old, logic [63:0] d, logic [7:0] strb);
        logic [63:0] v;
        for (int i = 0; i < 8; i++) v[8*i +: 8] = strb[i] ? d[8*i +: 8] : old[8*i +: 8];
        return v;
    endfunction

    always_ff @(posedge clk) begin
        rd_start   <= 1'b0;
        wr_start   <= 1'b0;
        trig_valid <= 1'b0;
        reseed     <= 1'b0;
        if (!rst_n) begin
            ss           <= S_IDLE;
            s_axi_bvalid <= 1'b0;
            s_axi_rvalid <= 1'b0;
            stall_en     <= '0;
            stall_thr    <= '0;
            seed         <= '0;
            rd_addr      <= '0;
            rd_cfg       <= '0;
            wr_addr      <= '0;
            wr_cfg       <= '0;
            wr_strb_mask <= 8'hFF;
            wr_seed      <= '0;
            wr_msix_each <= 1'b0;
            wr_msix_end  <= 1'b0;
            wr_vec       <= '0;
        end else begin
            case (ss)
                S_IDLE:
                    if (s_axi_awvalid && s_axi_awready) begin
                        ss     <= S_W;
                        s_addr <= s_axi_awaddr;
                        s_id   <= s_axi_awid;
                        s_bad  <= s_axi_awuser != 3'd0 || s_axi_awburst != 2'b01 || s_axi_awlen != 8'd0
                               || s_axi_awaddr >= 64'h8000;
                    end else if (s_axi_arvalid && s_axi_arready) begin
                        ss     <= S_R;
                        s_addr <= s_axi_araddr;
                        s_id   <= s_axi_arid;
                        s_bad  <= s_axi_aruser != 3'd0 || s_axi_arburst != 2'b01 || s_axi_arlen != 8'd0
                               || s_axi_araddr >= 64'h8000;
                    end
                S_W:
                    if (s_axi_wvalid && s_axi_wready) begin
                        ss <= S_B;
                        if (!s_bad) begin
                            case (s_addr[11:3])
                                9'h001: begin
                                    if (s_axi_wstrb[0]) stall_en[7:0]  <= s_axi_wdata[7:0];
                                    if (s_axi_wstrb[1]) stall_en[15:8] <= s_axi_wdata[15:8];
                                    if (s_axi_wstrb[2]) stall_thr      <= s_axi_wdata[23:16];
                                    if (s_axi_wstrb[7:4] == 4'hF) begin
                                        seed   <= s_axi_wdata[63:32];
                                        reseed <= 1'b1;
                                    end
                                end
                                9'h008: rd_addr <= merge(rd_addr, s_axi_wdata, s_axi_wstrb);
                                9'h009: rd_cfg <= merge(rd_cfg, s_axi_wdata, s_axi_wstrb);
                                9'h00A: rd_start <= s_axi_wstrb[0] && s_axi_wdata[0];
                                9'h010: wr_addr <= merge(wr_addr, s_axi_wdata, s_axi_wstrb);
                                9'h011: wr_cfg <= merge(wr_cfg, s_axi_wdata, s_axi_wstrb);
                                9'h012: if (s_axi_wstrb[0]) wr_strb_mask <= s_axi_wdata[7:0];
                                9'h013: if (s_axi_wstrb[0]) begin
                                    wr_start     <= s_axi_wdata[0];
                                    wr_msix_each <= s_axi_wdata[1];
                                    wr_msix_end  <= s_axi_wdata[2];
                                    wr_vec       <= s_axi_wstrb[1] ? s_axi_wdata[15:8] : 8'h0;
                                end
                                9'h015: if (s_axi_wstrb[0]) wr_seed <= s_axi_wdata[7:0];
                                9'h016: if (s_axi_wstrb[1:0] != 2'b00) begin
                                    trig_valid  <= 1'b1;
                                    trig_vector <= s_axi_wdata[15:0];
                                end
                                default: ;
                            endcase
                        end
                    end
                S_B: begin
                    if (!s_axi_bvalid && !stall[C_MMIO_B]) begin
                        s_axi_bvalid <= 1'b1;
                        s_axi_bid    <= s_id;
                        s_axi_bresp  <= s_bad ? 2'b10 : 2'b00;
                    end
                    if (s_axi_bvalid && s_axi_bready) begin
                        s_axi_bvalid <= 1'b0;
                        ss           <= S_IDLE;
                    end
                end
                S_R: begin
                    if (!s_axi_rvalid && !stall[C_MMIO_R]) begin
                        s_axi_rvalid <= 1'b1;
                        s_axi_rid    <= s_id;
                        s_axi_rdata  <= s_bad ? 64'h0 : read_reg(s_addr);
                        s_axi_rresp  <= s_bad ? 2'b10 : 2'b00;
                    end
                    if (s_axi_rvalid && s_axi_rready) begin
                        s_axi_rvalid <= 1'b0;
                        ss           <= S_IDLE;
                    end
                end
                default: ss <= S_IDLE;
            endcase
        end
    end
    assign s_axi_rlast = 1'b1;

    // ------------------------------------------------------------------
    // DMA read generator.
    assign m_axi_arburst = 2'b01;
    assign m_axi_arlen   = rd_len;
    assign m_axi_arsize  = rd_size;
    assign m_axi_rready  = !stall[C_DMA_R];

    wire ar_hs = m_axi_arvalid && m_axi_arready;
    wire r_hs  = m_axi_rvalid && m_axi_rready;

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            rd_busy       <= 1'b0;
            rd_done       <= 1'b0;
            rd_err        <= 1'b0;
            m_axi_arvalid <= 1'b0;
            rd_issued     <= '0;
            rd_beats      <= '0;
            rd_bursts     <= '0;
            rd_next_id    <= '0;
            for (int i = 0; i < 16; i++) rd_beat_no[i] <= '0;
        end else begin
            if (rd_start && !rd_busy) begin
                rd_busy    <= 1'b1;
                rd_done    <= 1'b0;
                rd_err     <= 1'b0;
                rd_issued  <= '0;
                rd_beats   <= '0;
                rd_bursts  <= '0;
                rd_next_id <= '0;
                for (int i = 0; i < 16; i++) rd_beat_no[i] <= '0;
            end
            if (ar_hs) begin
                m_axi_arvalid <= 1'b0;
                rd_issued     <= rd_issued + 9'd1;
                rd_next_id    <= rd_next_id == rd_nid_m1 ? 4'd0 : rd_next_id + 4'd1;
            end
            if (rd_busy && (!m_axi_arvalid || ar_hs) && !stall[C_DMA_AR]
                    && (rd_issued + {8'h0, ar_hs}) < rd_nburst) begin
                m_axi_arvalid <= 1'b1;
                m_axi_arid    <= ar_hs ? (rd_next_id == rd_nid_m1 ? 4'd0 : rd_next_id + 4'd1) : rd_next_id;
                m_axi_araddr  <= rd_addr + 64'(rd_stride) * (64'(rd_issued) + 64'(ar_hs));
            end
            if (r_hs) begin
                if (rd_beats < 16'(LOG_N)) begin
                    rd_log_data[rd_beats[9:0]] <= m_axi_rdata;
                    rd_log_info[rd_beats[9:0]] <= {rd_beat_no[m_axi_rid], 1'b0, m_axi_rresp, m_axi_rlast, m_axi_rid};
                end
                rd_beats <= rd_beats + 16'd1;
                rd_beat_no[m_axi_rid] <= m_axi_rlast ? 8'd0 : rd_beat_no[m_axi_rid] + 8'd1;
                if (m_axi_rresp != 2'b00) rd_err <= 1'b1;
                if (m_axi_rlast) begin
                    rd_bursts <= rd_bursts + 16'd1;
                    if (rd_bursts + 16'd1 == {7'h0, rd_nburst}) begin
                        rd_busy <= 1'b0;
                        rd_done <= 1'b1;
                    end
                end
            end
        end
    end

    // ------------------------------------------------------------------
    // DMA write generator: AWs and W beats advance independently.
    wire [63:0] wr_bytes = 64'd1 << wr_size;
    wire aw_hs = m_axi_awvalid && m_axi_awready;
    wire w_hs  = m_axi_wvalid && m_axi_wready;
    wire b_hs  = m_axi_bvalid && m_axi_bready;
    wire w_last_beat = wr_w_beat == wr_len;

    assign m_axi_awburst = 2'b01;
    assign m_axi_awlen   = wr_len;
    assign m_axi_awsize  = wr_size;
    assign m_axi_awid    = wr_id;
    assign m_axi_wlast   = w_last_beat;
    assign m_axi_bready  = !stall[C_DMA_B];

    // Strobes and data of the current W beat: lanes from the beat address
    // up to the end of its size-aligned container.
    always_comb begin
        logic [2:0]  base;
        logic [15:0] a;
        logic [3:0]  lo, hi;
        base = wr_w_addr[2:0] & ~3'(wr_bytes - 64'd1);
        lo   = {1'b0, wr_w_addr[2:0]};
        hi   = {1'b0, base} + 4'(wr_bytes);
        for (int l = 0; l < 8; l++) begin
            a = {wr_w_addr[15:3], 3'(l)};
            m_axi_wstrb[l]        = 4'(l) >= lo && 4'(l) < hi && wr_strb_mask[l];
            m_axi_wdata[8*l +: 8] = a[7:0] ^ {a[11:8], a[15:12]} ^ wr_seed;
        end
    end

    logic [8:0] wr_w_left_bursts;
    assign wr_w_left_bursts = wr_nburst - wr_w_burst;

    // MSI-X requests: register trigger, write-engine events.
    logic        msix_req;
    logic [15:0] msix_req_vec;

    always_ff @(posedge clk) begin
        msix_req <= 1'b0;
        if (!rst_n) begin
            wr_busy       <= 1'b0;
            wr_done       <= 1'b0;
            wr_err        <= 1'b0;
            m_axi_awvalid <= 1'b0;
            m_axi_wvalid  <= 1'b0;
            wr_aw_issued  <= '0;
            wr_w_burst    <= '0;
            wr_w_beat     <= '0;
            wr_bresps     <= '0;
            wr_wbeats     <= '0;
        end else begin
            if (wr_start && !wr_busy) begin
                wr_busy      <= 1'b1;
                wr_done      <= 1'b0;
                wr_err       <= 1'b0;
                wr_aw_issued <= '0;
                wr_w_burst   <= '0;
                wr_w_beat    <= '0;
                wr_bresps    <= '0;
                wr_wbeats    <= '0;
                wr_w_addr    <= wr_addr;
            end
            // AW channel, running ahead of the data.
            if (aw_hs) begin
                m_axi_awvalid <= 1'b0;
                wr_aw_issued  <= wr_aw_issued + 9'd1;
            end
            if (wr_busy && (!m_axi_awvalid || aw_hs) && !stall[C_DMA_AW]
                    && (wr_aw_issued + {8'h0, aw_hs}) < wr_nburst) begin
                m_axi_awvalid <= 1'b1;
                m_axi_awaddr  <= wr_addr + 64'(wr_stride) * (64'(wr_aw_issued) + 64'(aw_hs));
            end
            // W channel.
            if (w_hs) begin
                m_axi_wvalid <= 1'b0;
                wr_wbeats    <= wr_wbeats + 16'd1;
                if (w_last_beat) begin
                    wr_w_beat  <= '0;
                    wr_w_burst <= wr_w_burst + 9'd1;
                    wr_w_addr  <= wr_addr + 64'(wr_stride) * (64'(wr_w_burst) + 64'd1);
                    if (wr_msix_each) begin
                        msix_req     <= 1'b1;
                        msix_req_vec <= {8'h0, wr_vec};
                    end
                end else begin
                    wr_w_beat <= wr_w_beat + 8'd1;
                    wr_w_addr <= (wr_w_addr & ~(wr_bytes - 64'd1)) + wr_bytes;
                end
            end
            if (wr_busy && (!m_axi_wvalid || w_hs) && !stall[C_DMA_W]
                    && !(w_hs && w_last_beat && wr_w_left_bursts == 9'd1)
                    && wr_w_left_bursts != 9'd0) begin
                m_axi_wvalid <= 1'b1;
            end
            // B responses.
            if (b_hs) begin
                wr_bresps <= wr_bresps + 16'd1;
                if (m_axi_bresp != 2'b00 || m_axi_bid != wr_id) wr_err <= 1'b1;
                if (wr_bresps + 16'd1 == {7'h0, wr_nburst}) begin
                    wr_busy <= 1'b0;
                    wr_done <= 1'b1;
                    if (wr_msix_end) begin
                        msix_req     <= 1'b1;
                        msix_req_vec <= {8'h0, wr_vec};
                    end
                end
            end
        end
    end

    // ------------------------------------------------------------------
    // MSI-X: requests queue in a FIFO, sent in order.
    logic        mq_in_ready, mq_valid;
    logic [15:0] mq_vec;
    wire         mq_push = msix_req || trig_valid;
    wire [15:0]  mq_push_vec = msix_req ? msix_req_vec : trig_vector;

    cosim_fifo #(.WIDTH(16), .DEPTH(16)) msix_fifo (
        .clk, .rst_n,
        .in_valid (mq_push),
        .in_ready (mq_in_ready),
        .in_data  (mq_push_vec),
        .out_valid(mq_valid),
        .out_ready(msix_valid && msix_ready),
        .out_data (mq_vec)
    );

    always_ff @(posedge clk) begin
        if (!rst_n) msix_valid <= 1'b0;
        else if (msix_valid && msix_ready) msix_valid <= 1'b0;
        else if (!msix_valid && mq_valid && !stall[C_MSIX]) begin
            msix_valid  <= 1'b1;
            msix_vector <= mq_vec;
        end
    end

    // ------------------------------------------------------------------
    // NIC loopback and UART echo, with stalls on the inputs' readies.
    logic nic_in_ready, uart_in_ready;
    logic [72:0] nic_out;
    assign s_axis_rx_tready = nic_in_ready && !stall[C_NIC_RX];
    cosim_fifo #(.WIDTH(73), .DEPTH(2048)) nic_fifo (
        .clk, .rst_n,
        .in_valid (s_axis_rx_tvalid && !stall[C_NIC_RX]),
        .in_ready (nic_in_ready),
        .in_data  ({s_axis_rx_tdata, s_axis_rx_tkeep, s_axis_rx_tlast}),
        .out_valid(m_axis_tx_tvalid),
        .out_ready(m_axis_tx_tready),
        .out_data (nic_out)
    );
    assign {m_axis_tx_tdata, m_axis_tx_tkeep, m_axis_tx_tlast} = nic_out;

    assign uart_rx_ready = uart_in_ready && !stall[C_UART_RX];
    cosim_fifo #(.WIDTH(8), .DEPTH(16)) uart_fifo (
        .clk, .rst_n,
        .in_valid (uart_rx_valid && !stall[C_UART_RX]),
        .in_ready (uart_in_ready),
        .in_data  (uart_rx_data),
        .out_valid(uart_tx_valid),
        .out_ready(uart_tx_ready),
        .out_data (uart_tx_data)
    );

    // ------------------------------------------------------------------
    // Counters.
    always_ff @(posedge clk) begin
        if (!rst_n) begin
            cycle       <= '0;
            dev_stalls  <= '0;
            ar_stalls   <= '0;
            aw_stalls   <= '0;
            w_stalls    <= '0;
            msix_stalls <= '0;
        end else begin
            cycle <= cycle + 64'd1;
            if ((s_axi_awvalid && !s_axi_awready) || (s_axi_wvalid && !s_axi_wready)
                    || (s_axi_arvalid && !s_axi_arready && ss == S_IDLE) || (m_axi_rvalid && !m_axi_rready)
                    || (m_axi_bvalid && !m_axi_bready) || (s_axis_rx_tvalid && !s_axis_rx_tready)
                    || (uart_rx_valid && !uart_rx_ready))
                dev_stalls <= dev_stalls + 64'd1;
            if (m_axi_arvalid && !m_axi_arready) ar_stalls <= ar_stalls + 64'd1;
            if (m_axi_awvalid && !m_axi_awready) aw_stalls <= aw_stalls + 64'd1;
            if (m_axi_wvalid && !m_axi_wready) w_stalls <= w_stalls + 64'd1;
            if (msix_valid && !msix_ready) msix_stalls <= msix_stalls + 64'd1;
        end
    end

    assign dev_idle = !rd_busy && !wr_busy && !mq_valid && !msix_valid && !m_axis_tx_tvalid && !uart_tx_valid
                   && ss == S_IDLE && !rd_start && !wr_start && !trig_valid && !msix_req;

    // Unused inputs (widths fixed by the bridge's ports).
    wire unused = &{1'b0, s_axi_awlen, s_axi_awsize, s_axi_wlast, s_axi_arsize, mq_in_ready};
endmodule
