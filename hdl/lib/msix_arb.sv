// MSI-X requester: one pending bit per vector, like the MSI-X PBA, so a
// vector raised again before it was sent is sent once; lowest pending
// vector first. `req` bits are one-clock events.
module msix_arb #(
    parameter int VECTORS = 4
) (
    input  logic               clk,
    input  logic               rst_n,
    input  logic [VECTORS-1:0] req,
    output logic               msix_valid,
    output logic [15:0]        msix_vector,
    input  logic               msix_ready,
    output logic               busy        // a vector pending or being sent
);
    logic [VECTORS-1:0] pend, first;
    logic [15:0]        first_idx;

    always_comb begin
        first     = pend & (~pend + 1'b1);
        first_idx = '0;
        for (int v = 0; v < VECTORS; v++)
            if (first[v]) first_idx = 16'(v);
    end

    wire load = (!msix_valid || msix_ready) && pend != '0;

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            pend       <= '0;
            msix_valid <= 1'b0;
        end else begin
            if (load) begin
                msix_valid  <= 1'b1;
                msix_vector <= first_idx;
            end else if (msix_ready) begin
                msix_valid <= 1'b0;
            end
            pend <= (pend & ~(load ? first : '0)) | req;
        end
    end

    assign busy = pend != '0 || msix_valid;
endmodule
