// DMA read side (AXI4 master AR/R), shared by the device DMA engines.
//
// Reads one chunk of host memory, N bytes at ADDR (any alignment;
// ADDR % 8 + N <= 2^CB), into its owner's word buffer in source word
// layout: buffer word i = the host word at (ADDR & ~7) + 8 i. INCR bursts
// of up to 256 beats that never cross a 4 KiB boundary, up to NID bursts in
// flight on ARIDs ID_BASE .. ID_BASE + NID - 1. AXI lets different IDs
// answer in any order, so each ID keeps the buffer position of its next
// beat. `busy` rises the clock after `start` and falls once every burst is
// answered; `error` (kept until the next start) reports an error response
// or a beat with an ID this reader has not requested.
module dma_rd
    import dma_pkg::*;
    import axi_pkg::*;
#(
    parameter int         NID     = 8,     // power of two, ID_BASE + NID <= 16
    parameter logic [3:0] ID_BASE = 4'd0,
    parameter int         CB      = 12     // a chunk is at most 2^CB bytes (12 .. 15)
) (
    input  logic        clk,
    input  logic        rst_n,

    input  logic        start,
    input  logic [63:0] addr,
    input  logic [CB:0] n,
    output logic        busy,
    output logic        error,

    output logic          buf_we,
    output logic [CB-4:0] buf_idx,
    output logic [63:0] buf_wdata,

    // AR and R only; the write channels are driven 0 (OR-able with a
    // writer's request), the write responses are not looked at.
    output axi_req_t    m_req,
    /* verilator lint_off UNUSEDSIGNAL */
    input  axi_rsp_t    m_rsp
    /* verilator lint_on UNUSEDSIGNAL */
);
    localparam int IDW = NID > 1 ? $clog2(NID) : 1;

    logic [63:0]    base_al;        // ADDR rounded down to 8
    logic [CB-3:0]  left;           // beats not yet requested
    logic [CB:0]    rel;            // next AR address, relative to base_al
    logic [NID-1:0] id_busy;
    logic [CB:0]    id_rel[NID];    // buffer byte of each ID's next beat

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

    wire [63:0]    ar_addr  = base_al + 64'(rel);
    wire [9:0]     ar_beats = dma_burst_beats(16'(left), ar_addr[11:0]);
    wire [3:0]     rid_off  = m_rsp.rid - ID_BASE;
    wire [IDW-1:0] rid      = rid_off[IDW-1:0];
    // IDs below ID_BASE wrap to rid_off >= NID as well (ID_BASE + NID <= 16).
    wire           rid_bad  = 5'(rid_off) >= 5'(NID) || !id_busy[rid];
    wire           r_beat   = m_rsp.rvalid;

    logic        arvalid;
    logic [3:0]  arid;
    logic [63:0] araddr;
    logic [7:0]  arlen;
    always_comb begin
        m_req         = '0;
        m_req.arid    = arid;
        m_req.araddr  = araddr;
        m_req.arlen   = arlen;
        m_req.arsize  = 3'd3;
        m_req.arburst = 2'b01;
        m_req.arvalid = arvalid;
        m_req.rready  = 1'b1;    // the buffer always has room
    end
    assign buf_we        = r_beat && !rid_bad;
    assign buf_idx       = id_rel[rid][CB-1:3];
    assign buf_wdata     = m_rsp.rdata;

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            busy          <= 1'b0;
            error         <= 1'b0;
            id_busy       <= '0;
            left          <= '0;
            arvalid <= 1'b0;
        end else begin
            if (r_beat) begin
                if (m_rsp.rresp != 2'b00 || rid_bad) error <= 1'b1;
                if (!rid_bad) begin
                    id_rel[rid] <= id_rel[rid] + (CB+1)'(8);
                    if (m_rsp.rlast) id_busy[rid] <= 1'b0;
                end
            end
            if (arvalid && m_rsp.arready) arvalid <= 1'b0;
            if (start && !busy) begin
                busy    <= 1'b1;
                error   <= 1'b0;
                base_al <= {addr[63:3], 3'b000};
                left    <= (CB-2)'(((CB+2)'(addr[2:0]) + (CB+2)'(n) + (CB+2)'(7)) >> 3);
                rel     <= '0;
            end else if (busy) begin
                if ((!arvalid || m_rsp.arready) && left != '0 && have_free) begin
                    arvalid    <= 1'b1;
                    arid       <= ID_BASE + 4'(free_id);
                    araddr     <= ar_addr;
                    arlen      <= 8'(ar_beats - 10'd1);
                    id_busy[free_id] <= 1'b1;
                    id_rel[free_id]  <= rel;
                    rel              <= rel + (CB+1)'({ar_beats, 3'b000});
                    left             <= left - (CB-2)'(ar_beats);
                end
                if (left == '0 && id_busy == '0 && !arvalid) busy <= 1'b0;
            end
        end
    end

    initial begin
        if (NID < 1 || (NID & (NID - 1)) != 0 || 32'(ID_BASE) + NID > 16)
            $error("dma_rd: NID %0d / ID_BASE %0d do not fit 4-bit IDs", NID, ID_BASE);
        if (CB < 12 || CB > 15)
            $error("dma_rd: CB %0d is outside 12 .. 15", CB);
    end
endmodule
