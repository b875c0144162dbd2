// Copy engine of the example device: copies LEN bytes of host memory from
// SRC to DST (any alignment, 1 byte .. 16 MiB) through its AXI4 master.
//
// Works chunk by chunk: read a chunk into a buffer, then write it out. A
// chunk is at most 4 KiB of buffer including the source's misalignment, so
// the buffer holds the chunk in source word layout (one bus word per read
// beat, no byte shuffling on the way in); the write side shifts bytes by
// (src - dst) % 8 on the way out. Reads keep up to NID bursts in flight,
// one per ARID, and the buffer is addressed per ID because AXI lets
// different IDs return in any order.
module example_dma #(
    parameter int NID = 8  // ARIDs used, power of two, <= 16
) (
    input  logic        clk,
    input  logic        rst_n,

    input  logic        start,       // pulse; ignored while busy
    input  logic [63:0] src,
    input  logic [63:0] dst,
    input  logic [63:0] len,
    input  logic        irq_en,
    input  logic [7:0]  irq_vec,

    output logic        busy,
    output logic        done,        // set at completion, cleared at start
    output logic        error,       // AXI error response, or a bad length
    output logic        irq,         // pulse, after the last B response
    output logic [7:0]  irq_vector,

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
    output logic        m_axi_bready
);
    localparam int          IDW     = $clog2(NID);
    localparam logic [63:0] MAX_LEN = 64'h100_0000;  // 16 MiB
    localparam logic [9:0]  MAX_BURST = 10'd16;       // beats

    typedef enum logic [2:0] { IDLE, CHUNK, READ, WRITE, WAITB } state_t;

    state_t      state;
    logic [63:0] cur_src, cur_dst, remaining;
    logic [12:0] n;                 // bytes in this chunk
    logic        irq_en_q;

    logic [63:0] cbuf[512];         // the chunk, in source word layout

    wire [2:0]  src_off = cur_src[2:0];
    wire [2:0]  dst_off = cur_dst[2:0];
    wire [63:0] src_al  = {cur_src[63:3], 3'b000};
    wire [63:0] dst_al  = {cur_dst[63:3], 3'b000};

    // ---- read side
    logic [9:0]     rd_left;        // beats not yet requested
    logic [12:0]    rd_rel;         // next AR address, relative to src_al
    logic [NID-1:0] id_busy;
    logic [12:0]    id_rel[NID];    // next beat of each ID's burst

    // ---- write side
    logic [9:0]  wr_left;           // beats not yet covered by an AW
    logic [12:0] aw_rel;            // next AW address, relative to dst_al
    logic [12:0] w_rel;             // current W beat, relative to dst_al
    logic [4:0]  w_left;            // W beats left in the current burst
    logic [9:0]  b_out;             // AWs accepted without a B yet

    // Burst length: up to 16 beats, never past a 4 KiB boundary.
    function automatic logic [9:0] burst_beats(logic [9:0] left, logic [11:0] addr);
        logic [9:0] to_4k = 10'((13'h1000 - {1'b0, addr}) >> 3);
        logic [9:0] b = left < MAX_BURST ? left : MAX_BURST;
        return b < to_4k ? b : to_4k;
    endfunction

    logic [IDW-1:0] free_id;
    logic           have_free;
    always_comb begin
        free_id   = '0;
        have_free = 1'b0;
        for (int i = NID - 1; i >= 0; i--)
            if (!id_busy[i]) begin
                free_id   = IDW'(i);
                have_free = 1'b1;
            end
    end

    wire [63:0] ar_addr = src_al + 64'(rd_rel);
    wire [9:0]  ar_beats = burst_beats(rd_left, ar_addr[11:0]);
    wire [63:0] aw_addr = dst_al + 64'(aw_rel);
    wire [9:0]  aw_beats = burst_beats(wr_left, aw_addr[11:0]);

    wire r_beat = m_axi_rvalid && m_axi_rready;
    wire w_beat = m_axi_wvalid && m_axi_wready;
    wire b_resp = m_axi_bvalid && m_axi_bready;
    wire aw_hs  = m_axi_awvalid && m_axi_awready;
    wire [IDW-1:0] rid = m_axi_rid[IDW-1:0];
    wire rid_bad = m_axi_rid >= 4'(NID) || !id_busy[rid];

    assign m_axi_arsize  = 3'd3;
    assign m_axi_arburst = 2'b01;
    assign m_axi_rready  = 1'b1;    // the buffer always has room
    assign m_axi_awid    = 4'd0;
    assign m_axi_awsize  = 3'd3;
    assign m_axi_awburst = 2'b01;
    assign m_axi_wvalid  = state == WRITE && w_left != 5'd0;
    assign m_axi_wlast   = w_left == 5'd1;
    assign m_axi_bready  = 1'b1;
    assign busy          = state != IDLE;

    // Write data: dst byte (dst_al + w_rel + l) is chunk byte j = w_rel + l
    // - dst_off, found at buffer byte j + src_off.
    always_comb begin
        for (int l = 0; l < 8; l++) begin
            logic [13:0] pos;
            logic [11:0] k;  // < 4096 whenever the lane is strobed
            pos = 14'(w_rel) + 14'(l);
            k   = 12'(pos - 14'(dst_off) + 14'(src_off));
            m_axi_wstrb[l]       = pos >= 14'(dst_off) && pos < 14'(dst_off) + 14'(n);
            m_axi_wdata[8*l +: 8] = m_axi_wstrb[l] ? cbuf[k[11:3]][{k[2:0], 3'b000} +: 8] : 8'h00;
        end
    end

    always_ff @(posedge clk) if (r_beat && !rid_bad) cbuf[id_rel[rid][11:3]] <= m_axi_rdata;

    always_ff @(posedge clk) begin
        irq <= 1'b0;
        if (!rst_n) begin
            state         <= IDLE;
            done          <= 1'b0;
            error         <= 1'b0;
            id_busy       <= '0;
            m_axi_arvalid <= 1'b0;
            m_axi_awvalid <= 1'b0;
            w_left        <= '0;
            b_out         <= '0;
        end else begin
            // Responses, whatever the state.
            if (r_beat) begin
                if (m_axi_rresp != 2'b00 || rid_bad) error <= 1'b1;
                if (!rid_bad) begin
                    id_rel[rid] <= id_rel[rid] + 13'd8;
                    if (m_axi_rlast) id_busy[rid] <= 1'b0;
                end
            end
            if (b_resp && (m_axi_bresp != 2'b00 || m_axi_bid != 4'd0)) error <= 1'b1;
            b_out <= b_out + 10'(aw_hs) - 10'(b_resp);
            if (m_axi_arvalid && m_axi_arready) m_axi_arvalid <= 1'b0;
            if (aw_hs) m_axi_awvalid <= 1'b0;
            if (w_beat) begin
                w_rel  <= w_rel + 13'd8;
                w_left <= w_left - 5'd1;
            end

            case (state)
                IDLE: if (start) begin
                    done       <= 1'b0;
                    error      <= 1'b0;
                    irq_vector <= irq_vec;
                    irq_en_q   <= irq_en;
                    cur_src    <= src;
                    cur_dst    <= dst;
                    remaining  <= len;
                    if (len == 64'h0 || len > MAX_LEN) begin
                        // Nothing to copy: report it as an error at once.
                        done  <= 1'b1;
                        error <= 1'b1;
                        irq   <= irq_en;
                    end else begin
                        state <= CHUNK;
                    end
                end
                CHUNK: begin
                    // Chunk = what fits in 4 KiB of buffer after src_off.
                    logic [12:0] room;
                    logic [12:0] cn;
                    room    = 13'h1000 - 13'(src_off);
                    cn      = remaining < 64'(room) ? 13'(remaining) : room;
                    n       <= cn;
                    rd_left <= 10'((14'(src_off) + 14'(cn) + 14'd7) >> 3);
                    rd_rel  <= '0;
                    wr_left <= 10'((14'(dst_off) + 14'(cn) + 14'd7) >> 3);
                    aw_rel  <= '0;
                    w_rel   <= '0;
                    state   <= READ;
                end
                READ: begin
                    if ((!m_axi_arvalid || m_axi_arready) && rd_left != '0 && have_free) begin
                        m_axi_arvalid    <= 1'b1;
                        m_axi_arid       <= 4'(free_id);
                        m_axi_araddr     <= ar_addr;
                        m_axi_arlen      <= 8'(ar_beats - 10'd1);
                        id_busy[free_id] <= 1'b1;
                        id_rel[free_id]  <= rd_rel;
                        rd_rel           <= rd_rel + {ar_beats, 3'b000};
                        rd_left          <= rd_left - ar_beats;
                    end
                    if (rd_left == '0 && id_busy == '0 && !m_axi_arvalid) state <= WRITE;
                end
                WRITE: begin
                    // Next burst once the previous one's AW and data are out.
                    if (!m_axi_awvalid && w_left == 5'd0) begin
                        if (wr_left != '0) begin
                            m_axi_awvalid <= 1'b1;
                            m_axi_awaddr  <= aw_addr;
                            m_axi_awlen   <= 8'(aw_beats - 10'd1);
                            aw_rel        <= aw_rel + {aw_beats, 3'b000};
                            wr_left       <= wr_left - aw_beats;
                            w_left        <= 5'(aw_beats);
                        end else begin
                            state <= WAITB;
                        end
                    end
                end
                WAITB: if (b_out == '0) begin
                    // Completion (and its MSI-X) only after the last B: the
                    // data is then in host memory.
                    cur_src   <= cur_src + 64'(n);
                    cur_dst   <= cur_dst + 64'(n);
                    remaining <= remaining - 64'(n);
                    if (remaining == 64'(n)) begin
                        state <= IDLE;
                        done  <= 1'b1;
                        irq   <= irq_en_q;
                    end else begin
                        state <= CHUNK;
                    end
                end
                default: state <= IDLE;
            endcase
        end
    end
endmodule
