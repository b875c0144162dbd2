// MMIO side of the bridge: turns one host BAR access at a time into a
// single-beat AXI4 transfer on the master port.
//
// Serving strictly one access at a time, in arrival order, is what gives
// PCIe ordering (a read never passes an earlier posted write) without any
// ordering logic in the user RTL. Pure RTL: the DPI calls live in
// cosim_bridge, which feeds req_* and consumes done_*.
module cosim_bridge_mmio (
    input  logic        clk,
    input  logic        rst_n,        // synchronous; also asserted on host reset

    // Request, a one-clock pulse; only issued while busy is low.
    input  logic        req_valid,
    input  logic        req_write,
    input  logic [31:0] req_tag,
    input  logic [2:0]  req_bar,
    input  logic [63:0] req_addr,     // BAR offset
    input  logic [3:0]  req_len,      // bytes: 1, 2, 4 or 8
    input  logic [63:0] req_wdata,    // right-aligned

    output logic        busy,
    output logic        cur_write,    // the access in flight (for aborts)
    output logic [31:0] cur_tag,

    // Completion, valid for the clock where done is high.
    output logic        done,
    output logic [63:0] done_rdata,   // right-aligned, upper bytes zero
    output logic        done_error,

    output logic [3:0]  m_axi_awid,
    output logic [63:0] m_axi_awaddr,
    output logic [7:0]  m_axi_awlen,
    output logic [2:0]  m_axi_awsize,
    output logic [1:0]  m_axi_awburst,
    output logic [2:0]  m_axi_awuser,
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
    output logic [2:0]  m_axi_aruser,
    output logic        m_axi_arvalid,
    input  logic        m_axi_arready,
    input  logic [63:0] m_axi_rdata,
    input  logic [1:0]  m_axi_rresp,
    input  logic        m_axi_rvalid,
    output logic        m_axi_rready
);
    typedef enum logic [1:0] {
        IDLE,
        WRITE,  // AW/W issued, waiting for B
        READ,   // AR issued, waiting for R
        BAD     // malformed request: complete with an error, touch no bus
    } state_t;

    state_t      state;
    logic [2:0]  lane;      // addr % 8 of the access in flight
    logic [63:0] len_mask;  // right-aligned mask of the accessed bytes
    logic [63:0] addr_q;
    logic [2:0]  size_q;
    logic [7:0]  strb_q;
    logic [63:0] wdata_q;
    logic [2:0]  bar_q;

    // The single beat may be unaligned to its size (AXI allows that, with
    // the strobes naming the bytes); an access that straddles two bus words
    // cannot be one beat, so it is refused rather than split.
    wire [2:0] req_lane = req_addr[2:0];
    wire len_ok = req_len == 4'd1 || req_len == 4'd2 || req_len == 4'd4 || req_len == 4'd8;
    wire fits   = {1'b0, req_lane} + req_len <= 4'd8;
    wire [2:0] req_log2 = req_len[3] ? 3'd3 : req_len[2] ? 3'd2 : req_len[1] ? 3'd1 : 3'd0;
    // size = log2(len) for naturally aligned accesses; a misaligned one uses
    // the full bus width so its strobes stay inside the beat's container.
    wire aligned = (req_addr[2:0] & (req_len[2:0] - 3'd1)) == 3'd0;
    wire [7:0] req_strb_raw = 8'((9'd1 << req_len) - 9'd1);

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            state         <= IDLE;
            m_axi_awvalid <= 1'b0;
            m_axi_wvalid  <= 1'b0;
            m_axi_arvalid <= 1'b0;
        end else begin
            case (state)
                IDLE: if (req_valid) begin
                    cur_write <= req_write;
                    cur_tag   <= req_tag;
                    lane      <= req_lane;
                    len_mask  <= req_len[3] ? '1 : {32'h0, 32'((33'd1 << (8 * req_len)) - 33'd1)};
                    addr_q    <= req_addr;
                    bar_q     <= req_bar;
                    size_q    <= aligned ? req_log2 : 3'd3;
                    strb_q    <= req_strb_raw << req_lane;
                    wdata_q   <= req_wdata << (8 * req_lane);
                    if (!len_ok || !fits) begin
                        state <= BAD;
                    end else if (req_write) begin
                        state         <= WRITE;
                        m_axi_awvalid <= 1'b1;
                        m_axi_wvalid  <= 1'b1;
                    end else begin
                        state         <= READ;
                        m_axi_arvalid <= 1'b1;
                    end
                end
                WRITE: begin
                    if (m_axi_awready) m_axi_awvalid <= 1'b0;
                    if (m_axi_wready) m_axi_wvalid <= 1'b0;
                    if (m_axi_bvalid) state <= IDLE;
                end
                READ: begin
                    if (m_axi_arready) m_axi_arvalid <= 1'b0;
                    if (m_axi_rvalid) state <= IDLE;
                end
                BAD: state <= IDLE;
                default: state <= IDLE;
            endcase
        end
    end

    assign busy = state != IDLE;

    assign m_axi_awid    = 4'd0;
    assign m_axi_awaddr  = addr_q;
    assign m_axi_awlen   = 8'd0;
    assign m_axi_awsize  = size_q;
    assign m_axi_awburst = 2'b01;  // INCR
    assign m_axi_awuser  = bar_q;
    assign m_axi_wdata   = wdata_q;
    assign m_axi_wstrb   = strb_q;
    assign m_axi_wlast   = 1'b1;
    assign m_axi_arid    = 4'd0;
    assign m_axi_araddr  = addr_q;
    assign m_axi_arlen   = 8'd0;
    assign m_axi_arsize  = size_q;
    assign m_axi_arburst = 2'b01;
    assign m_axi_aruser  = bar_q;
    // Ready for the response as soon as the request is out: an early
    // response from a misbehaving slave completes rather than wedges.
    assign m_axi_bready  = state == WRITE;
    assign m_axi_rready  = state == READ;

    wire b_hs = m_axi_bvalid && m_axi_bready;
    wire r_hs = m_axi_rvalid && m_axi_rready;
    assign done       = b_hs || r_hs || state == BAD;
    assign done_error = state == BAD || (b_hs && m_axi_bresp != 2'b00) || (r_hs && m_axi_rresp != 2'b00);
    assign done_rdata = state == BAD ? '1 : (m_axi_rdata >> (8 * lane)) & len_mask;
endmodule
