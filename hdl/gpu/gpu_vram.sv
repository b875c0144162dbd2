// Device-local memory (VRAM): 32-byte lines (one per compute step of
// LANES int32), two ports with registered reads, byte-strobed writes.
//   port A: 64-bit words, for the BAR4 window (MMIO)
//   port B: whole lines, for the engines (copy, fill, kernels)
// Both ports may write the same byte in one clock only if the host races
// the device on it; port B wins then.
module gpu_vram #(
    parameter int LINES = 32768  // 1 MiB
) (
    input  logic                     clk,

    input  logic                     a_en,
    input  logic [$clog2(LINES)+1:0] a_word,   // byte address / 8
    input  logic [7:0]               a_wstrb,  // 0 = read
    input  logic [63:0]              a_wdata,
    output logic [63:0]              a_rdata,  // the clock after a_en

    input  logic                     b_en,
    input  logic [$clog2(LINES)-1:0] b_line,   // byte address / 32
    input  logic [31:0]              b_wstrb,  // 0 = read
    input  logic [255:0]             b_wdata,
    output logic [255:0]             b_rdata   // the clock after b_en
);
    localparam int LW = $clog2(LINES);

    logic [255:0] mem[LINES];

    wire [LW-1:0] a_line = a_word[LW+1:2];
    wire [1:0]    a_lane = a_word[1:0];

    always_ff @(posedge clk) begin
        if (a_en) begin
            for (int i = 0; i < 8; i++)
                if (a_wstrb[i]) mem[a_line][64*a_lane + 8*i +: 8] <= a_wdata[8*i +: 8];
            a_rdata <= mem[a_line][64*a_lane +: 64];
        end
        if (b_en) begin
            for (int i = 0; i < 32; i++)
                if (b_wstrb[i]) mem[b_line][8*i +: 8] <= b_wdata[8*i +: 8];
            b_rdata <= mem[b_line];
        end
    end
endmodule
