// {{NAME}}: the device. A register block in BAR0 behind an AXI4 slave (the
// bridge's MMIO master), a DMA copy engine ({{NAME_C}}_dma) on the bridge's
// DMA slave, and an MSI-X when a copy is done.
//
// BAR0 registers (64-bit slots; 1/2/4/8-byte accesses: writes merge the
// strobed bytes, reads return the whole slot and the bridge picks the bytes):
//   0x00 ID          RO  {16'h0, 16'h0001 (register map version), VENDOR_ID, DEVICE_ID}
//   0x08 SCRATCH     RW  free for software
//   0x10 DMA_SRC     RW  host source address      (8-byte aligned)
//   0x18 DMA_DST     RW  host destination address (8-byte aligned)
//   0x20 DMA_LEN     RW  bytes, a multiple of 8, 8 .. 64 KiB
//   0x28 DMA_CTRL    RW  bit0 start (reads 0; ignored while busy), bit1 MSI-X
//                        when done, bits 15:8 the vector
//   0x30 DMA_STATUS  RO  bit0 busy, bit1 done, bit2 error (bad SRC/DST/LEN,
//                        or an AXI error response); done and error clear at start
// Any other offset reads 0 and ignores writes. The MSI-X table (0x8000) and
// PBA (0x9000) are QEMU's: those accesses never get here.
module {{NAME_C}}_dev #(
    parameter logic [15:0] VENDOR_ID    = 16'h0,
    parameter logic [15:0] DEVICE_ID    = 16'h0,
    parameter int          MSIX_VECTORS = 4
) (
    input  logic        clk,
    input  logic        rst_n,
    output logic        dev_idle,

    // AXI4 slave: host MMIO, one single-beat access at a time (user = BAR number)
    input  logic [3:0]  s_axi_awid,
    input  logic [63:0] s_axi_awaddr,
    input  logic [2:0]  s_axi_awuser,
    input  logic        s_axi_awvalid,
    output logic        s_axi_awready,
    input  logic [63:0] s_axi_wdata,
    input  logic [7:0]  s_axi_wstrb,
    input  logic        s_axi_wvalid,
    output logic        s_axi_wready,
    output logic [3:0]  s_axi_bid,
    output logic [1:0]  s_axi_bresp,
    output logic        s_axi_bvalid,
    input  logic        s_axi_bready,
    input  logic [3:0]  s_axi_arid,
    input  logic [63:0] s_axi_araddr,
    input  logic [2:0]  s_axi_aruser,
    input  logic        s_axi_arvalid,
    output logic        s_axi_arready,
    output logic [3:0]  s_axi_rid,
    output logic [63:0] s_axi_rdata,
    output logic [1:0]  s_axi_rresp,
    output logic        s_axi_rlast,
    output logic        s_axi_rvalid,
    input  logic        s_axi_rready,

    // AXI4 master: DMA into host memory
    output logic [3:0]  m_axi_awid,
    output logic [63:0] m_axi_awaddr,
    output logic [7:0]  m_axi_awlen,
    output logic [2:0]  m_axi_awsize,
    output logic [1:0]  m_axi_awburst,
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
    output logic        m_axi_arvalid,
    input  logic        m_axi_arready,
    input  logic [63:0] m_axi_rdata,
    input  logic [1:0]  m_axi_rresp,
    input  logic        m_axi_rlast,
    input  logic        m_axi_rvalid,
    output logic        m_axi_rready,

    output logic        msix_valid,
    output logic [15:0] msix_vector,
    input  logic        msix_ready
);
    localparam logic [1:0] OKAY = 2'b00, DECERR = 2'b11;
    localparam logic [63:0] ID_VALUE = {16'h0, 16'h0001, VENDOR_ID, DEVICE_ID};

    // Slot numbers: offset / 8.
    localparam logic [12:0] R_ID = 13'd0, R_SCRATCH = 13'd1, R_DMA_SRC = 13'd2, R_DMA_DST = 13'd3,
        R_DMA_LEN = 13'd4, R_DMA_CTRL = 13'd5, R_DMA_STATUS = 13'd6;

    logic [63:0] scratch, dma_src, dma_dst, dma_len, dma_ctrl;
    logic        dma_start, dma_busy, dma_done, dma_error, dma_irq;

    // ---- Register slave. The bridge issues one access at a time, waits for
    // its response, and raises a write's AW and W together; so a write takes
    // both at once and answers B the clock after, a read answers R the clock
    // after AR. (A general AXI slave would accept AW and W independently.)
    wire wr = s_axi_awvalid && s_axi_wvalid && !s_axi_bvalid;
    assign s_axi_awready = wr;
    assign s_axi_wready  = wr;
    assign s_axi_arready = !s_axi_rvalid;
    assign s_axi_rlast   = 1'b1;

    logic [63:0] wmask;
    always_comb for (int i = 0; i < 8; i++) wmask[8*i +: 8] = {8{s_axi_wstrb[i]}};
    function automatic logic [63:0] merge(logic [63:0] old);
        return (old & ~wmask) | (s_axi_wdata & wmask);
    endfunction

    function automatic logic [63:0] read_slot(logic [12:0] slot);
        case (slot)
            R_ID:         return ID_VALUE;
            R_SCRATCH:    return scratch;
            R_DMA_SRC:    return dma_src;
            R_DMA_DST:    return dma_dst;
            R_DMA_LEN:    return dma_len;
            R_DMA_CTRL:   return dma_ctrl;
            // A start not yet taken by the engine already reads as busy:
            // software polling right after starting never sees the last
            // copy's done.
            R_DMA_STATUS: return dma_start ? 64'h1 : {61'h0, dma_error, dma_done, dma_busy};
            default:      return '0;
        endcase
    endfunction

    wire [12:0] wslot = s_axi_awaddr[15:3];

    always_ff @(posedge clk) begin
        dma_start <= 1'b0;
        if (!rst_n) begin
            s_axi_bvalid <= 1'b0;
            s_axi_rvalid <= 1'b0;
            scratch      <= '0;
            dma_src      <= '0;
            dma_dst      <= '0;
            dma_len      <= '0;
            dma_ctrl     <= '0;
        end else begin
            if (s_axi_bvalid && s_axi_bready) s_axi_bvalid <= 1'b0;
            if (s_axi_rvalid && s_axi_rready) s_axi_rvalid <= 1'b0;
            if (wr) begin
                s_axi_bvalid <= 1'b1;
                s_axi_bid    <= s_axi_awid;
                // BAR0 is the only BAR; anything else is a bridge misconfiguration.
                s_axi_bresp  <= s_axi_awuser == 3'd0 ? OKAY : DECERR;
                if (s_axi_awuser == 3'd0) begin
                    case (wslot)
                        R_SCRATCH: scratch <= merge(scratch);
                        R_DMA_SRC: dma_src <= merge(dma_src);
                        R_DMA_DST: dma_dst <= merge(dma_dst);
                        R_DMA_LEN: dma_len <= merge(dma_len);
                        R_DMA_CTRL: begin
                            // bit0 is a command, not state: it reads back 0.
                            dma_ctrl  <= merge(dma_ctrl) & ~64'h1;
                            dma_start <= s_axi_wstrb[0] && s_axi_wdata[0];
                        end
                        default: ;  // read-only or unused
                    endcase
                end
            end
            if (s_axi_arvalid && s_axi_arready) begin
                s_axi_rvalid <= 1'b1;
                s_axi_rid    <= s_axi_arid;
                s_axi_rresp  <= s_axi_aruser == 3'd0 ? OKAY : DECERR;
                s_axi_rdata  <= s_axi_aruser == 3'd0 ? read_slot(s_axi_araddr[15:3]) : '0;
            end
        end
    end

    // Offsets past 64 KiB cannot occur (BAR0 is 64 KiB).
    wire unused = &{1'b0, s_axi_awaddr[63:16], s_axi_awaddr[2:0], s_axi_araddr[63:16],
                    s_axi_araddr[2:0], dma_ctrl[63:16], dma_ctrl[7:2]};

    {{NAME_C}}_dma dma (
        .clk, .rst_n,
        .start(dma_start), .src(dma_src), .dst(dma_dst), .len(dma_len),
        .busy(dma_busy), .done(dma_done), .error(dma_error), .finished(dma_irq),
        .m_axi_awid, .m_axi_awaddr, .m_axi_awlen, .m_axi_awsize, .m_axi_awburst,
        .m_axi_awvalid, .m_axi_awready,
        .m_axi_wdata, .m_axi_wstrb, .m_axi_wlast, .m_axi_wvalid, .m_axi_wready,
        .m_axi_bresp, .m_axi_bvalid, .m_axi_bready,
        .m_axi_arid, .m_axi_araddr, .m_axi_arlen, .m_axi_arsize, .m_axi_arburst,
        .m_axi_arvalid, .m_axi_arready,
        .m_axi_rdata, .m_axi_rresp, .m_axi_rlast, .m_axi_rvalid, .m_axi_rready
    );

    // ---- MSI-X when a copy finishes, if DMA_CTRL asked for it. The bridge
    // orders it behind the copy's last data write. A vector the device does
    // not have is dropped (QEMU would refuse it).
    always_ff @(posedge clk) begin
        if (!rst_n) begin
            msix_valid <= 1'b0;
        end else if (dma_irq && dma_ctrl[1] && dma_ctrl[15:8] < 8'(MSIX_VECTORS)) begin
            msix_valid  <= 1'b1;
            msix_vector <= {8'h0, dma_ctrl[15:8]};
        end else if (msix_ready) begin
            msix_valid <= 1'b0;
        end
    end

    // Idle when nothing would happen without the host: no access being
    // answered, no copy running or about to start, no interrupt to send.
    assign dev_idle = !s_axi_bvalid && !s_axi_rvalid && !dma_start && !dma_busy && !dma_irq && !msix_valid;
endmodule
