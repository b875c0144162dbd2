// Handshake stability check for one valid/ready channel driven by user RTL.
//
// AXI4 and AXI-Stream forbid a source to withdraw VALID, or to change the
// payload, before READY. The bridge samples the payload only on the
// handshake, so a violation would silently lose or corrupt a transfer;
// flag it with the cycle number instead. The assertions are active when
// the model is built with --assert.
module cosim_hs_chk #(
    parameter int    WIDTH = 1,
    parameter string NAME  = "channel"
) (
    input logic             clk,
    input logic             rst_n,    // the reset the source sees
    input logic [63:0]      cycle,
    input logic             valid,
    input logic             ready,
    input logic [WIDTH-1:0] payload
);
    logic             stalled;  // valid && !ready at the previous clock
    logic [WIDTH-1:0] held;

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            stalled <= 1'b0;
        end else begin
            if (stalled) begin
                assert (valid)
                else $error("cosim_bridge: %s VALID dropped before READY (cycle %0d)", NAME, cycle);
                assert (!valid || payload == held)
                else $error("cosim_bridge: %s payload changed while stalled (cycle %0d)", NAME, cycle);
            end
            stalled <= valid && !ready;
        end
        held <= payload;
    end
endmodule
