// qemu-hdl-bridge: the SystemVerilog endpoint of the co-simulation.
//
// Sits between the DPI-C shim (cosim_dpi.svh) and the user's device RTL:
//   m_axi_*         AXI4 master: host MMIO (BAR accesses), BAR number on *user
//   s_axi_*         AXI4 slave: device DMA to host memory
//   msix_*          MSI-X requests
//   intx_level      INTx (legacy level interrupt), reported while MSI-X is off
//   cfg_*           PCI config state from the host (MSI-X, bus master, INTx disable)
//   s_axis_tx_* / m_axis_rx_*  NIC frames (AXI-Stream), device->host / host->device
//   uart_tx_* / uart_rx_*      serial bytes
//   dev_rst_n       reset for the user RTL (harness reset or host reset)
//   dev_idle        from the user RTL: no internal work that needs clocks
//
// Every DPI call is made from the one always_ff block `dpi_port`, so the
// order of calls within a clock is fixed (see docs/example-device.md):
// completions the RTL produced at this edge first, then one
// cosim_dpi_pending(), then the pops its mask allows, then cosim_dpi_idle()
// if the idle state changed. The submodules are plain RTL.
module cosim_bridge #(
    // Device identity, announced to the broker at time 0.
    parameter logic [15:0] VENDOR_ID         = 16'h1234,
    parameter logic [15:0] DEVICE_ID         = 16'h0001,
    parameter logic [15:0] SUBSYS_VENDOR_ID  = 16'h1234,
    parameter logic [15:0] SUBSYS_ID         = 16'h0001,
    parameter logic [23:0] CLASS_CODE        = 24'hFF0000,
    parameter logic [7:0]  REVISION          = 8'h00,
    // BAR sizes in bytes (power of two; 0 = absent). A 64-bit BAR n uses
    // slot n+1 as its upper half, so BAR_SIZE(n+1) must be 0.
    parameter logic [63:0] BAR_SIZE0         = 64'h1000,
    parameter logic [63:0] BAR_SIZE1         = 64'h0,
    parameter logic [63:0] BAR_SIZE2         = 64'h0,
    parameter logic [63:0] BAR_SIZE3         = 64'h0,
    parameter logic [63:0] BAR_SIZE4         = 64'h0,
    parameter logic [63:0] BAR_SIZE5         = 64'h0,
    // BAR flags: bit0 64-bit, bit1 prefetchable.
    parameter int          BAR_FLAGS0        = 0,
    parameter int          BAR_FLAGS1        = 0,
    parameter int          BAR_FLAGS2        = 0,
    parameter int          BAR_FLAGS3        = 0,
    parameter int          BAR_FLAGS4        = 0,
    parameter int          BAR_FLAGS5        = 0,
    // MSI-X: 0 vectors = no MSI-X capability. Table and PBA live in QEMU.
    parameter int          MSIX_VECTORS      = 0,
    parameter int          MSIX_TABLE_BAR    = 0,
    parameter logic [63:0] MSIX_TABLE_OFFSET = 64'h0,
    parameter int          MSIX_PBA_BAR      = 0,
    parameter logic [63:0] MSIX_PBA_OFFSET   = 64'h0,
    // DMA reads the bridge accepts before deasserting s_axi_arready.
    parameter int          DMA_MAX_READS     = 16,
    // Device write bursts (AWs) the bridge queues ahead of their data.
    parameter int          DMA_AW_DEPTH      = 4
) (
    input  logic        clk,
    input  logic        rst_n,

    output logic        dev_rst_n,
    input  logic        dev_idle,

    // ---- AXI4 master: host MMIO (addr = BAR offset, user = BAR number)
    output logic [3:0]  m_axi_awid,
    output logic [63:0] m_axi_awaddr,
    output logic [7:0]  m_axi_awlen,
    output logic [2:0]  m_axi_awsize,
    output logic [1:0]  m_axi_awburst,
    output logic [2:0]  m_axi_awuser,
    output logic        m_axi_awvalid,
    input  logic        m_axi_awready,
    output logic [63:0] m_axi_wdata,
    output logic [7:0]  m_axi_wstrb,
    output logic        m_axi_wlast,
    output logic        m_axi_wvalid,
    input  logic        m_axi_wready,
    input  logic [3:0]  m_axi_bid,
    input  logic [1:0]  m_axi_bresp,
    input  logic        m_axi_bvalid,
    output logic        m_axi_bready,
    output logic [3:0]  m_axi_arid,
    output logic [63:0] m_axi_araddr,
    output logic [7:0]  m_axi_arlen,
    output logic [2:0]  m_axi_arsize,
    output logic [1:0]  m_axi_arburst,
    output logic [2:0]  m_axi_aruser,
    output logic        m_axi_arvalid,
    input  logic        m_axi_arready,
    input  logic [3:0]  m_axi_rid,
    input  logic [63:0] m_axi_rdata,
    input  logic [1:0]  m_axi_rresp,
    input  logic        m_axi_rlast,
    input  logic        m_axi_rvalid,
    output logic        m_axi_rready,

    // ---- AXI4 slave: DMA to host memory (INCR, up to 256 beats, narrow ok)
    input  logic [3:0]  s_axi_awid,
    input  logic [63:0] s_axi_awaddr,
    input  logic [7:0]  s_axi_awlen,
    input  logic [2:0]  s_axi_awsize,
    input  logic [1:0]  s_axi_awburst,
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
    input  logic        s_axi_arvalid,
    output logic        s_axi_arready,
    output logic [3:0]  s_axi_rid,
    output logic [63:0] s_axi_rdata,
    output logic [1:0]  s_axi_rresp,
    output logic        s_axi_rlast,
    output logic        s_axi_rvalid,
    input  logic        s_axi_rready,

    // ---- MSI-X
    input  logic        msix_valid,
    input  logic [15:0] msix_vector,
    output logic        msix_ready,

    // ---- INTx and the PCI config state. intx_level: 1 while the device
    // wants service (e.g. an unacknowledged cause in a status register);
    // the bridge reports it to the host as INTA# whenever it changes, and
    // as 0 while MSI-X is enabled. cfg_*: the host's config space bits as of
    // its last CFG_STATE; until the first one, MSI-X and bus mastering read
    // enabled (what a host that never sends CFG_STATE behaves like).
    input  logic        intx_level,
    output logic        cfg_msix_enable,   // MSI-X Enable
    output logic        cfg_msix_masked,   // MSI-X Function Mask
    output logic        cfg_bus_master,    // command register: Bus Master Enable
    output logic        cfg_intx_disable,  // command register: Interrupt Disable (QEMU masks the pin itself)

    // ---- NIC, device -> host
    input  logic [63:0] s_axis_tx_tdata,
    input  logic [7:0]  s_axis_tx_tkeep,
    input  logic        s_axis_tx_tlast,
    input  logic        s_axis_tx_tvalid,
    output logic        s_axis_tx_tready,
    // ---- NIC, host -> device
    output logic [63:0] m_axis_rx_tdata,
    output logic [7:0]  m_axis_rx_tkeep,
    output logic        m_axis_rx_tlast,
    output logic        m_axis_rx_tvalid,
    input  logic        m_axis_rx_tready,

    // ---- UART bytes
    input  logic        uart_tx_valid,
    input  logic [7:0]  uart_tx_data,
    output logic        uart_tx_ready,
    output logic        uart_rx_valid,
    output logic [7:0]  uart_rx_data,
    input  logic        uart_rx_ready
);
`include "cosim_dpi.svh"

    localparam int HOST_RESET_CLOCKS = 16;
    localparam int RBW = $clog2(DMA_MAX_READS + 1);

    // ------------------------------------------------------------------
    // Identity: one cosim_dpi_bar per present BAR, then the announcement.
    initial begin : announce
        logic [63:0] size[6];
        int          flags[6];
        size  = '{BAR_SIZE0, BAR_SIZE1, BAR_SIZE2, BAR_SIZE3, BAR_SIZE4, BAR_SIZE5};
        flags = '{BAR_FLAGS0, BAR_FLAGS1, BAR_FLAGS2, BAR_FLAGS3, BAR_FLAGS4, BAR_FLAGS5};
        for (int i = 0; i < 6; i++) begin
            if (size[i] != 64'h0) begin
                if ((size[i] & (size[i] - 64'h1)) != 64'h0)
                    $error("cosim_bridge: BAR%0d size 0x%0h is not a power of two", i, size[i]);
                if (i > 0 && flags[i-1][0] && size[i-1] != 64'h0)
                    $error("cosim_bridge: BAR%0d is the upper half of 64-bit BAR%0d", i, i - 1);
                cosim_dpi_bar(i, size[i], flags[i]);
            end
        end
        cosim_dpi_announce(int'(VENDOR_ID), int'(DEVICE_ID), int'(SUBSYS_VENDOR_ID),
                           int'(SUBSYS_ID), int'(CLASS_CODE), int'(REVISION), MSIX_VECTORS,
                           MSIX_TABLE_BAR, MSIX_TABLE_OFFSET, MSIX_PBA_BAR, MSIX_PBA_OFFSET);
    end

    // ------------------------------------------------------------------
    // Time and reset. These registers mirror state that outlives rst_n (the
    // cycle count stamps messages; the shim's queues survive a harness
    // reset), so they are initialised once rather than reset.
    logic [63:0] cycle        = '0;
    logic        rst_q        = 1'b0;  // rst_n at the previous clock
    logic        seen_rst     = 1'b0;  // rst_n seen low: submodule state is defined
    logic [4:0]  host_rst_cnt = '0;    // clocks of host reset left

    wire core_rst_n = rst_n && host_rst_cnt == 5'd0;
    wire live       = core_rst_n && seen_rst;
    assign dev_rst_n = core_rst_n;

    // ------------------------------------------------------------------
    // PCI config state and INTx. The config state is the host's, so it
    // outlives rst_n and a host reset (the host sends the state again after
    // its reset); initialised once, to MSI-X and bus master enabled.
    logic [3:0] cfg_state = 4'b0101;  // COSIM_CFG_*: 0 MSI-X en, 1 masked, 2 master, 3 INTx dis
    logic       intx_rep  = 1'b0;     // the level the host was last told (it starts deasserted)
    logic       intx_sync = 1'b0;     // tell the host the level even if unchanged
    assign {cfg_intx_disable, cfg_bus_master, cfg_msix_masked, cfg_msix_enable} = cfg_state;
    // PCI: a function with MSI-X enabled must not use INTx.
    wire intx_now = intx_level && !cfg_msix_enable;

    // ------------------------------------------------------------------
    // MMIO master.
    logic        mmio_req;  // popped last clock; the MMIO block takes it now
    logic        mmio_req_write;
    logic [31:0] mmio_req_tag;
    logic [2:0]  mmio_req_bar;
    logic [63:0] mmio_req_addr;
    logic [3:0]  mmio_req_len;
    logic [63:0] mmio_req_wdata;
    logic        mmio_busy, mmio_cur_write, mmio_done, mmio_done_error;
    logic [31:0] mmio_cur_tag;
    logic [63:0] mmio_done_rdata;

    cosim_bridge_mmio mmio (
        .clk, .rst_n(core_rst_n),
        .req_valid(mmio_req), .req_write(mmio_req_write), .req_tag(mmio_req_tag),
        .req_bar(mmio_req_bar), .req_addr(mmio_req_addr), .req_len(mmio_req_len),
        .req_wdata(mmio_req_wdata),
        .busy(mmio_busy), .cur_write(mmio_cur_write), .cur_tag(mmio_cur_tag),
        .done(mmio_done), .done_rdata(mmio_done_rdata), .done_error(mmio_done_error),
        .m_axi_awid, .m_axi_awaddr, .m_axi_awlen, .m_axi_awsize, .m_axi_awburst,
        .m_axi_awuser, .m_axi_awvalid, .m_axi_awready,
        .m_axi_wdata, .m_axi_wstrb, .m_axi_wlast, .m_axi_wvalid, .m_axi_wready,
        .m_axi_bresp, .m_axi_bvalid, .m_axi_bready,
        .m_axi_arid, .m_axi_araddr, .m_axi_arlen, .m_axi_arsize, .m_axi_arburst,
        .m_axi_aruser, .m_axi_arvalid, .m_axi_arready,
        .m_axi_rdata, .m_axi_rresp, .m_axi_rvalid, .m_axi_rready
    );

    // ------------------------------------------------------------------
    // DMA writes.
    logic        wr_beat, wr_busy, wr_len_mismatch;
    logic [63:0] wr_beat_addr;

    cosim_bridge_dma_wr #(.AW_DEPTH(DMA_AW_DEPTH)) dma_wr (
        .clk, .rst_n(core_rst_n),
        .s_axi_awid, .s_axi_awaddr, .s_axi_awlen, .s_axi_awsize,
        .s_axi_awvalid, .s_axi_awready,
        .s_axi_wlast, .s_axi_wvalid, .s_axi_wready,
        .s_axi_bid, .s_axi_bresp, .s_axi_bvalid, .s_axi_bready,
        .beat(wr_beat), .beat_addr(wr_beat_addr),
        .busy(wr_busy), .len_mismatch(wr_len_mismatch)
    );

    // ------------------------------------------------------------------
    // DMA reads: the shim keeps the requests, the bridge only counts them.
    // Bursts requested before a reset still come back; they are drained
    // and discarded, and no new AR is taken meanwhile so that no fresh
    // burst (of another ID, possibly answered first) is mistaken for one.
    logic [RBW-1:0] rd_bursts = '0;  // ARs whose last beat is not popped yet
    logic [RBW-1:0] rd_drop   = '0;  // of those, bursts to discard

    assign s_axi_arready = live && rd_drop == '0 && rd_bursts < RBW'(DMA_MAX_READS);

    // The sinks below queue in the shim's memory, so they never stall.
    assign msix_ready       = live;
    assign s_axis_tx_tready = live;
    assign uart_tx_ready    = live;

    // NIC frame state across resets: the host frame being received when the
    // device resets is dropped (rx); a frame the device was sending is cut
    // short with an empty last beat so the next frame starts clean (tx).
    logic rx_mid  = 1'b0;  // the next beat the shim hands out continues a frame
    logic rx_drop = 1'b0;  // discard host beats up to the end of that frame
    logic tx_mid  = 1'b0;  // the device is in the middle of a frame

    logic idle_known, idle_rep;

    wire r_take  = s_axi_rvalid && s_axi_rready;
    wire rx_take = m_axis_rx_tvalid && m_axis_rx_tready;
    wire u_take  = uart_rx_valid && uart_rx_ready;

    // Anything the user RTL offers us counts as work, even if dev_idle says
    // otherwise: idle must never be reported while a transfer is pending.
    wire user_offers = s_axi_arvalid || s_axi_awvalid || s_axi_wvalid || msix_valid
                    || s_axis_tx_tvalid || uart_tx_valid;

    always_ff @(posedge clk) begin : dpi_port
        // DPI outputs: the C ABI makes them 32-bit ints; only the low bits
        // carry information (e.g. an AXI ID is 4 bits), the rest is unused.
        /* verilator lint_off UNUSEDSIGNAL */
        int             pend, got, is_w, tag, bar, len, id, last, err, keep, ch, cfg;
        /* verilator lint_on UNUSEDSIGNAL */
        longint         addr, data;
        logic           reset_now, popped, mmio_reported, rxm, idle_now;
        logic [RBW-1:0] bursts;

        cycle <= cycle + 64'd1;
        rst_q <= rst_n;
        if (!rst_n) seen_rst <= 1'b1;
        bursts        = rd_bursts;
        popped        = 1'b0;
        mmio_reported = 1'b0;
        rxm           = rx_mid;

        // 1. Transfers handshaken at this edge. DMA write beats go before
        //    the MSI-X and the MMIO completion of the same edge: the shim
        //    keeps one ordered outbound queue, and PCIe wants neither an
        //    interrupt nor a read completion to pass earlier posted writes.
        if (live) begin
            if (s_axi_arvalid && s_axi_arready) begin
                cosim_dpi_dma_read(int'(s_axi_arid), s_axi_araddr, int'(s_axi_arlen) + 1,
                                   1 << s_axi_arsize);
                bursts = bursts + 1'b1;
            end
            if (wr_beat)
                cosim_dpi_dma_wbeat(wr_beat_addr, s_axi_wdata, int'(s_axi_wstrb),
                                    int'(s_axi_wlast));
            if (msix_valid && msix_ready) cosim_dpi_msix(int'(msix_vector));
            if (s_axis_tx_tvalid && s_axis_tx_tready) begin
                cosim_dpi_nic_tx(s_axis_tx_tdata, int'(s_axis_tx_tkeep), int'(s_axis_tx_tlast));
                tx_mid <= !s_axis_tx_tlast;
            end
            if (uart_tx_valid && uart_tx_ready) cosim_dpi_uart_tx(int'(uart_tx_data));
        end
        // INTx changes, also while the device is in reset (its level drops
        // then). After this edge's DMA write beats, like an MSI-X, and before
        // its MMIO completion, so a driver that clears the cause and reads a
        // register back finds the pin already low.
        if (seen_rst && (intx_now != intx_rep || intx_sync)) begin
            cosim_dpi_intx(int'(intx_now));
            intx_rep  <= intx_now;
            intx_sync <= 1'b0;
        end
        if (live && mmio_done) begin
            if (mmio_cur_write) cosim_dpi_mmio_write_done(mmio_cur_tag, int'(mmio_done_error));
            else cosim_dpi_mmio_read_done(mmio_cur_tag, mmio_done_rdata, int'(mmio_done_error));
            mmio_reported = 1'b1;
        end

        // 2. One look at the inbound queues per clock.
        pend = cosim_dpi_pending(cycle);

        // 3. Host reset before anything else, so nothing is popped into a
        //    core that is about to be reset.
        reset_now = seen_rst && rst_q && !rst_n;
        if (!rst_n) begin
            host_rst_cnt <= '0;
        end else if (pend[4] && cosim_dpi_reset_pop() != 0) begin
            reset_now    = 1'b1;
            popped       = 1'b1;
            host_rst_cnt <= 5'(HOST_RESET_CLOCKS);
            // QEMU deasserted the pin when it reset the device: report the
            // level again even if it did not change.
            intx_sync    <= 1'b1;
        end else if (host_rst_cnt != '0) begin
            host_rst_cnt <= host_rst_cnt - 1'b1;
        end

        // The config state, at any time (a register, not a transfer). It
        // counts as popped, so the design stays awake for the next edge,
        // which reports the INTx change it may cause.
        if (pend[5] && cosim_dpi_cfg_pop(cfg) != 0) begin
            popped    = 1'b1;
            cfg_state <= 4'(cfg);
        end

        if (mmio_req) mmio_req <= 1'b0;  // the MMIO block always takes it
        if (pend[0] && live && !reset_now && !mmio_req && (!mmio_busy || mmio_reported)) begin
            if (cosim_dpi_mmio_pop(is_w, tag, bar, addr, len, data) != 0) begin
                popped         = 1'b1;
                mmio_req       <= 1'b1;
                mmio_req_write <= is_w != 0;
                mmio_req_tag   <= tag;
                mmio_req_bar   <= 3'(bar);
                mmio_req_addr  <= addr;
                // Out-of-range lengths become 0, which the MMIO block refuses.
                mmio_req_len   <= (len >= 1 && len <= 8) ? 4'(len) : 4'd0;
                mmio_req_wdata <= data;
            end
        end

        if (r_take) s_axi_rvalid <= 1'b0;
        if (pend[1] && (rd_drop != '0 || (live && !reset_now && (!s_axi_rvalid || r_take)))) begin
            got = cosim_dpi_dma_rbeat(id, data, last, err);
            if (got != 0) begin
                popped = 1'b1;
                if (rd_drop != '0 || bursts == '0) begin
                    if (rd_drop == '0)
                        $warning("cosim_bridge: DMA read beat with no read outstanding dropped (cycle %0d)", cycle);
                    else if (last != 0)
                        rd_drop <= rd_drop - 1'b1;
                end else begin
                    s_axi_rvalid <= 1'b1;
                    s_axi_rid    <= 4'(id);
                    s_axi_rdata  <= data;
                    s_axi_rresp  <= err != 0 ? 2'b10 : 2'b00;  // SLVERR : OKAY
                    s_axi_rlast  <= last != 0;
                end
                if (last != 0 && bursts != '0) bursts = bursts - 1'b1;
            end
        end

        if (rx_take) m_axis_rx_tvalid <= 1'b0;
        if (pend[2] && (rx_drop || (live && !reset_now && (!m_axis_rx_tvalid || rx_take)))) begin
            if (cosim_dpi_nic_rx(data, keep, last) != 0) begin
                popped = 1'b1;
                rxm    = last == 0;
                if (rx_drop) begin
                    if (last != 0) rx_drop <= 1'b0;
                end else begin
                    m_axis_rx_tvalid <= 1'b1;
                    m_axis_rx_tdata  <= data;
                    m_axis_rx_tkeep  <= 8'(keep);
                    m_axis_rx_tlast  <= last != 0;
                end
            end
        end
        rx_mid <= rxm;

        if (u_take) uart_rx_valid <= 1'b0;
        if (pend[3] && live && !reset_now && (!uart_rx_valid || u_take)) begin
            if (cosim_dpi_uart_rx(ch) != 0) begin
                popped        = 1'b1;
                uart_rx_valid <= 1'b1;
                uart_rx_data  <= 8'(ch);
            end
        end

        // Reset of the core: complete the MMIO in flight with an error so
        // the host never waits for it, and drop what was handed to the
        // device but not yet taken.
        if (reset_now) begin
            if (mmio_req) begin
                if (mmio_req_write) cosim_dpi_mmio_write_done(mmio_req_tag, 1);
                else cosim_dpi_mmio_read_done(mmio_req_tag, -64'sd1, 1);
            end else if (mmio_busy && !mmio_reported) begin
                if (mmio_cur_write) cosim_dpi_mmio_write_done(mmio_cur_tag, 1);
                else cosim_dpi_mmio_read_done(mmio_cur_tag, -64'sd1, 1);
            end
            if (tx_mid) begin
                cosim_dpi_nic_tx(64'd0, 0, 1);
                tx_mid <= 1'b0;
            end
            rd_drop          <= bursts;
            rx_drop          <= rxm;
            mmio_req         <= 1'b0;
            s_axi_rvalid     <= 1'b0;
            m_axis_rx_tvalid <= 1'b0;
            uart_rx_valid    <= 1'b0;
        end
        rd_bursts <= bursts;

        if (!rst_n) begin
            mmio_req         <= 1'b0;
            s_axi_rvalid     <= 1'b0;
            m_axis_rx_tvalid <= 1'b0;
            uart_rx_valid    <= 1'b0;
        end

        // 4. Idle, judged on the state after this edge: nothing in flight
        //    before it and nothing popped at it.
        idle_now = live && !reset_now && !popped && dev_idle && !user_offers
                && !mmio_busy && !mmio_req && bursts == '0 && rd_drop == '0 && !s_axi_rvalid
                && !wr_busy && !m_axis_rx_tvalid && !rx_drop && !uart_rx_valid;
        if (!rst_n) begin
            idle_known <= 1'b0;
        end else if (seen_rst && (!idle_known || idle_now != idle_rep)) begin
            cosim_dpi_idle(int'(idle_now));
            idle_rep   <= idle_now;
            idle_known <= 1'b1;
        end
    end

    // ------------------------------------------------------------------
    // Protocol checks on what the user RTL drives.
    cosim_hs_chk #(.WIDTH(4 + 64 + 8 + 3 + 2), .NAME("s_axi AR")) chk_ar (
        .clk, .rst_n(live), .cycle, .valid(s_axi_arvalid), .ready(s_axi_arready),
        .payload({s_axi_arid, s_axi_araddr, s_axi_arlen, s_axi_arsize, s_axi_arburst}));
    cosim_hs_chk #(.WIDTH(4 + 64 + 8 + 3 + 2), .NAME("s_axi AW")) chk_aw (
        .clk, .rst_n(live), .cycle, .valid(s_axi_awvalid), .ready(s_axi_awready),
        .payload({s_axi_awid, s_axi_awaddr, s_axi_awlen, s_axi_awsize, s_axi_awburst}));
    cosim_hs_chk #(.WIDTH(64 + 8 + 1), .NAME("s_axi W")) chk_w (
        .clk, .rst_n(live), .cycle, .valid(s_axi_wvalid), .ready(s_axi_wready),
        .payload({s_axi_wdata, s_axi_wstrb, s_axi_wlast}));
    cosim_hs_chk #(.WIDTH(16), .NAME("msix")) chk_msix (
        .clk, .rst_n(live), .cycle, .valid(msix_valid), .ready(msix_ready),
        .payload(msix_vector));
    cosim_hs_chk #(.WIDTH(64 + 8 + 1), .NAME("s_axis_tx")) chk_tx (
        .clk, .rst_n(live), .cycle, .valid(s_axis_tx_tvalid), .ready(s_axis_tx_tready),
        .payload({s_axis_tx_tdata, s_axis_tx_tkeep, s_axis_tx_tlast}));
    cosim_hs_chk #(.WIDTH(8), .NAME("uart_tx")) chk_uart (
        .clk, .rst_n(live), .cycle, .valid(uart_tx_valid), .ready(uart_tx_ready),
        .payload(uart_tx_data));

    // Burst rules the DPI contract relies on: INCR only (the shim computes
    // beat addresses that way), a beat no wider than the bus, no 4 KiB
    // crossing (one host page per burst), WLAST where AWLEN says.
    function automatic logic crosses_4k(logic [11:0] addr, logic [7:0] len, logic [2:0] size);
        logic [12:0] start = {1'b0, addr & ~12'((13'd1 << size) - 13'd1)};
        logic [12:0] bytes = 13'(({5'd0, len} + 13'd1) << size);
        return 14'(start) + 14'(bytes) > 14'd4096;
    endfunction

    always_ff @(posedge clk) begin : axi_rules
        if (live) begin
            if (s_axi_arvalid) begin
                assert (s_axi_arburst == 2'b01 && s_axi_arsize <= 3'd3)
                else $error("cosim_bridge: DMA read burst %0d size %0d unsupported (cycle %0d)",
                            s_axi_arburst, s_axi_arsize, cycle);
                assert (!crosses_4k(s_axi_araddr[11:0], s_axi_arlen, s_axi_arsize))
                else $error("cosim_bridge: DMA read at 0x%0h crosses 4 KiB (cycle %0d)",
                            s_axi_araddr, cycle);
            end
            if (s_axi_awvalid) begin
                assert (s_axi_awburst == 2'b01 && s_axi_awsize <= 3'd3)
                else $error("cosim_bridge: DMA write burst %0d size %0d unsupported (cycle %0d)",
                            s_axi_awburst, s_axi_awsize, cycle);
                assert (!crosses_4k(s_axi_awaddr[11:0], s_axi_awlen, s_axi_awsize))
                else $error("cosim_bridge: DMA write at 0x%0h crosses 4 KiB (cycle %0d)",
                            s_axi_awaddr, cycle);
            end
            assert (!wr_len_mismatch)
            else $error("cosim_bridge: DMA WLAST does not match AWLEN (cycle %0d)", cycle);
            assert (!(m_axi_rvalid && m_axi_rready) || (m_axi_rlast && m_axi_rid == m_axi_arid))
            else $error("cosim_bridge: MMIO read answered with rlast=%0d rid=%0d (cycle %0d)",
                        m_axi_rlast, m_axi_rid, cycle);
            assert (!(m_axi_bvalid && m_axi_bready) || m_axi_bid == m_axi_awid)
            else $error("cosim_bridge: MMIO write answered with bid=%0d (cycle %0d)",
                        m_axi_bid, cycle);
        end
    end
endmodule
