// Copy engine of the example device: copies LEN bytes of host memory from
// SRC to DST (any alignment, 1 byte .. 16 MiB) through its AXI4 master.
//
// Works chunk by chunk: read a chunk into a buffer (dma_rd: up to NID
// bursts in flight, one per ARID), then write it out (dma_wr: shifts bytes
// by (src - dst) % 8 on the way). A chunk is at most 4 KiB of buffer
// including the source's misalignment. The two movers live in hdl/lib/ and
// serve the GPU front-end's engines too.
module example_dma
    import axi_pkg::*;
#(
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

    typedef enum logic [2:0] { IDLE, CHUNK, READ, WRITE, WAIT_RD, WAIT_WR } state_t;

    state_t      state;
    logic [63:0] cur_src, cur_dst, remaining;
    logic [12:0] n;                 // bytes in this chunk
    logic        irq_en_q;

    logic [63:0] cbuf[512];         // the chunk, in source word layout

    logic        rd_start, rd_busy, rd_error, rd_we;
    logic [8:0]  rd_idx, wr_idx;
    logic [63:0] rd_wdata;
    logic        wr_start, wr_busy, wr_error;

    axi_req_t rd_req, wr_req, req;
    axi_rsp_t rsp;

    dma_rd #(.NID(NID), .ID_BASE(4'd0)) rd (
        .clk, .rst_n,
        .start(rd_start), .addr(cur_src), .n, .busy(rd_busy), .error(rd_error),
        .buf_we(rd_we), .buf_idx(rd_idx), .buf_wdata(rd_wdata),
        .m_req(rd_req), .m_rsp(rsp)
    );

    dma_wr #(.AWID(4'd0)) wr (
        .clk, .rst_n,
        .start(wr_start), .addr(cur_dst), .n, .src_off(cur_src[2:0]),
        .busy(wr_busy), .error(wr_error),
        .buf_idx(wr_idx), .buf_word0(cbuf[wr_idx]), .buf_word1(cbuf[wr_idx + 9'd1]),
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

    always_ff @(posedge clk) if (rd_we) cbuf[rd_idx] <= rd_wdata;

    assign rd_start = state == READ;
    assign wr_start = state == WRITE;
    assign busy     = state != IDLE;

    always_ff @(posedge clk) begin
        irq <= 1'b0;
        if (!rst_n) begin
            state <= IDLE;
            done  <= 1'b0;
            error <= 1'b0;
        end else begin
            case (state)
                IDLE: if (start) begin
                    done       <= 1'b0;
                    error      <= 1'b0;
                    irq_vector <= irq_vec;
                    irq_en_q   <= irq_en;
                    cur_src    <= src;
                    cur_dst    <= dst;
                    remaining  <= len;
                    if (len == 64'h0 || len > MAX_LEN || !bus_master) begin
                        // Nothing to copy, or the host has not allowed this
                        // function to master the bus (a request would only
                        // come back as an error): report an error at once.
                        done  <= 1'b1;
                        error <= 1'b1;
                        irq   <= irq_en;
                    end else begin
                        state <= CHUNK;
                    end
                end
                CHUNK: begin
                    // Chunk = what fits in 4 KiB of buffer after src % 8.
                    logic [12:0] room;
                    room  = 13'h1000 - 13'(cur_src[2:0]);
                    n     <= remaining < 64'(room) ? 13'(remaining) : room;
                    state <= READ;
                end
                READ:    state <= WAIT_RD;
                WAIT_RD: if (!rd_busy) begin
                    if (rd_error) error <= 1'b1;
                    state <= WRITE;
                end
                WRITE:   state <= WAIT_WR;
                WAIT_WR: if (!wr_busy) begin
                    // Completion (and its MSI-X) only after the last B: the
                    // data is then in host memory.
                    if (wr_error) error <= 1'b1;
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
