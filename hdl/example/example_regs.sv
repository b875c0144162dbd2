// Register file and BAR2 RAM of the example device: an AXI4 slave serving
// one transaction at a time (the bridge issues one MMIO at a time anyway).
//
// BAR0 slots are 64-bit; narrower host accesses arrive as strobes, and reads
// always return the whole slot (the bridge picks out the lanes it needs).
module example_regs (
    input  logic        clk,
    input  logic        rst_n,

    input  logic [3:0]  s_axi_awid,
    input  logic [63:0] s_axi_awaddr,
    input  logic [7:0]  s_axi_awlen,
    input  logic [2:0]  s_axi_awsize,
    input  logic [1:0]  s_axi_awburst,
    input  logic [2:0]  s_axi_awuser,   // BAR number
    input  logic        s_axi_awvalid,
    output logic        s_axi_awready,
    input  logic [63:0] s_axi_wdata,
    input  logic [7:0]  s_axi_wstrb,
    input  logic        s_axi_wlast,
    input  logic        s_axi_wvalid,
    output logic        s_axi_wready,
    output logic [3:0]  s_axi_bid,
    output logic [1:0]  s_axi_bresp,
    output logic        s_axi_bvalid,
    input  logic        s_axi_bready,
    input  logic [3:0]  s_axi_arid,
    input  logic [63:0] s_axi_araddr,
    input  logic [7:0]  s_axi_arlen,
    input  logic [2:0]  s_axi_arsize,
    input  logic [1:0]  s_axi_arburst,
    input  logic [2:0]  s_axi_aruser,
    input  logic        s_axi_arvalid,
    output logic        s_axi_arready,
    output logic [3:0]  s_axi_rid,
    output logic [63:0] s_axi_rdata,
    output logic [1:0]  s_axi_rresp,
    output logic        s_axi_rlast,
    output logic        s_axi_rvalid,
    input  logic        s_axi_rready,

    output logic        idle,

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
    input  logic [63:0] uart_bytes
);
    localparam logic [63:0] ID_VALUE = 64'h0001_0000_C051_E001;
    localparam logic [1:0]  OKAY = 2'b00, SLVERR = 2'b10, DECERR = 2'b11;

    // BAR0 slot offsets, bits [11:3].
    localparam logic [8:0] R_ID = 9'h000, R_SCRATCH = 9'h001, R_CYCLE = 9'h002,
        R_DMA_SRC = 9'h004, R_DMA_DST = 9'h005, R_DMA_LEN = 9'h006, R_DMA_CTRL = 9'h007,
        R_DMA_STATUS = 9'h008, R_MSIX_TRIGGER = 9'h009, R_NIC_FRAMES = 9'h00A,
        R_UART_BYTES = 9'h00B;

    typedef enum logic [1:0] { IDLE, WDATA, WRESP, RDATA } state_t;

    state_t      state;
    logic        prefer_w;   // which channel IDLE offers to accept this clock
    logic [3:0]  id_q;
    logic [63:0] addr_q;
    logic [7:0]  beats_left;
    logic [2:0]  size_q;
    logic [2:0]  bar_q;      // BAR number, or 7 for a burst type we refuse
    logic [1:0]  resp_q;     // worst response of the write burst

    logic [63:0] scratch, cycle_cnt, dma_ctrl;
    logic [63:0] regfile[16];
    logic [63:0] ram[512];    // BAR2, 4 KiB

    // Offering AW and AR on alternate clocks (rather than steering one ready
    // by the other valid) keeps the readies free of input->output paths.
    assign s_axi_awready = state == IDLE && prefer_w;
    assign s_axi_arready = state == IDLE && !prefer_w;
    assign s_axi_wready  = state == WDATA;
    assign s_axi_bvalid  = state == WRESP;
    assign s_axi_rvalid  = state == RDATA;
    assign s_axi_bid     = id_q;
    assign s_axi_rid     = id_q;
    assign s_axi_bresp   = resp_q;
    assign s_axi_rlast   = beats_left == 8'd0;
    assign idle          = state == IDLE;

    // Only INCR is served (FIXED/WRAP make no sense on registers); other
    // burst types map to BAR 7, which answers DECERR.
    function automatic logic [2:0] bar_of(logic [2:0] bar, logic [1:0] burst);
        return burst == 2'b01 ? bar : 3'd7;
    endfunction

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
            default:      return '0;
        endcase
    endfunction

    // INCR successor of a beat address (the bridge only sends single beats,
    // but a standalone AXI master may burst).
    function automatic logic [63:0] next_addr(logic [63:0] addr, logic [2:0] size);
        logic [63:0] step = 64'd1 << size;
        return (addr & ~(step - 64'd1)) + step;
    endfunction

    logic [63:0] wmask;
    always_comb for (int i = 0; i < 8; i++) wmask[8*i +: 8] = {8{s_axi_wstrb[i]}};
    function automatic logic [63:0] merge(logic [63:0] old);
        return (old & ~wmask) | (s_axi_wdata & wmask);
    endfunction

    wire w_beat = s_axi_wvalid && s_axi_wready;
    wire w_ok   = resp_for(bar_q, addr_q) == OKAY;

    always_ff @(posedge clk) begin
        dma_start  <= 1'b0;
        trig_valid <= 1'b0;
        if (!rst_n) begin
            state     <= IDLE;
            prefer_w  <= 1'b1;
            scratch   <= '0;
            cycle_cnt <= '0;
            dma_src   <= '0;
            dma_dst   <= '0;
            dma_len   <= '0;
            dma_ctrl  <= '0;
            for (int i = 0; i < 16; i++) regfile[i] <= '0;
        end else begin
            cycle_cnt <= cycle_cnt + 64'd1;
            case (state)
                IDLE: begin
                    prefer_w <= !prefer_w;
                    if (s_axi_awvalid && s_axi_awready) begin
                        state      <= WDATA;
                        id_q       <= s_axi_awid;
                        addr_q     <= s_axi_awaddr;
                        beats_left <= s_axi_awlen;
                        size_q     <= s_axi_awsize;
                        bar_q      <= bar_of(s_axi_awuser, s_axi_awburst);
                        resp_q     <= OKAY;
                    end else if (s_axi_arvalid && s_axi_arready) begin
                        state       <= RDATA;
                        id_q        <= s_axi_arid;
                        addr_q      <= s_axi_araddr;
                        beats_left  <= s_axi_arlen;
                        size_q      <= s_axi_arsize;
                        bar_q       <= bar_of(s_axi_aruser, s_axi_arburst);
                        s_axi_rdata <= read_slot(bar_of(s_axi_aruser, s_axi_arburst), s_axi_araddr);
                        s_axi_rresp <= resp_for(bar_of(s_axi_aruser, s_axi_arburst), s_axi_araddr);
                    end
                end
                WDATA: if (w_beat) begin
                    if (!w_ok) begin
                        resp_q <= resp_for(bar_q, addr_q);
                    end else if (bar_q == 3'd2) begin
                        for (int i = 0; i < 8; i++)
                            if (s_axi_wstrb[i]) ram[addr_q[11:3]][8*i +: 8] <= s_axi_wdata[8*i +: 8];
                    end else if (addr_q[11:7] == 5'b00010) begin
                        regfile[addr_q[6:3]] <= merge(regfile[addr_q[6:3]]);
                    end else begin
                        case (addr_q[11:3])
                            R_SCRATCH: scratch <= merge(scratch);
                            R_DMA_SRC: dma_src <= merge(dma_src);
                            R_DMA_DST: dma_dst <= merge(dma_dst);
                            R_DMA_LEN: dma_len <= merge(dma_len);
                            R_DMA_CTRL: begin
                                // bit0 is a command, not state: it reads back 0.
                                dma_ctrl  <= merge(dma_ctrl) & ~64'h1;
                                dma_start <= s_axi_wstrb[0] && s_axi_wdata[0];
                            end
                            R_MSIX_TRIGGER: begin
                                trig_valid  <= s_axi_wstrb != 8'h0 && merge(64'h0) < 64'h10000;
                                trig_vector <= 16'(merge(64'h0));
                            end
                            default: ;  // read-only or unused: ignored
                        endcase
                    end
                    addr_q     <= next_addr(addr_q, size_q);
                    beats_left <= beats_left - 8'd1;
                    if (s_axi_wlast) state <= WRESP;
                end
                WRESP: if (s_axi_bready) state <= IDLE;
                RDATA: if (s_axi_rready) begin
                    if (beats_left == 8'd0) begin
                        state <= IDLE;
                    end else begin
                        addr_q      <= next_addr(addr_q, size_q);
                        beats_left  <= beats_left - 8'd1;
                        s_axi_rdata <= read_slot(bar_q, next_addr(addr_q, size_q));
                        s_axi_rresp <= resp_for(bar_q, next_addr(addr_q, size_q));
                    end
                end
                default: state <= IDLE;
            endcase
        end
    end

    assign dma_irq_en  = dma_ctrl[1];
    assign dma_irq_vec = dma_ctrl[15:8];
endmodule
