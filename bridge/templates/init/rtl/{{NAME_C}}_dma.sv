// {{NAME}}: DMA copy engine. Copies LEN bytes of host memory from SRC to DST
// through the bridge's DMA slave (AXI4, 64-bit data).
//
// Kept small on purpose: SRC and DST must be 8-byte aligned and LEN a
// multiple of 8, 8 .. 64 KiB (anything else finishes at once with error
// set). The copy goes burst by burst: one read burst and one write burst of
// the same length, at most 256 beats (2 KiB) and never crossing a 4 KiB
// boundary on either side (AXI's rule), with the read data streamed
// straight into the write data, no buffer. The next burst starts after the
// write response, so the copy is in host memory when `finished` pulses.
module {{NAME_C}}_dma (
    input  logic        clk,
    input  logic        rst_n,

    input  logic        start,      // pulse; ignored while busy
    input  logic [63:0] src,
    input  logic [63:0] dst,
    input  logic [63:0] len,
    output logic        busy,
    output logic        done,       // set when a copy ends, cleared at start
    output logic        error,      // bad arguments or an AXI error; cleared at start
    output logic        finished,   // pulse: a copy ended (with or without error)

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
    input  logic [63:0] m_axi_rdata,
    input  logic [1:0]  m_axi_rresp,
    input  logic        m_axi_rlast,
    input  logic        m_axi_rvalid,
    output logic        m_axi_rready
);
    localparam logic [63:0] MAX_LEN = 64'h1_0000;
    localparam logic [12:0] MAX_BURST = 13'd2048;  // 256 beats of 8 bytes

    typedef enum logic [1:0] { IDLE, NEXT, XFER } state_t;
    state_t state;

    logic [63:0] cur_src, cur_dst;
    logic [16:0] remaining;  // bytes still to copy, <= 64 KiB
    logic [12:0] n;          // bytes in the current burst, 8 .. 2048

    // Bytes up to the next 4 KiB boundary: 8 .. 4096 for aligned addresses.
    wire [12:0] src_room = 13'h1000 - {1'b0, cur_src[11:0]};
    wire [12:0] dst_room = 13'h1000 - {1'b0, cur_dst[11:0]};
    logic [12:0] chunk;
    always_comb begin
        chunk = remaining < 17'(MAX_BURST) ? 13'(remaining) : MAX_BURST;
        if (src_room < chunk) chunk = src_room;
        if (dst_room < chunk) chunk = dst_room;
    end

    // One ID, INCR, full 8-byte beats on both sides.
    assign m_axi_arid    = 4'd0;
    assign m_axi_araddr  = cur_src;
    assign m_axi_arlen   = 8'(n[12:3] - 10'd1);
    assign m_axi_arsize  = 3'd3;
    assign m_axi_arburst = 2'b01;
    assign m_axi_awid    = 4'd0;
    assign m_axi_awaddr  = cur_dst;
    assign m_axi_awlen   = m_axi_arlen;
    assign m_axi_awsize  = 3'd3;
    assign m_axi_awburst = 2'b01;
    assign m_axi_bready  = 1'b1;

    // Read data becomes write data as is: a beat leaves R only when W takes
    // it. Valid never waits for ready, as AXI requires.
    assign m_axi_wvalid  = state == XFER && m_axi_rvalid;
    assign m_axi_rready  = state == XFER && m_axi_wready;
    assign m_axi_wdata   = m_axi_rdata;
    assign m_axi_wstrb   = 8'hFF;
    assign m_axi_wlast   = m_axi_rlast;

    assign busy = state != IDLE;

    wire bad_args = len == 64'h0 || len > MAX_LEN || len[2:0] != 3'd0
                 || src[2:0] != 3'd0 || dst[2:0] != 3'd0;

    always_ff @(posedge clk) begin
        finished <= 1'b0;
        if (!rst_n) begin
            state         <= IDLE;
            done          <= 1'b0;
            error         <= 1'b0;
            m_axi_arvalid <= 1'b0;
            m_axi_awvalid <= 1'b0;
        end else begin
            case (state)
                IDLE: if (start) begin
                    done      <= bad_args;
                    error     <= bad_args;
                    finished  <= bad_args;
                    cur_src   <= src;
                    cur_dst   <= dst;
                    remaining <= 17'(len);
                    if (!bad_args) state <= NEXT;
                end
                NEXT: begin
                    n             <= chunk;
                    m_axi_arvalid <= 1'b1;
                    m_axi_awvalid <= 1'b1;
                    state         <= XFER;
                end
                XFER: begin
                    if (m_axi_arvalid && m_axi_arready) m_axi_arvalid <= 1'b0;
                    if (m_axi_awvalid && m_axi_awready) m_axi_awvalid <= 1'b0;
                    if (m_axi_rvalid && m_axi_rready && m_axi_rresp != 2'b00) error <= 1'b1;
                    // The B of a burst comes after all of its beats (and its AW).
                    if (m_axi_bvalid) begin
                        if (m_axi_bresp != 2'b00) error <= 1'b1;
                        cur_src   <= cur_src + 64'(n);
                        cur_dst   <= cur_dst + 64'(n);
                        remaining <= remaining - 17'(n);
                        if (remaining == 17'(n)) begin
                            state    <= IDLE;
                            done     <= 1'b1;
                            finished <= 1'b1;
                        end else begin
                            state <= NEXT;
                        end
                    end
                end
                default: state <= IDLE;
            endcase
        end
    end
endmodule
