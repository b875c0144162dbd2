// Small synchronous FIFO (first-word fall-through).
//
// in_ready and out_valid come from registers only, so no combinational path
// runs from one side's handshake to the other (AXI forbids input->output
// combinational paths, and it keeps the bridge's timing simple).
module cosim_fifo #(
    parameter int WIDTH = 8,
    parameter int DEPTH = 4  // power of two, >= 2
) (
    input  logic             clk,
    input  logic             rst_n,      // synchronous, active low
    input  logic             in_valid,
    output logic             in_ready,
    input  logic [WIDTH-1:0] in_data,
    output logic             out_valid,
    input  logic             out_ready,
    output logic [WIDTH-1:0] out_data
);
    localparam int AW = $clog2(DEPTH);

    logic [WIDTH-1:0] mem[DEPTH];
    logic [AW-1:0]    rd_ptr, wr_ptr;
    logic [AW:0]      count;

    wire push = in_valid && in_ready;
    wire pop  = out_valid && out_ready;

    assign in_ready  = count != (AW + 1)'(DEPTH);
    assign out_valid = count != '0;
    assign out_data  = mem[rd_ptr];

    // Storage has no reset so it can map onto a RAM.
    always_ff @(posedge clk) if (push) mem[wr_ptr] <= in_data;

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            rd_ptr <= '0;
            wr_ptr <= '0;
            count  <= '0;
        end else begin
            if (push) wr_ptr <= wr_ptr + 1'b1;
            if (pop) rd_ptr <= rd_ptr + 1'b1;
            if (push && !pop) count <= count + 1'b1;
            else if (pop && !push) count <= count - 1'b1;
        end
    end

    initial begin
        if (DEPTH < 2 || (DEPTH & (DEPTH - 1)) != 0)
            $error("cosim_fifo: DEPTH %0d must be a power of two >= 2", DEPTH);
    end
endmodule
