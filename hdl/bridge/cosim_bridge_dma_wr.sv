// DMA write side of the bridge (AXI4 slave AW/W/B): works out each W beat's
// host address so the DPI port can pass beats on one at a time, as they
// arrive, without buffering a burst.
//
// AWs wait in a small FIFO because AXI lets a master run ahead with
// addresses; W beats are taken only once their AW is known. B responses
// queue separately so a slow bready never stalls the next burst's data.
module cosim_bridge_dma_wr #(
    parameter int AW_DEPTH = 4
) (
    input  logic        clk,
    input  logic        rst_n,   // synchronous; also asserted on host reset

    input  logic [3:0]  s_axi_awid,
    input  logic [63:0] s_axi_awaddr,
    input  logic [7:0]  s_axi_awlen,
    input  logic [2:0]  s_axi_awsize,
    input  logic        s_axi_awvalid,
    output logic        s_axi_awready,
    input  logic        s_axi_wlast,
    input  logic        s_axi_wvalid,
    output logic        s_axi_wready,
    output logic [3:0]  s_axi_bid,
    output logic [1:0]  s_axi_bresp,
    output logic        s_axi_bvalid,
    input  logic        s_axi_bready,

    // The W beat handshaken this clock and its host address (data and
    // strobes are the bus's own, untouched).
    output logic        beat,
    output logic [63:0] beat_addr,

    output logic        busy,          // a burst or a B response is pending
    output logic        len_mismatch   // WLAST disagrees with AWLEN (checker)
);
    localparam int AWW = 4 + 64 + 8 + 3;

    logic           aw_valid, b_in_ready;
    logic [AWW-1:0] aw_head;
    logic           in_burst;    // at least one beat of the head burst seen
    logic [63:0]    next_addr;   // address of the next beat of the burst
    logic [7:0]     beat_cnt;

    wire [3:0]  head_id   = aw_head[AWW-1 -: 4];
    wire [63:0] head_addr = aw_head[AWW-5 -: 64];
    wire [7:0]  head_len  = aw_head[10:3];
    wire [2:0]  head_size = aw_head[2:0];

    cosim_fifo #(.WIDTH(AWW), .DEPTH(AW_DEPTH)) aw_fifo (
        .clk, .rst_n,
        .in_valid (s_axi_awvalid),
        .in_ready (s_axi_awready),
        .in_data  ({s_axi_awid, s_axi_awaddr, s_axi_awlen, s_axi_awsize}),
        .out_valid(aw_valid),
        .out_ready(beat && s_axi_wlast),
        .out_data (aw_head)
    );

    // One B slot per AW slot, so a completed burst can always queue its B.
    cosim_fifo #(.WIDTH(4), .DEPTH(AW_DEPTH)) b_fifo (
        .clk, .rst_n,
        .in_valid (beat && s_axi_wlast),
        .in_ready (b_in_ready),
        .in_data  (head_id),
        .out_valid(s_axi_bvalid),
        .out_ready(s_axi_bready),
        .out_data (s_axi_bid)
    );

    assign s_axi_wready = aw_valid && b_in_ready;
    assign s_axi_bresp  = 2'b00;  // the host write is posted: always OKAY
    assign beat         = s_axi_wvalid && s_axi_wready;

    // INCR: the first beat goes to awaddr as given, later beats to the
    // size-aligned successor (AXI's rule for unaligned starts).
    wire [63:0] size_bytes = 64'd1 << head_size;
    assign beat_addr = in_burst ? next_addr : head_addr;

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            in_burst <= 1'b0;
            beat_cnt <= 8'd0;
        end else if (beat) begin
            in_burst  <= !s_axi_wlast;
            beat_cnt  <= s_axi_wlast ? 8'd0 : beat_cnt + 8'd1;
            next_addr <= (beat_addr & ~(size_bytes - 64'd1)) + size_bytes;
        end
    end

    assign len_mismatch = beat && (s_axi_wlast != (beat_cnt == head_len));
    assign busy = aw_valid || s_axi_bvalid || in_burst;
endmodule
