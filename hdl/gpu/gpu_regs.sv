// Register block of the GPU front-end, behind axi_reg_slave's access port:
//   BAR0  registers (hdl/gpu/regmap.json, docs/gpu-registers.md)
//   BAR2  the doorbell page
//   BAR4  the VRAM window (through VRAM port A: reads take one more clock)
// Every register is a 64-bit slot; writes merge the strobed bytes. The
// access handshake runs on the device reset (rst_n) so MMIO answers during
// a soft reset too; register contents are on the soft reset (srst_n) and
// read as their reset values while it lasts.
//
// Interrupts live here: events from the engines set INT_STATUS bits (W1C)
// and, unless INT_MASK masks them, request their MSI-X vector while the host
// has MSI-X enabled, or else hold INTx up until the host clears them.
module gpu_regs
    import gpu_regs_pkg::*;
(
    input  logic        clk,
    input  logic        rst_n,
    input  logic        srst_n,

    input  logic        acc_valid,
    input  logic        acc_write,
    input  logic [2:0]  acc_bar,
    input  logic [63:0] acc_addr,
    input  logic [63:0] acc_wdata,
    input  logic [7:0]  acc_wstrb,
    output logic        acc_ready,
    output logic [63:0] acc_rdata,
    output logic [1:0]  acc_resp,

    output logic        va_en,
    output logic [16:0] va_word,
    output logic [7:0]  va_wstrb,
    output logic [63:0] va_wdata,
    input  logic [63:0] va_rdata,

    input  logic [63:0] cycle,
    input  logic        resetting,
    output logic        soft_reset,

    // command processor
    output logic [63:0] ring_base,
    output logic [63:0] ring_size,
    output logic        ring_enable,
    output logic [63:0] fence_addr,
    output logic        ring_cfg_wr,
    output logic        db_valid,
    output logic [63:0] db_tail,
    output logic        clear_error,
    input  logic [11:0] head,
    input  logic [11:0] tail,
    input  logic        cp_busy,
    input  logic        halted,
    input  logic [7:0]  err_code,
    input  logic [63:0] err_addr,
    input  logic [63:0] last_fence,
    input  logic [63:0] cmd_count,

    // NIC
    output logic        nic_tx_en,
    output logic        nic_rx_en,
    output logic [63:0] nic_tx_base,
    output logic [63:0] nic_tx_size,
    output logic [63:0] nic_tx_tail,
    output logic [63:0] nic_rx_base,
    output logic [63:0] nic_rx_size,
    output logic [63:0] nic_rx_tail,
    output logic        nic_tx_cfg_wr,
    output logic        nic_rx_cfg_wr,
    input  logic [11:0] nic_tx_head,
    input  logic [11:0] nic_rx_head,
    input  logic [63:0] nic_tx_frames,
    input  logic [63:0] nic_rx_frames,
    input  logic [63:0] nic_rx_drops,
    input  logic        nic_tx_busy,
    input  logic        nic_rx_busy,
    input  logic        nic_rx_held,

    // UART
    output logic        uart_tx_push,
    output logic [7:0]  uart_tx_data,
    output logic        uart_rx_pop,
    input  logic        uart_tx_full,
    input  logic        uart_rx_avail,
    input  logic [7:0]  uart_rx_data,
    input  logic [7:0]  uart_rx_count,

    // events
    input  logic        ev_done,
    input  logic        ev_error,
    input  logic        ev_nic_rx,
    input  logic        ev_nic_tx,
    input  logic        ev_uart_rx,
    output logic [MSIX_VECTORS-1:0] msix_req,

    // the host's PCI config state (cosim_bridge cfg_*), and INTx
    input  logic [3:0]  cfg_state,   // {INTx disable, bus master, MSI-X masked, MSI-X enable}
    output logic        intx
);
    localparam logic [1:0] OKAY = 2'b00, SLVERR = 2'b10, DECERR = 2'b11;
    localparam int VW = $clog2(MSIX_VECTORS);
    localparam logic [2:0] B_REGS = 3'(BAR_REGS), B_DOORBELL = 3'(BAR_DOORBELL), B_VRAM = 3'(BAR_VRAM);
    // The INT_STATUS bits that are causes (the rest of the slot reads 0 anyway).
    localparam logic [63:0] INT_CAUSES = (64'd1 << INT_STATUS_CMD_DONE_LSB) | (64'd1 << INT_STATUS_ERROR_LSB)
        | (64'd1 << INT_STATUS_NIC_RX_LSB) | (64'd1 << INT_STATUS_NIC_TX_LSB) | (64'd1 << INT_STATUS_UART_RX_LSB);

    logic [63:0] scratch, int_status, int_mask, nic_ctrl, uart_ctrl;
    logic        vpend;          // a VRAM read was issued last clock

    wire [15:0] off    = {acc_addr[15:3], 3'b000};   // the 64-bit slot
    wire        in_win = acc_addr < 64'(REG_WINDOW);
    wire        vram_rd = acc_valid && acc_bar == B_VRAM && !acc_write;

    assign acc_ready = !vram_rd || vpend;
    assign acc_resp  = acc_bar == B_REGS ? (in_win ? OKAY : SLVERR)
                     : acc_bar == B_DOORBELL || acc_bar == B_VRAM ? OKAY : DECERR;

    assign va_en    = acc_valid && acc_bar == B_VRAM && (acc_write || !vpend);
    assign va_word  = acc_addr[19:3];
    assign va_wstrb = acc_write ? acc_wstrb : 8'h00;
    assign va_wdata = acc_wdata;

    always_ff @(posedge clk) begin
        if (!rst_n) vpend <= 1'b0;
        else vpend <= vram_rd && !vpend;
    end

    // ---- reads
    function automatic logic [63:0] bit_at(int lsb, logic v);
        return 64'(v) << lsb;
    endfunction

    logic [63:0] status, nic_status, uart_status, uart_rx_reg, regs_rdata;
    always_comb begin
        status = bit_at(STATUS_ENABLED_LSB, ring_enable) | bit_at(STATUS_BUSY_LSB, cp_busy)
               | bit_at(STATUS_HALTED_LSB, halted) | bit_at(STATUS_RESETTING_LSB, resetting)
               | bit_at(STATUS_NIC_BUSY_LSB, nic_tx_busy || nic_rx_busy)
               | bit_at(STATUS_RING_EMPTY_LSB, head == tail);
        nic_status = bit_at(NIC_STATUS_TX_BUSY_LSB, nic_tx_busy) | bit_at(NIC_STATUS_RX_BUSY_LSB, nic_rx_busy)
                   | bit_at(NIC_STATUS_RX_HELD_LSB, nic_rx_held);
        uart_status = bit_at(UART_STATUS_RX_AVAIL_LSB, uart_rx_avail) | bit_at(UART_STATUS_TX_FULL_LSB, uart_tx_full)
                    | (64'(uart_rx_count) << UART_STATUS_RX_COUNT_LSB);
        uart_rx_reg = uart_rx_avail ? (64'(uart_rx_data) << UART_RX_DATA_LSB) | bit_at(UART_RX_VALID_LSB, 1'b1) : '0;
        case (off)
            REG_ID:            regs_rdata = REG_ID_RESET;
            REG_VERSION:       regs_rdata = REG_VERSION_RESET;
            REG_CAPS:          regs_rdata = REG_CAPS_RESET;
            REG_STATUS:        regs_rdata = status;
            REG_SCRATCH:       regs_rdata = scratch;
            REG_CYCLE:         regs_rdata = cycle;
            REG_INT_STATUS:    regs_rdata = int_status;
            REG_INT_MASK:      regs_rdata = int_mask;
            REG_ERR_CODE:      regs_rdata = 64'(err_code);
            REG_ERR_ADDR:      regs_rdata = err_addr;
            REG_CFG_STATE:     regs_rdata = 64'(cfg_state) | bit_at(CFG_STATE_INTX_LSB, intx);
            REG_RING_BASE:     regs_rdata = ring_base;
            REG_RING_SIZE:     regs_rdata = ring_size;
            REG_RING_HEAD:     regs_rdata = 64'(head);
            REG_RING_TAIL:     regs_rdata = 64'(tail);
            REG_RING_CTRL:     regs_rdata = bit_at(RING_CTRL_ENABLE_LSB, ring_enable);
            REG_FENCE_ADDR:    regs_rdata = fence_addr;
            REG_LAST_FENCE:    regs_rdata = last_fence;
            REG_CMD_COUNT:     regs_rdata = cmd_count;
            REG_NIC_CTRL:      regs_rdata = nic_ctrl;
            REG_NIC_STATUS:    regs_rdata = nic_status;
            REG_NIC_TX_BASE:   regs_rdata = nic_tx_base;
            REG_NIC_TX_SIZE:   regs_rdata = nic_tx_size;
            REG_NIC_TX_HEAD:   regs_rdata = 64'(nic_tx_head);
            REG_NIC_TX_TAIL:   regs_rdata = nic_tx_tail;
            REG_NIC_RX_BASE:   regs_rdata = nic_rx_base;
            REG_NIC_RX_SIZE:   regs_rdata = nic_rx_size;
            REG_NIC_RX_HEAD:   regs_rdata = 64'(nic_rx_head);
            REG_NIC_RX_TAIL:   regs_rdata = nic_rx_tail;
            REG_NIC_TX_FRAMES: regs_rdata = nic_tx_frames;
            REG_NIC_RX_FRAMES: regs_rdata = nic_rx_frames;
            REG_NIC_RX_DROPS:  regs_rdata = nic_rx_drops;
            REG_UART_RX:       regs_rdata = uart_rx_reg;
            REG_UART_STATUS:   regs_rdata = uart_status;
            REG_UART_CTRL:     regs_rdata = uart_ctrl;
            default:           regs_rdata = '0;  // write-only or unused
        endcase
        acc_rdata = acc_bar == B_VRAM ? va_rdata : acc_bar == B_REGS && in_win ? regs_rdata : '0;
    end

    // ---- writes
    logic [63:0] wmask;
    always_comb for (int i = 0; i < 8; i++) wmask[8*i +: 8] = {8{acc_wstrb[i]}};
    function automatic logic [63:0] merge(logic [63:0] old);
        return (old & ~wmask) | (acc_wdata & wmask);
    endfunction

    wire wr      = acc_valid && acc_write && srst_n;
    wire wr_regs = wr && acc_bar == B_REGS && in_win;
    wire cfg_ok  = !ring_enable && !cp_busy;           // ring geometry may change
    wire [63:0] wval = merge('0);                      // the written bytes alone
    wire [63:0] ctrl_new = merge(bit_at(RING_CTRL_ENABLE_LSB, ring_enable));

    always_comb begin
        soft_reset    = wr_regs && off == REG_SOFT_RESET && wval[SOFT_RESET_RESET_LSB];
        ring_cfg_wr   = wr_regs && (off == REG_RING_BASE || off == REG_RING_SIZE) && cfg_ok;
        db_valid      = (wr_regs && off == REG_RING_TAIL)
                     || (wr && acc_bar == B_DOORBELL && {acc_addr[11:3], 3'b000} == 12'(REG_DOORBELL));
        db_tail       = acc_bar == B_REGS ? merge(64'(tail)) : wval;
        clear_error   = wr_regs && off == REG_RING_CTRL && wval[RING_CTRL_CLEAR_ERROR_LSB];
        nic_tx_cfg_wr = wr_regs && (off == REG_NIC_TX_BASE || off == REG_NIC_TX_SIZE);
        nic_rx_cfg_wr = wr_regs && (off == REG_NIC_RX_BASE || off == REG_NIC_RX_SIZE);
        uart_tx_push  = wr_regs && off == REG_UART_TX && acc_wstrb[0];
        uart_tx_data  = acc_wdata[7:0];
        uart_rx_pop   = acc_valid && !acc_write && srst_n && acc_bar == B_REGS && off == REG_UART_RX;
    end

    assign nic_tx_en = nic_ctrl[NIC_CTRL_TX_EN_LSB];
    assign nic_rx_en = nic_ctrl[NIC_CTRL_RX_EN_LSB];

    // ---- interrupts
    logic [63:0] ev;
    wire msix_on = cfg_state[CFG_STATE_MSIX_ENABLE_LSB];
    // INTx instead of MSI-X while MSI-X is off (never both: a vector held in
    // QEMU's PBA meanwhile would fire stale once MSI-X came on).
    assign intx = !msix_on && (int_status & ~int_mask & INT_CAUSES) != '0;
    always_comb begin
        ev = bit_at(INT_STATUS_CMD_DONE_LSB, ev_done) | bit_at(INT_STATUS_ERROR_LSB, ev_error)
           | bit_at(INT_STATUS_NIC_RX_LSB, ev_nic_rx) | bit_at(INT_STATUS_NIC_TX_LSB, ev_nic_tx)
           | bit_at(INT_STATUS_UART_RX_LSB, ev_uart_rx && uart_ctrl[UART_CTRL_RX_IRQ_EN_LSB]);
        msix_req = '0;
        msix_req[VW'(VEC_COMPLETION)] = ev[INT_STATUS_CMD_DONE_LSB] && !int_mask[INT_STATUS_CMD_DONE_LSB];
        msix_req[VW'(VEC_ERROR)]      = ev[INT_STATUS_ERROR_LSB] && !int_mask[INT_STATUS_ERROR_LSB];
        msix_req[VW'(VEC_NIC)]        = (ev[INT_STATUS_NIC_RX_LSB] && !int_mask[INT_STATUS_NIC_RX_LSB])
                                || (ev[INT_STATUS_NIC_TX_LSB] && !int_mask[INT_STATUS_NIC_TX_LSB]);
        msix_req[VW'(VEC_UART)]       = ev[INT_STATUS_UART_RX_LSB] && !int_mask[INT_STATUS_UART_RX_LSB];
        if (!msix_on) msix_req = '0;
    end

    always_ff @(posedge clk) begin
        if (!srst_n) begin
            scratch     <= REG_SCRATCH_RESET;
            int_status  <= REG_INT_STATUS_RESET;
            int_mask    <= REG_INT_MASK_RESET;
            ring_base   <= REG_RING_BASE_RESET;
            ring_size   <= REG_RING_SIZE_RESET;
            ring_enable <= 1'b0;
            fence_addr  <= REG_FENCE_ADDR_RESET;
            nic_ctrl    <= REG_NIC_CTRL_RESET;
            nic_tx_base <= REG_NIC_TX_BASE_RESET;
            nic_tx_size <= REG_NIC_TX_SIZE_RESET;
            nic_tx_tail <= REG_NIC_TX_TAIL_RESET;
            nic_rx_base <= REG_NIC_RX_BASE_RESET;
            nic_rx_size <= REG_NIC_RX_SIZE_RESET;
            nic_rx_tail <= REG_NIC_RX_TAIL_RESET;
            uart_ctrl   <= REG_UART_CTRL_RESET;
        end else begin
            int_status <= (int_status & ~(wr_regs && off == REG_INT_STATUS ? wval : '0)) | ev;
            if (nic_tx_cfg_wr) nic_tx_tail <= '0;
            if (nic_rx_cfg_wr) nic_rx_tail <= '0;
            if (wr_regs) begin
                case (off)
                    REG_SCRATCH:     scratch    <= merge(scratch);
                    REG_INT_MASK:    int_mask   <= merge(int_mask);
                    REG_RING_BASE:   if (cfg_ok) ring_base <= merge(ring_base) & ~64'h3F;
                    REG_RING_SIZE:   if (cfg_ok) ring_size <= merge(ring_size);
                    REG_RING_CTRL:   ring_enable <= ctrl_new[RING_CTRL_ENABLE_LSB];
                    REG_FENCE_ADDR:  fence_addr <= merge(fence_addr);
                    REG_NIC_CTRL:    nic_ctrl   <= merge(nic_ctrl) & (bit_at(NIC_CTRL_TX_EN_LSB, 1'b1) | bit_at(NIC_CTRL_RX_EN_LSB, 1'b1));
                    REG_NIC_TX_BASE: nic_tx_base <= merge(nic_tx_base) & ~64'hF;
                    REG_NIC_TX_SIZE: nic_tx_size <= merge(nic_tx_size);
                    REG_NIC_TX_TAIL: nic_tx_tail <= merge(nic_tx_tail);
                    REG_NIC_RX_BASE: nic_rx_base <= merge(nic_rx_base) & ~64'hF;
                    REG_NIC_RX_SIZE: nic_rx_size <= merge(nic_rx_size);
                    REG_NIC_RX_TAIL: nic_rx_tail <= merge(nic_rx_tail);
                    REG_UART_CTRL:   uart_ctrl  <= merge(uart_ctrl) & bit_at(UART_CTRL_RX_IRQ_EN_LSB, 1'b1);
                    default: ;  // read-only, write-only commands (above) or unused
                endcase
            end
        end
    end
endmodule
