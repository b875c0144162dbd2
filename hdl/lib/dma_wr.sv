// DMA write side (AXI4 master AW/W/B), shared by the device DMA engines.
//
// Writes one chunk of N bytes to host memory at ADDR (any alignment;
// ADDR % 8 + N <= 2^CB) from its owner's word buffer, which holds the
// chunk in source word layout with chunk byte 0 at buffer byte SRC_OFF
// (see dma_align). INCR bursts of up to 256 beats, never across 4 KiB,
// first and last beats strobed to the chunk. One burst's data at a time,
// AW first; `busy` rises the clock after `start` and falls after the last
// B response, so the data is in host memory when it falls. `error` (kept
// until the next start) reports an error response or a foreign BID.
module dma_wr
    import dma_pkg::*;
    import axi_pkg::*;
#(
    parameter logic [3:0] AWID = 4'd0,
    parameter int         CB   = 12    // a chunk is at most 2^CB bytes (12 .. 15)
) (
    input  logic        clk,
    input  logic        rst_n,

    input  logic        start,
    input  logic [63:0] addr,
    input  logic [CB:0] n,
    input  logic [2:0]  src_off,
    output logic        busy,
    output logic        error,

    output logic [CB-4:0] buf_idx,  // the owner answers buf[idx], buf[idx + 1]
    input  logic [63:0] buf_word0,
    input  logic [63:0] buf_word1,

    // AW, W and B only; the read channels are driven 0 (OR-able with a
    // reader's request), the read responses are not looked at.
    output axi_req_t    m_req,
    /* verilator lint_off UNUSEDSIGNAL */
    input  axi_rsp_t    m_rsp
    /* verilator lint_on UNUSEDSIGNAL */
);
    logic [63:0] dst_al;
    logic [2:0]  dst_off, soff;
    logic [CB:0]   cn;
    logic [CB-3:0] left;    // beats not yet covered by an AW
    logic [CB:0]   aw_rel;  // next AW address, relative to dst_al
    logic [CB:0]   w_rel;   // current W beat, relative to dst_al
    logic [8:0]  w_left;    // W beats left in the current burst
    logic [9:0]  b_out;     // AWs accepted without a B yet

    wire [63:0] aw_addr  = dst_al + 64'(aw_rel);
    wire [9:0]  aw_beats = dma_burst_beats(16'(left), aw_addr[11:0]);
    logic        awvalid;
    logic [63:0] awaddr;
    logic [7:0]  awlen;
    logic [63:0] wdata;
    logic [7:0]  wstrb;
    wire        w_beat   = w_left != 9'd0 && m_rsp.wready;
    wire        b_resp   = m_rsp.bvalid;
    wire        aw_hs    = awvalid && m_rsp.awready;

    dma_align #(.CB(CB)) align (
        .pos(w_rel), .dst_off, .src_off(soff), .n(cn),
        .idx(buf_idx), .word0(buf_word0), .word1(buf_word1),
        .data(wdata), .strb(wstrb)
    );

    always_comb begin
        m_req         = '0;
        m_req.awid    = AWID;
        m_req.awaddr  = awaddr;
        m_req.awlen   = awlen;
        m_req.awsize  = 3'd3;
        m_req.awburst = 2'b01;
        m_req.awvalid = awvalid;
        m_req.wdata   = wdata;
        m_req.wstrb   = wstrb;
        m_req.wlast   = w_left == 9'd1;
        m_req.wvalid  = w_left != 9'd0;
        m_req.bready  = 1'b1;
    end

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            busy          <= 1'b0;
            error         <= 1'b0;
            awvalid <= 1'b0;
            w_left        <= '0;
            b_out         <= '0;
            left          <= '0;
        end else begin
            if (b_resp && (m_rsp.bresp != 2'b00 || m_rsp.bid != AWID)) error <= 1'b1;
            b_out <= b_out + 10'(aw_hs) - 10'(b_resp);
            if (aw_hs) awvalid <= 1'b0;
            if (w_beat) begin
                w_rel  <= w_rel + (CB+1)'(8);
                w_left <= w_left - 9'd1;
            end
            if (start && !busy) begin
                busy    <= 1'b1;
                error   <= 1'b0;
                dst_al  <= {addr[63:3], 3'b000};
                dst_off <= addr[2:0];
                soff    <= src_off;
                cn      <= n;
                left    <= (CB-2)'(((CB+2)'(addr[2:0]) + (CB+2)'(n) + (CB+2)'(7)) >> 3);
                aw_rel  <= '0;
                w_rel   <= '0;
            end else if (busy && !awvalid && w_left == 9'd0) begin
                // Next burst once the previous one's AW and data are out.
                if (left != '0) begin
                    awvalid <= 1'b1;
                    awaddr  <= aw_addr;
                    awlen   <= 8'(aw_beats - 10'd1);
                    aw_rel        <= aw_rel + (CB+1)'({aw_beats, 3'b000});
                    left          <= left - (CB-2)'(aw_beats);
                    w_left        <= 9'(aw_beats);
                end else if (b_out == '0 && !b_resp) begin
                    busy <= 1'b0;
                end
            end
        end
    end
endmodule
