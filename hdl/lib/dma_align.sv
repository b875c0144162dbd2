// Byte alignment for chunk copies (shared by the DMA write side, local
// memory writers and stream senders).
//
// A chunk of N bytes sits in a word buffer in "source word layout": chunk
// byte j is buffer byte j + src_off (one bus word per source word, no
// shuffling on the way in). A destination beat covers the 8 bytes at
// dst_al + pos, where dst_al is the destination rounded down to 8 and
// dst_off = destination % 8; its lane l carries chunk byte pos + l - dst_off.
// Those bytes span at most two adjacent buffer words, idx and idx + 1: the
// owner of the buffer answers word0 = buf[idx], word1 = buf[idx + 1]
// (indices wrap; lanes outside the chunk are not strobed, so what wrapped
// words hold does not matter).
module dma_align #(
    parameter int CB = 12  // a chunk is at most 2^CB bytes; the buffer has 2^(CB-3) words
) (
    input  logic [CB:0]   pos,      // beat offset from dst_al, multiple of 8
    input  logic [2:0]    dst_off,
    input  logic [2:0]    src_off,
    input  logic [CB:0]   n,        // chunk bytes, 1 .. 2^CB
    output logic [CB-4:0] idx,
    input  logic [63:0]   word0,
    input  logic [63:0]   word1,
    output logic [63:0]   data,
    output logic [7:0]    strb
);
    // Buffer byte of lane 0: pos - dst_off + src_off, which is -7 at the
    // least; kept in two's complement so idx wraps to the last word. Only
    // the bits that index the buffer are used: the rest is sign.
    localparam int BW = CB + 2;
    /* verilator lint_off UNUSEDSIGNAL */
    wire [BW-1:0] base = BW'(pos) - BW'(dst_off) + BW'(src_off);
    /* verilator lint_on UNUSEDSIGNAL */
    wire [127:0] pair = {word1, word0};
    wire [2:0]   sh   = base[2:0];

    assign idx = base[CB-1:3];

    always_comb begin
        for (int l = 0; l < 8; l++) begin
            logic [BW-1:0] at;
            at           = BW'(pos) + BW'(l);
            strb[l]      = at >= BW'(dst_off) && at < BW'(dst_off) + BW'(n);
            data[8*l +: 8] = strb[l] ? pair[8*(4'(sh) + 4'(l)) +: 8] : 8'h00;
        end
    end
endmodule
