// Command processor: runs the command ring in guest memory.
//
// The ring is RING_SIZE entries of CMD_SIZE (64) bytes at RING_BASE; HEAD
// (device-owned) and TAIL (driver-owned, written through the doorbell) are
// entry indices in 0 .. RING_SIZE-1, and entries HEAD .. TAIL-1 wait to run.
// While enabled and not halted, the processor fetches the entry at HEAD
// (one 8-beat DMA read), checks it, runs it on the copy engine or the
// compute unit, waits until every write of it has landed, then advances
// HEAD, bumps CMD_COUNT and, with FLAGS.IRQ, signals a completion. So
// commands run strictly in order, and a WRITE_FENCE lands after everything
// before it.
//
// Errors halt the ring (STATUS.HALTED) with ERR_CODE / ERR_ADDR set and an
// error event, and HEAD one past the failing command; only the first error
// is kept. A tail that is out of range or passes HEAD is refused (TAIL
// unchanged). CLEAR_ERROR resumes at HEAD; a soft reset clears everything.
module gpu_cp
    import gpu_regs_pkg::*;
    import axi_pkg::*;
    import gpu_axi_pkg::*;
(
    input  logic         clk,
    input  logic         rst_n,
    input  logic [63:0]  cycle,

    /* verilator lint_off UNUSEDSIGNAL */
    input  logic [63:0]  ring_base,      // 64-byte aligned: bits 5:0 unused
    /* verilator lint_on UNUSEDSIGNAL */
    input  logic [63:0]  ring_size,
    input  logic         enable,
    input  logic [63:0]  fence_addr,
    input  logic         ring_cfg_wr,    // RING_BASE / RING_SIZE written: HEAD = TAIL = 0
    input  logic         db_valid,       // doorbell or RING_TAIL written
    input  logic [63:0]  db_tail,
    input  logic         clear_error,

    output logic [11:0]  head,
    output logic [11:0]  tail,
    output logic         busy,
    output logic         halted,
    output logic         idle,           // nothing to do until the host writes something
    output logic [7:0]   err_code,
    output logic [63:0]  err_addr,
    output logic [63:0]  last_fence,
    output logic [63:0]  cmd_count,
    output logic         ev_done,        // pulse: a command with FLAGS.IRQ completed
    output logic         ev_error,       // pulse: halted on an error

    // command fetch DMA
    output axi_req_t     m_req,
    input  axi_rsp_t     m_rsp,

    // copy engine
    output logic         cp_start,
    output logic [1:0]   cp_src_kind,
    output logic         cp_dst_vram,
    output logic [63:0]  cp_src,
    output logic [63:0]  cp_dst,
    output logic [31:0]  cp_len,
    output logic [63:0]  cp_const,
    input  logic         cp_busy,
    input  logic         cp_error,
    input  logic [63:0]  cp_err_addr,

    // compute unit
    output logic         k_start,
    output logic [7:0]   k_kernel,
    output logic [31:0]  k_count,
    output logic [14:0]  k_a,            // VRAM line
    output logic [14:0]  k_b,            // VRAM line
    output logic [19:3]  k_c,            // VRAM word
    output logic [31:0]  k_alpha,
    input  logic         k_busy
);
    localparam logic [1:0] SRC_HOST = 2'd0, SRC_VRAM = 2'd1, SRC_CONST = 2'd2;
    localparam logic [64:0] VRAM = 65'(VRAM_SIZE);

    typedef enum logic [2:0] { IDLE, FETCH, FETCH_WAIT, DECODE, RUN, DONE } state_t;

    state_t       state;
    /* verilator lint_off UNUSEDSIGNAL */
    logic [511:0] cmd;               // the fetched command, byte i at [8i +: 8]; reserved bytes unused
    /* verilator lint_on UNUSEDSIGNAL */

    // ---- ring geometry
    wire        size_ok = ring_size >= 64'(RING_MIN_ENTRIES) && ring_size <= 64'(RING_MAX_ENTRIES)
                       && (ring_size & (ring_size - 64'd1)) == 64'd0;
    wire [11:0] rmask   = 12'(ring_size - 64'd1);
    wire [63:0] slot    = {ring_base[63:6], 6'd0} + {46'd0, head, 6'd0};
    wire        work    = enable && !halted && (!size_ok || head != tail);

    // ---- command fields (layout from the register map)
    wire [7:0]  opcode  = cmd[8*CMD_OPCODE_OFF +: 8];
    wire [7:0]  flags   = cmd[8*CMD_FLAGS_OFF +: 8];
    wire        f_irq   = flags[CMD_FLAGS_IRQ_LSB];
    wire        f_svram = flags[CMD_FLAGS_SRC_VRAM_LSB];
    wire        f_dvram = flags[CMD_FLAGS_DST_VRAM_LSB];
    wire [63:0] fence_a = cmd[8*CMD_WRITE_FENCE_ADDR_OFF +: 64] != '0
                        ? cmd[8*CMD_WRITE_FENCE_ADDR_OFF +: 64] : fence_addr;
    wire [63:0] fence_v = cmd[8*CMD_WRITE_FENCE_VALUE_OFF +: 64];
    wire [31:0] copy_n  = cmd[8*CMD_COPY_LEN_OFF +: 32];
    wire [63:0] copy_s  = cmd[8*CMD_COPY_SRC_OFF +: 64];
    wire [63:0] copy_d  = cmd[8*CMD_COPY_DST_OFF +: 64];
    wire [31:0] fill_n  = cmd[8*CMD_FILL_LEN_OFF +: 32];
    wire [63:0] fill_d  = cmd[8*CMD_FILL_DST_OFF +: 64];
    wire [31:0] fill_p  = cmd[8*CMD_FILL_PATTERN_OFF +: 32];
    wire [63:0] ts_a    = cmd[8*CMD_TIMESTAMP_ADDR_OFF +: 64];
    wire [7:0]  kern    = cmd[8*CMD_DISPATCH_KERNEL_OFF +: 8];
    wire [31:0] kcount  = cmd[8*CMD_DISPATCH_COUNT_OFF +: 32];
    wire [63:0] ka      = cmd[8*CMD_DISPATCH_A_OFF +: 64];
    wire [63:0] kb      = cmd[8*CMD_DISPATCH_B_OFF +: 64];
    wire [63:0] kc      = cmd[8*CMD_DISPATCH_C_OFF +: 64];
    wire [31:0] kalpha  = cmd[8*CMD_DISPATCH_ALPHA_OFF +: 32];

    // [off, off + len) inside VRAM (65-bit sums: no wrap-around)
    function automatic logic in_vram(logic [63:0] off, logic [63:0] len);
        return 65'(off) + 65'(len) <= VRAM;
    endfunction
    wire [63:0] kbytes = {30'd0, kcount, 2'b00};
    wire        kalign = ka[4:0] == '0 && (kern == KERNEL_REDUCE_SUM ? kc[2:0] == '0 : kb[4:0] == '0 && kc[4:0] == '0);
    wire        krange = in_vram(ka, kbytes) && (kern == KERNEL_REDUCE_SUM ? in_vram(kc, 64'd8)
                       : in_vram(kb, kbytes) && in_vram(kc, kbytes));

    // ---- command fetch: one 64-byte DMA read into `cmd`
    logic       f_busy, f_error, f_we;
    /* verilator lint_off UNUSEDSIGNAL */
    logic [8:0] f_idx;               // 8 words: bits 8:3 unused
    /* verilator lint_on UNUSEDSIGNAL */
    logic [63:0] f_data;
    axi_req_t    rd_req;
    dma_rd #(.NID(1), .ID_BASE(ID_FETCH)) fetch (
        .clk, .rst_n,
        .start(state == FETCH), .addr(slot), .n(13'(CMD_SIZE)), .busy(f_busy), .error(f_error),
        .buf_we(f_we), .buf_idx(f_idx), .buf_wdata(f_data),
        .m_req(rd_req), .m_rsp(m_rsp)
    );
    assign m_req = rd_req;           // the fetcher only reads
    always_ff @(posedge clk) if (f_we) cmd[64*f_idx[2:0] +: 64] <= f_data;

    assign busy = state != IDLE;
    assign idle = state == IDLE && !work && !db_valid && !clear_error && !ring_cfg_wr;

    // Doorbell check: in range, and not passing HEAD (the number of waiting
    // entries may only grow).
    wire [11:0] db       = db_tail[11:0];
    wire        db_range = size_ok && db_tail < ring_size;
    wire        db_ok    = db_range && ((db - head) & rmask) >= ((tail - head) & rmask);

    // Errors of the command at HEAD (or of the ring setup), by state.
    logic        cmd_err;
    logic [7:0]  cmd_code;
    logic [63:0] cmd_addr;
    logic        used_copy;          // the running command started the copy engine

    always_comb begin
        cmd_err  = 1'b0;
        cmd_code = ERR_DMA;
        cmd_addr = slot;
        case (state)
            IDLE: if (work && !size_ok) begin
                cmd_err  = 1'b1;
                cmd_code = ERR_RING_CONFIG;
                cmd_addr = ring_size;
            end
            FETCH_WAIT: cmd_err = !f_busy && f_error;
            DECODE: begin
                case (opcode)
                    OP_NOP:         cmd_err = 1'b0;
                    OP_WRITE_FENCE: cmd_err = fence_a[2:0] != '0 || (f_dvram && !in_vram(fence_a, 64'd8));
                    OP_COPY:        cmd_err = copy_n != '0 && ((f_svram && !in_vram(copy_s, 64'(copy_n)))
                                                           || (f_dvram && !in_vram(copy_d, 64'(copy_n))));
                    OP_FILL:        cmd_err = fill_n != '0 && f_dvram && !in_vram(fill_d, 64'(fill_n));
                    OP_TIMESTAMP:   cmd_err = ts_a[2:0] != '0 || (f_dvram && !in_vram(ts_a, 64'd8));
                    OP_DISPATCH:    cmd_err = kern > KERNEL_REDUCE_SUM || !kalign || !krange;
                    default:        cmd_err = 1'b1;
                endcase
                cmd_code = opcode > OP_DISPATCH ? ERR_BAD_OPCODE : ERR_BAD_ARG;
            end
            RUN: if (!cp_busy && !k_busy && used_copy && cp_error) begin
                cmd_err  = 1'b1;
                cmd_addr = cp_err_addr;
            end
            default: ;
        endcase
    end

    // The first error is kept until cleared; a command's error wins over a
    // refused doorbell in the same clock.
    wire        db_err     = db_valid && !db_ok;
    wire        raise      = cmd_err || db_err;
    wire [7:0]  raise_code = cmd_err ? cmd_code : ERR_RING_OVERRUN;
    wire [63:0] raise_addr = cmd_err ? cmd_addr : db_tail;

    // Engine starts, decided in DECODE.
    always_comb begin
        cp_start    = 1'b0;
        cp_src_kind = SRC_CONST;
        cp_dst_vram = f_dvram;
        cp_src      = '0;
        cp_dst      = '0;
        cp_len      = 32'd8;
        cp_const    = '0;
        k_start     = 1'b0;
        if (state == DECODE && !cmd_err) begin
            case (opcode)
                OP_WRITE_FENCE: begin
                    cp_start = 1'b1;
                    cp_dst   = fence_a;
                    cp_const = fence_v;
                end
                OP_COPY: begin
                    cp_start    = copy_n != '0;
                    cp_src_kind = f_svram ? SRC_VRAM : SRC_HOST;
                    cp_src      = copy_s;
                    cp_dst      = copy_d;
                    cp_len      = copy_n;
                end
                OP_FILL: begin
                    cp_start = fill_n != '0;
                    cp_dst   = fill_d;
                    cp_len   = fill_n;
                    cp_const = {fill_p, fill_p};
                end
                OP_TIMESTAMP: begin
                    cp_start = 1'b1;
                    cp_dst   = ts_a;
                    cp_const = cycle;
                end
                OP_DISPATCH: k_start = 1'b1;
                default: ;
            endcase
        end
    end
    assign k_kernel = kern;
    assign k_count  = kcount;
    assign k_a      = ka[19:5];
    assign k_b      = kb[19:5];
    assign k_c      = kc[19:3];
    assign k_alpha  = kalpha;

    always_ff @(posedge clk) begin
        ev_done  <= 1'b0;
        ev_error <= 1'b0;
        if (!rst_n) begin
            state      <= IDLE;
            head       <= '0;
            tail       <= '0;
            halted     <= 1'b0;
            used_copy  <= 1'b0;
            err_code   <= ERR_NONE;
            err_addr   <= '0;
            last_fence <= '0;
            cmd_count  <= '0;
        end else begin
            if (ring_cfg_wr) begin
                head <= '0;
                tail <= '0;
            end else if (db_valid && db_ok) begin
                tail <= db;
            end
            if (clear_error) begin
                halted   <= 1'b0;
                err_code <= ERR_NONE;
                err_addr <= '0;
            end else if (raise && !halted) begin
                halted   <= 1'b1;
                err_code <= raise_code;
                err_addr <= raise_addr;
                ev_error <= 1'b1;
            end
            case (state)
                IDLE: if (work && size_ok && !raise && !clear_error) state <= FETCH;
                FETCH: state <= FETCH_WAIT;
                FETCH_WAIT: if (!f_busy) begin
                    if (cmd_err) begin
                        head  <= (head + 12'd1) & rmask;
                        state <= IDLE;
                    end else begin
                        state <= DECODE;
                    end
                end
                DECODE: begin
                    used_copy <= cp_start;
                    if (cmd_err) begin
                        head  <= (head + 12'd1) & rmask;
                        state <= IDLE;
                    end else begin
                        state <= RUN;
                    end
                end
                RUN: if (!cp_busy && !k_busy) begin
                    if (cmd_err) begin
                        head  <= (head + 12'd1) & rmask;
                        state <= IDLE;
                    end else begin
                        state <= DONE;
                    end
                end
                DONE: begin
                    head      <= (head + 12'd1) & rmask;
                    cmd_count <= cmd_count + 64'd1;
                    ev_done   <= f_irq;
                    if (opcode == OP_WRITE_FENCE) last_fence <= fence_v;
                    state     <= IDLE;
                end
                default: state <= IDLE;
            endcase
        end
    end

    // ---- ring invariants (checked when built with --assert)
    always_ff @(posedge clk) begin
        if (rst_n && size_ok) begin
            assert (head <= rmask && tail <= rmask)
            else $error("gpu_cp: HEAD %0d or TAIL %0d outside a ring of %0d (cycle %0d)", head, tail, ring_size, cycle);
            assert (state != FETCH || head != tail)
            else $error("gpu_cp: fetching entry %0d of an empty ring (cycle %0d)", head, cycle);
            // HEAD only moves past an entry that was waiting: never past TAIL.
            assert (!(state == DONE || (state != IDLE && cmd_err)) || head != tail)
            else $error("gpu_cp: HEAD %0d would pass TAIL %0d (cycle %0d)", head, tail, cycle);
        end
    end
endmodule
