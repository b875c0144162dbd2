// Copy engine of the example device: copies LEN bytes of host memory from
// SRC to DST (any alignment, 1 byte .. 16 MiB) through its AXI4 master.
//
// Works chunk by chunk: read a chunk into a buffer (dma_rd: up to NID
// bursts in flight, one per ARID), then write it out (dma_wr: shifts bytes
// by (src - dst) % 8 on the way). A chunk is at most 2^CB bytes of buffer
// (16 KiB) including the source's misalignment: its bursts are in flight
// together, so one round trip to host memory brings in 16 KiB. Two
// buffers: the next chunk is read while the last one is written, so that
// round trip overlaps the clocks of a write. Like memcpy, a copy whose ranges overlap
// has no defined result. The two movers live in hdl/lib/ and serve the GPU
// front-end's engines too.
module example_dma
    import axi_pkg::*;
#(
    parameter int NID = 16, // ARIDs used, power of two, <= 16
    parameter int CB  = 15  // chunk bytes 2^CB, 12 .. 15
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

    localparam int IW = CB - 3;  // buffer word index bits of a bank

    // Bank b's word i is cbuf[{b, i}], in source word layout.
    logic [63:0] cbuf[2 << IW];

    logic        active, irq_en_q;
    // The reader: the next chunk to read (r_src, r_left) and into which bank.
    logic [63:0] r_src, r_left;
    logic        r_bank, fill_bank, r_wait;
    // The writer: the next chunk to write, and from which bank.
    logic [63:0] w_src, w_dst, w_left;
    logic        w_bank, drain_bank, w_wait;
    logic [1:0]  ready;             // chunks read, their write not started
    logic [1:0]  inuse;             // banks holding a chunk not yet written

    // A chunk: what fits in the buffer after the source's misalignment.
    function automatic logic [CB:0] chunk_len(logic [2:0] src_off, logic [63:0] left);
        logic [CB:0] room;
        room = (CB+1)'(1 << CB) - (CB+1)'(src_off);
        return left < 64'(room) ? (CB+1)'(left) : room;
    endfunction
    wire [CB:0] r_n = chunk_len(r_src[2:0], r_left);
    wire [CB:0] w_n = chunk_len(w_src[2:0], w_left);

    logic          rd_start, rd_busy, rd_error, rd_we;
    logic [IW-1:0] rd_idx, wr_idx;
    logic [63:0] rd_wdata;
    logic        wr_start, wr_busy, wr_error;

    // busy rises the clock after start: a mover is done when it is waited on and not busy.
    wire rd_done = r_wait && !rd_busy;
    wire wr_done = w_wait && !wr_busy;
    assign rd_start = active && r_left != 64'h0 && !r_wait && inuse != 2'd2;
    assign wr_start = active && !w_wait && ready != 2'd0;

    axi_req_t rd_req, wr_req, req;
    axi_rsp_t rsp;

    dma_rd #(.NID(NID), .ID_BASE(4'd0), .CB(CB)) rd (
        .clk, .rst_n,
        .start(rd_start), .addr(r_src), .n(r_n), .busy(rd_busy), .error(rd_error),
        .buf_we(rd_we), .buf_idx(rd_idx), .buf_wdata(rd_wdata),
        .m_req(rd_req), .m_rsp(rsp)
    );

    dma_wr #(.AWID(4'd0), .CB(CB)) wr (
        .clk, .rst_n,
        .start(wr_start), .addr(w_dst), .n(w_n), .src_off(w_src[2:0]),
        .busy(wr_busy), .error(wr_error),
        .buf_idx(wr_idx), .buf_word0(cbuf[{drain_bank, wr_idx}]), .buf_word1(cbuf[{drain_bank, wr_idx + IW'(1)}]),
        .m_req(wr_req), .m_rsp(rsp)
    );

    // The reader drives only AR/R, the writer only AW/W/B: merge them onto
    // the module's AXI4 master ports.
    assign req            = rd_req | wr_req;
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

    always_ff @(posedge clk) if (rd_we) cbuf[{fill_bank, rd_idx}] <= rd_wdata;

    assign busy = active;

    always_ff @(posedge clk) begin
        irq <= 1'b0;
        if (!rst_n) begin
            active <= 1'b0;
            done   <= 1'b0;
            error  <= 1'b0;
            r_wait <= 1'b0;
            w_wait <= 1'b0;
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
                r_bank     <= 1'b0;
                w_bank     <= 1'b0;
                ready      <= 2'd0;
                inuse      <= 2'd0;
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
                r_wait    <= 1'b1;
                fill_bank <= r_bank;
                r_bank    <= ~r_bank;
                r_src     <= r_src + 64'(r_n);
                r_left    <= r_left - 64'(r_n);
            end
            if (rd_done) begin
                r_wait <= 1'b0;
                if (rd_error) error <= 1'b1;
            end
            if (wr_start) begin
                w_wait     <= 1'b1;
                drain_bank <= w_bank;
                w_bank     <= ~w_bank;
                w_src      <= w_src + 64'(w_n);
                w_dst      <= w_dst + 64'(w_n);
                w_left     <= w_left - 64'(w_n);
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
            ready <= ready + 2'(rd_done) - 2'(wr_start);
            inuse <= inuse + 2'(rd_start) - 2'(wr_done);
        end
    end
endmodule
