// Compute unit of the GPU front-end: runs one DISPATCH kernel over COUNT
// int32 elements of VRAM, LANES (8) elements per step, all lanes in
// parallel on one 32-byte VRAM line:
//   VADD        C[i] = A[i] + B[i]                (int32, wrapping)
//   SAXPY       C[i] = ALPHA * A[i] + B[i]        (int32, low 32 bits of the product)
//   REDUCE_SUM  int64 at C = sum of sign-extended A[i]
// Operands are VRAM byte offsets, line aligned (C of REDUCE_SUM: 8-byte
// aligned), already checked by the command processor. Lanes past COUNT in
// the last line are neither computed into C nor summed.
module gpu_kernel
    import gpu_regs_pkg::*;
(
    input  logic         clk,
    input  logic         rst_n,

    input  logic         start,
    input  logic [7:0]   kernel,
    input  logic [31:0]  count,
    input  logic [14:0]  a,          // VRAM line of A
    input  logic [14:0]  b,          // VRAM line of B
    input  logic [19:3]  c,          // VRAM word of C (a line for VADD / SAXPY)
    input  logic [31:0]  alpha,
    output logic         busy,

    output logic         v_en,
    output logic [14:0]  v_line,
    output logic [31:0]  v_wstrb,
    output logic [255:0] v_wdata,
    input  logic [255:0] v_rdata
);
    typedef enum logic [2:0] { IDLE, READ_A, READ_B, WRITE_C, SUM, WRITE_SUM } state_t;

    state_t       state;
    logic [7:0]   op;
    logic [14:0]  la, lb, lc;        // operand lines
    logic [19:3]  c_q;
    logic [31:0]  alpha_q, left;     // elements not yet done
    logic [255:0] a_q;
    logic [63:0]  sum;

    // Lanes of this step that hold elements.
    logic [7:0] lanes;
    always_comb for (int l = 0; l < 8; l++) lanes[l] = left > 32'(l);

    // The 8 lanes of the current step, side by side.
    logic [255:0] res;
    logic [63:0]  step_sum;
    always_comb begin
        step_sum = '0;
        for (int l = 0; l < 8; l++) begin
            logic [31:0] x, y;
            x = state == SUM ? v_rdata[32*l +: 32] : a_q[32*l +: 32];
            y = v_rdata[32*l +: 32];
            res[32*l +: 32] = op == KERNEL_SAXPY ? alpha_q * x + y : x + y;
            if (lanes[l]) step_sum = step_sum + {{32{x[31]}}, x};
        end
    end

    assign busy = state != IDLE;

    always_comb begin
        v_en    = 1'b0;
        v_line  = la;
        v_wstrb = '0;
        v_wdata = res;
        case (state)
            READ_A: v_en = 1'b1;
            READ_B: begin
                v_en   = 1'b1;
                v_line = lb;
            end
            WRITE_C: begin
                v_en   = 1'b1;
                v_line = lc;
                for (int l = 0; l < 8; l++) v_wstrb[4*l +: 4] = {4{lanes[l]}};
            end
            WRITE_SUM: begin
                v_en    = 1'b1;
                v_line  = c_q[19:5];
                v_wdata = {4{sum}};
                v_wstrb = 32'hFF << {c_q[4:3], 3'b000};
            end
            default: ;
        endcase
    end

    wire last = left <= 32'd8;

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            state <= IDLE;
        end else begin
            case (state)
                IDLE: if (start) begin
                    op      <= kernel;
                    la      <= a;
                    lb      <= b;
                    lc      <= c[19:5];
                    c_q     <= c;
                    alpha_q <= alpha;
                    left    <= count;
                    sum     <= '0;
                    if (kernel == KERNEL_REDUCE_SUM) state <= count == '0 ? WRITE_SUM : READ_A;
                    else if (count != '0) state <= READ_A;
                end
                READ_A: state <= op == KERNEL_REDUCE_SUM ? SUM : READ_B;
                READ_B: begin
                    a_q   <= v_rdata;
                    state <= WRITE_C;
                end
                WRITE_C: begin
                    la    <= la + 15'd1;
                    lb    <= lb + 15'd1;
                    lc    <= lc + 15'd1;
                    left  <= last ? '0 : left - 32'd8;
                    state <= last ? IDLE : READ_A;
                end
                SUM: begin
                    sum   <= sum + step_sum;
                    la    <= la + 15'd1;
                    left  <= last ? '0 : left - 32'd8;
                    state <= last ? WRITE_SUM : READ_A;
                end
                WRITE_SUM: state <= IDLE;
                default: state <= IDLE;
            endcase
        end
    end
endmodule
