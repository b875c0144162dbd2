// Copy engine of the example device: copies LEN bytes of host memory from
// SRC to DST (any alignment, 1 byte .. 16 MiB) through its AXI4 master.
//
// Works chunk by chunk: read a chunk into a buffer (dma_rd: its bursts in
// flight together, one per ARID), then write it out (dma_wr: shifts bytes
// by (src - dst) % 8 on the way). A chunk is at most 2^CB bytes of buffer
// (16 KiB) including the source's misalignment, so one round trip to host
// memory brings in a whole chunk. Two readers take the chunks in turn
// (reader k on ARIDs 8k .. 8k+7) and four buffers hold them until written:
// while one reader's data comes in, the other's request is on its way, and
// the writer drains the chunk before. Like memcpy, a copy whose ranges
// overlap has no defined result. The movers live in hdl/lib/ and serve the
// GPU front-end's engines too.
module example_dma
    import axi_pkg::*;
#(
    parameter int CB = 14  // chunk bytes 2^CB, 12 .. 15 (8 bursts of 256 beats at 14)
) (
    input  logic        clk,
    input  logic        rst_n,

    input  logic        start,       // pulse; ignored while busy
    input  logic [63:0] src,
    input  logic [63:0] dst,
    input  logic [63:0] len,
    input  logic        irq_en,
    input  logic [7:0]  irq_vec,
    input  logic        bus_master,  // PCI Bus Master Enable: no DMA without it

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
    localparam logic [63:0] MAX_LEN = 64'h100_0000;  // 16 MiB
    localparam int NB = 4;       // chunk buffers
    localparam int IW = CB - 3;  // word index bits of a buffer

    // Buffer b's word i is cbuf[{b, i}], in source word layout.
    logic [63:0] cbuf[NB << IW];

    logic          active, irq_en_q;
    // The next chunk to read (r_src, r_left) and into which buffer; the
    // readers alternate, so buffers 0 and 2 are reader 0's, 1 and 3 reader 1's.
    logic [63:0]   r_src, r_left;
    logic [1:0]    r_bank;
    wire           r_sel = r_bank[0];  // the reader of the next chunk
    logic [1:0]    rk_bank[2];  // the buffer reader k fills
    logic [1:0]    rk_wait;     // reader k has a chunk under way
    // The next chunk to write, and from which buffer.
    logic [63:0]   w_src, w_dst, w_left;
    logic [1:0]    w_bank, drain_bank;
    logic          w_wait;
    logic [NB-1:0] filled;      // buffers holding a chunk read, its write not started
    logic [2:0]    inuse;       // buffers holding a chunk not yet written

    // A chunk: what fits in a buffer after the source's misalignment.
    function automatic logic [CB:0] chunk_len(logic [2:0] src_off, logic [63:0] left);
        logic [CB:0] room;
        room = (CB+1)'(1 << CB) - (CB+1)'(src_off);
        return left < 64'(room) ? (CB+1)'(left) : room;
    endfunction
    wire [CB:0] r_n = chunk_len(r_src[2:0], r_left);
    wire [CB:0] w_n = chunk_len(w_src[2:0], w_left);

    logic [1:0]    rd_busy, rd_error, rd_we;
    logic [IW-1:0] rd_idx[2];
    logic [63:0]   rd_wdata[2];
    logic [IW-1:0] wr_idx;
    logic          wr_start, wr_busy, wr_error;

    // busy rises the clock after start: a mover is done when it is waited on and not busy.
    wire       rd_start = active && r_left != 64'h0 && !rk_wait[r_sel] && inuse != 3'(NB);
    wire [1:0] rd_go    = {rd_start && r_sel, rd_start && !r_sel};
    wire [1:0] rd_done  = rk_wait & ~rd_busy;
    wire       wr_done  = w_wait && !wr_busy;
    assign wr_start = active && !w_wait && filled[w_bank];

    axi_req_t rd_req[2], wr_req, req;
    axi_rsp_t rd_rsp[2], rsp;

    // One AR channel for both readers: the one whose AR waits keeps it until
    // it is taken (AXI: an address must not change while ARVALID waits).
    logic ar_hold, ar_held;
    wire  ar_owner = ar_hold ? ar_held : !rd_req[0].arvalid;
    always_ff @(posedge clk) begin
        ar_hold <= rst_n && req.arvalid && !m_axi_arready;
        ar_held <= ar_owner;
    end

    for (genvar k = 0; k < 2; k++) begin : g_rd
        // Each reader sees the AR handshakes it was given and the R beats of its IDs.
        always_comb begin
            rd_rsp[k]         = rsp;
            rd_rsp[k].arready = rsp.arready && ar_owner == 1'(k);
            rd_rsp[k].rvalid  = rsp.rvalid && rsp.rid[3] == 1'(k);
        end
        dma_rd #(.NID(8), .ID_BASE(4'(8 * k)), .CB(CB)) rd (
            .clk, .rst_n,
            .start(rd_go[k]), .addr(r_src), .n(r_n), .busy(rd_busy[k]), .error(rd_error[k]),
            .buf_we(rd_we[k]), .buf_idx(rd_idx[k]), .buf_wdata(rd_wdata[k]),
            .m_req(rd_req[k]), .m_rsp(rd_rsp[k])
        );
    end

    dma_wr #(.AWID(4'd0), .CB(CB)) wr (
        .clk, .rst_n,
        .start(wr_start), .addr(w_dst), .n(w_n), .src_off(w_src[2:0]),
        .busy(wr_busy), .error(wr_error),
        .buf_idx(wr_idx), .buf_word0(cbuf[{drain_bank, wr_idx}]), .buf_word1(cbuf[{drain_bank, wr_idx + IW'(1)}]),
        .m_req(wr_req), .m_rsp(rsp)
    );

    // The readers drive only AR/R, the writer only AW/W/B: merge them onto
    // the module's AXI4 master ports.
    assign req            = rd_req[ar_owner] | wr_req;
    assign m_axi_arid     = req.arid;
    assign m_axi_araddr   = req.araddr;
    assign m_axi_arlen    = req.arlen;
    assign m_axi_arsize   = req.arsize;
    assign m_axi_arburst  = req.arburst;
    assign m_axi_arvalid  = req.arvalid;
    assign m_axi_rready   = req.rready;
    assign m_axi_awid     = req.awid;
    assign m_axi_awaddr   = req.awaddr;
    assign m_axi_awlen    = req.awlen;
    assign m_axi_awsize   = req.awsize;
    assign m_axi_awburst  = req.awburst;
    assign m_axi_awvalid  = req.awvalid;
    assign m_axi_wdata    = req.wdata;
    assign m_axi_wstrb    = req.wstrb;
    assign m_axi_wlast    = req.wlast;
    assign m_axi_wvalid   = req.wvalid;
    assign m_axi_bready   = req.bready;
    assign rsp = '{arready: m_axi_arready, rid: m_axi_rid, rdata: m_axi_rdata, rresp: m_axi_rresp,
                   rlast: m_axi_rlast, rvalid: m_axi_rvalid, awready: m_axi_awready,
                   wready: m_axi_wready, bid: m_axi_bid, bresp: m_axi_bresp, bvalid: m_axi_bvalid};

    // One R beat a clock: at most one reader writes.
    always_ff @(posedge clk)
        if (rd_we[0]) cbuf[{rk_bank[0], rd_idx[0]}] <= rd_wdata[0];
        else if (rd_we[1]) cbuf[{rk_bank[1], rd_idx[1]}] <= rd_wdata[1];

    assign busy = active;

    always_ff @(posedge clk) begin
        irq <= 1'b0;
        if (!rst_n) begin
            active  <= 1'b0;
            done    <= 1'b0;
            error   <= 1'b0;
            rk_wait <= '0;
            w_wait  <= 1'b0;
        end else if (!active) begin
            if (start) begin
                done       <= 1'b0;
                error      <= 1'b0;
                irq_vector <= irq_vec;
                irq_en_q   <= irq_en;
                r_src      <= src;
                r_left     <= len;
                w_src      <= src;
                w_dst      <= dst;
                w_left     <= len;
                r_bank     <= '0;
                w_bank     <= '0;
                filled     <= '0;
                inuse      <= '0;
                if (len == 64'h0 || len > MAX_LEN || !bus_master) begin
                    // Nothing to copy, or the host has not allowed this
                    // function to master the bus (a request would only
                    // come back as an error): report an error at once.
                    done  <= 1'b1;
                    error <= 1'b1;
                    irq   <= irq_en;
                end else begin
                    active <= 1'b1;
                end
            end
        end else begin
            if (rd_start) begin
                rk_wait[r_sel] <= 1'b1;
                rk_bank[r_sel] <= r_bank;
                r_bank         <= r_bank + 2'd1;
                r_src          <= r_src + 64'(r_n);
                r_left         <= r_left - 64'(r_n);
            end
            for (int k = 0; k < 2; k++)
                if (rd_done[k]) begin
                    rk_wait[k]         <= 1'b0;
                    filled[rk_bank[k]] <= 1'b1;
                    if (rd_error[k]) error <= 1'b1;
                end
            if (wr_start) begin
                w_wait         <= 1'b1;
                filled[w_bank] <= 1'b0;
                drain_bank     <= w_bank;
                w_bank         <= w_bank + 2'd1;
                w_src          <= w_src + 64'(w_n);
                w_dst          <= w_dst + 64'(w_n);
                w_left         <= w_left - 64'(w_n);
            end
            if (wr_done) begin
                w_wait <= 1'b0;
                if (wr_error) error <= 1'b1;
                // Completion (and its MSI-X) only after the last B: the
                // data is then in host memory.
                if (w_left == 64'h0) begin
                    active <= 1'b0;
                    done   <= 1'b1;
                    irq    <= irq_en_q;
                end
            end
            inuse <= inuse + 3'(rd_start) - 3'(wr_done);
        end
    end
endmodule
