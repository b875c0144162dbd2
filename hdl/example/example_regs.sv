// Register file and BAR2 RAM of the example device, behind the shared AXI4
// slave front end (hdl/lib/axi_reg_slave.sv, instantiated in example_dev),
// which hands over one access at a time (the bridge issues one MMIO at a
// time anyway).
//
// BAR0 slots are 64-bit; narrower host accesses arrive as strobes, and reads
// always return the whole slot (the bridge picks out the lanes it needs).
module example_regs #(
    parameter int VECTORS = 4  // IRQ_STATUS bits: one per interrupt vector
) (
    input  logic        clk,
    input  logic        rst_n,

    // one access at a time from axi_reg_slave (hdl/lib/), in example_dev
    input  logic        acc_valid,
    input  logic        acc_write,
    input  logic [2:0]  acc_bar,
    input  logic [63:0] acc_addr,
    input  logic [63:0] acc_wdata,
    input  logic [7:0]  acc_wstrb,
    output logic [63:0] acc_rdata,
    output logic [1:0]  acc_resp,

    // DMA engine
    output logic        dma_start,      // pulse
    output logic [63:0] dma_src,
    output logic [63:0] dma_dst,
    output logic [63:0] dma_len,
    output logic        dma_irq_en,
    output logic [7:0]  dma_irq_vec,
    input  logic        dma_busy,
    input  logic        dma_done,
    input  logic        dma_error,

    output logic        trig_valid,     // pulse: MSIX_TRIGGER written
    output logic [15:0] trig_vector,

    input  logic [63:0] nic_frames,
    input  logic [63:0] uart_bytes,

    // INTx: vectors raised while MSI-X is off latch here until the host
    // clears them (W1C); the device's INTx level is "any bit set".
    input  logic [VECTORS-1:0] irq_set,    // one-clock pulses
    output logic [VECTORS-1:0] irq_status,
    input  logic [4:0]  cfg_view           // CFG_STATE register: config bits, INTx level
);
    localparam logic [63:0] ID_VALUE = 64'h0001_0000_C051_E001;
    localparam logic [1:0]  OKAY = 2'b00, SLVERR = 2'b10, DECERR = 2'b11;

    // BAR0 slot offsets, bits [11:3].
    localparam logic [8:0] R_ID = 9'h000, R_SCRATCH = 9'h001, R_CYCLE = 9'h002,
        R_DMA_SRC = 9'h004, R_DMA_DST = 9'h005, R_DMA_LEN = 9'h006, R_DMA_CTRL = 9'h007,
        R_DMA_STATUS = 9'h008, R_MSIX_TRIGGER = 9'h009, R_NIC_FRAMES = 9'h00A,
        R_UART_BYTES = 9'h00B, R_IRQ_STATUS = 9'h00C, R_CFG_STATE = 9'h00D;

    logic [63:0] scratch, cycle_cnt, dma_ctrl;
    logic [63:0] regfile[16];
    logic [63:0] ram[512];    // BAR2, 4 KiB

    // Every access completes in its clock (acc_ready is 1 in example_dev).
    assign acc_rdata = read_slot(acc_bar, acc_addr);
    assign acc_resp  = resp_for(acc_bar, acc_addr);

    function automatic logic [1:0] resp_for(logic [2:0] bar, logic [63:0] addr);
        if (bar == 3'd0) return addr < 64'h1000 ? OKAY : SLVERR;
        if (bar == 3'd2) return addr < 64'h1000 ? OKAY : SLVERR;
        return DECERR;
    endfunction

    function automatic logic [63:0] read_slot(logic [2:0] bar, logic [63:0] addr);
        if (resp_for(bar, addr) != OKAY) return '0;
        if (bar == 3'd2) return ram[addr[11:3]];
        if (addr[11:7] == 5'b00010) return regfile[addr[6:3]];  // 0x100..0x17F
        case (addr[11:3])
            R_ID:         return ID_VALUE;
            R_SCRATCH:    return scratch;
            R_CYCLE:      return cycle_cnt;
            R_DMA_SRC:    return dma_src;
            R_DMA_DST:    return dma_dst;
            R_DMA_LEN:    return dma_len;
            R_DMA_CTRL:   return dma_ctrl;
            R_DMA_STATUS: return {61'h0, dma_error, dma_done, dma_busy};
            R_NIC_FRAMES: return nic_frames;
            R_UART_BYTES: return uart_bytes;
            R_IRQ_STATUS: return 64'(irq_status);
            R_CFG_STATE:  return 64'(cfg_view);
            default:      return '0;
        endcase
    endfunction

    logic [63:0] wmask;
    always_comb for (int i = 0; i < 8; i++) wmask[8*i +: 8] = {8{acc_wstrb[i]}};
    function automatic logic [63:0] merge(logic [63:0] old);
        return (old & ~wmask) | (acc_wdata & wmask);
    endfunction

    wire wr = acc_valid && acc_write && resp_for(acc_bar, acc_addr) == OKAY;

    // W1C: a write clears the bits it sets; a vector raised in the same
    // clock stays set (it is a new cause the host has not seen).
    wire [VECTORS-1:0] irq_clear = wr && acc_bar == 3'd0 && acc_addr[11:3] == R_IRQ_STATUS
                                 ? VECTORS'(merge(64'h0)) : '0;
    always_ff @(posedge clk) begin
        if (!rst_n) irq_status <= '0;
        else irq_status <= (irq_status & ~irq_clear) | irq_set;
    end

    always_ff @(posedge clk) begin
        dma_start  <= 1'b0;
        trig_valid <= 1'b0;
        if (!rst_n) begin
            scratch   <= '0;
            cycle_cnt <= '0;
            dma_src   <= '0;
            dma_dst   <= '0;
            dma_len   <= '0;
            dma_ctrl  <= '0;
            for (int i = 0; i < 16; i++) regfile[i] <= '0;
        end else begin
            cycle_cnt <= cycle_cnt + 64'd1;
            if (wr) begin
                if (acc_bar == 3'd2) begin
                    for (int i = 0; i < 8; i++)
                        if (acc_wstrb[i]) ram[acc_addr[11:3]][8*i +: 8] <= acc_wdata[8*i +: 8];
                end else if (acc_addr[11:7] == 5'b00010) begin
                    regfile[acc_addr[6:3]] <= merge(regfile[acc_addr[6:3]]);
                end else begin
                    case (acc_addr[11:3])
                        R_SCRATCH: scratch <= merge(scratch);
                        R_DMA_SRC: dma_src <= merge(dma_src);
                        R_DMA_DST: dma_dst <= merge(dma_dst);
                        R_DMA_LEN: dma_len <= merge(dma_len);
                        R_DMA_CTRL: begin
                            // bit0 is a command, not state: it reads back 0.
                            dma_ctrl  <= merge(dma_ctrl) & ~64'h1;
                            dma_start <= acc_wstrb[0] && acc_wdata[0];
                        end
                        R_MSIX_TRIGGER: begin
                            trig_valid  <= acc_wstrb != 8'h0 && merge(64'h0) < 64'h10000;
                            trig_vector <= 16'(merge(64'h0));
                        end
                        default: ;  // read-only or unused: ignored
                    endcase
                end
            end
        end
    end

    assign dma_irq_en  = dma_ctrl[1];
    assign dma_irq_vec = dma_ctrl[15:8];
endmodule
