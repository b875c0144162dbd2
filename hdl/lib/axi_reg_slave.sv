// AXI4 slave front end for register blocks and BAR windows: turns each beat
// of a host access into one request on a simple access port, one at a time,
// in the order the bus delivers them.
//
//   acc_valid  an access waits; acc_write, acc_bar (from *user), acc_addr
//              (the beat's address), acc_wdata/acc_wstrb (writes) hold still
//   acc_ready  the device completes it at this clock: for a read acc_rdata
//              and acc_resp are taken now, for a write acc_resp is
//
// The device may answer in the same clock (combinational ready) or later
// (e.g. after a synchronous RAM read). Bursts are served beat by beat
// (INCR); FIXED and WRAP bursts are refused with DECERR without reaching
// the access port. AW and AR are offered on alternate clocks, which keeps
// the readies free of input-to-output paths.
module axi_reg_slave (
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

    output logic        acc_valid,
    output logic        acc_write,
    output logic [2:0]  acc_bar,
    output logic [63:0] acc_addr,
    output logic [63:0] acc_wdata,
    output logic [7:0]  acc_wstrb,
    input  logic        acc_ready,
    input  logic [63:0] acc_rdata,
    input  logic [1:0]  acc_resp
);
    localparam logic [1:0] OKAY = 2'b00, DECERR = 2'b11;

    typedef enum logic [2:0] { IDLE, WDATA, WACC, WRESP, RACC, RDATA } state_t;

    state_t      state;
    logic        prefer_w;  // which channel IDLE offers to accept this clock
    logic        refuse;    // burst type not served: answer DECERR
    logic [3:0]  id_q;
    logic [7:0]  beats_left;
    logic [2:0]  size_q;
    logic [1:0]  resp_q;    // worst response of the write burst
    logic        wlast_q;

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
    assign acc_valid     = (state == WACC || state == RACC) && !refuse;
    assign acc_write     = state == WACC;

    // INCR successor of a beat address.
    function automatic logic [63:0] next_addr(logic [63:0] addr, logic [2:0] size);
        logic [63:0] step = 64'd1 << size;
        return (addr & ~(step - 64'd1)) + step;
    endfunction

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            state    <= IDLE;
            prefer_w <= 1'b1;
            refuse   <= 1'b0;
        end else begin
            case (state)
                IDLE: begin
                    prefer_w <= !prefer_w;
                    if (s_axi_awvalid && s_axi_awready) begin
                        state      <= WDATA;
                        id_q       <= s_axi_awid;
                        acc_addr   <= s_axi_awaddr;
                        acc_bar    <= s_axi_awuser;
                        beats_left <= s_axi_awlen;
                        size_q     <= s_axi_awsize;
                        refuse     <= s_axi_awburst != 2'b01;
                        resp_q     <= s_axi_awburst != 2'b01 ? DECERR : OKAY;
                    end else if (s_axi_arvalid && s_axi_arready) begin
                        state      <= RACC;
                        id_q       <= s_axi_arid;
                        acc_addr   <= s_axi_araddr;
                        acc_bar    <= s_axi_aruser;
                        beats_left <= s_axi_arlen;
                        size_q     <= s_axi_arsize;
                        refuse     <= s_axi_arburst != 2'b01;
                    end
                end
                WDATA: if (s_axi_wvalid) begin
                    acc_wdata <= s_axi_wdata;
                    acc_wstrb <= s_axi_wstrb;
                    wlast_q   <= s_axi_wlast;
                    state     <= WACC;
                end
                WACC: if (refuse || acc_ready) begin
                    if (!refuse && acc_resp != OKAY) resp_q <= acc_resp;
                    acc_addr   <= next_addr(acc_addr, size_q);
                    beats_left <= beats_left - 8'd1;
                    state      <= wlast_q ? WRESP : WDATA;
                end
                WRESP: if (s_axi_bready) state <= IDLE;
                RACC: if (refuse || acc_ready) begin
                    s_axi_rdata <= refuse ? 64'h0 : acc_rdata;
                    s_axi_rresp <= refuse ? DECERR : acc_resp;
                    state       <= RDATA;
                end
                RDATA: if (s_axi_rready) begin
                    if (beats_left == 8'd0) begin
                        state <= IDLE;
                    end else begin
                        acc_addr   <= next_addr(acc_addr, size_q);
                        beats_left <= beats_left - 8'd1;
                        state      <= RACC;
                    end
                end
                default: state <= IDLE;
            endcase
        end
    end
endmodule
