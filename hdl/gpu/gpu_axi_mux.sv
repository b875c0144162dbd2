// Three DMA masters (copy engine, command fetch, NIC) onto the bridge's one
// AXI4 slave port. Masters own disjoint ID ranges (gpu_axi_pkg::id_owner),
// so R and B go back by ID. AR and AW are granted round robin through
// output registers; a write burst's W beats follow its AW, and the next AW
// is granted only once the previous burst's beats have all been taken.
//
// Soft reset (`flush`): the masters are held in reset while the mux, which
// stays out of it, finishes what the bridge was promised: the registered AR
// and AW go out unchanged (VALID never drops before READY), the remaining
// beats of an open write burst are sent with no strobes, and R beats and B
// responses of earlier requests are taken and dropped. `quiet` says that
// nothing is outstanding any more.
module gpu_axi_mux
    import axi_pkg::*;
    import gpu_axi_pkg::*;
(
    input  logic     clk,
    input  logic     rst_n,
    input  logic     flush,
    // The masters' WLAST is not used: the mux counts beats from AWLEN.
    /* verilator lint_off UNUSEDSIGNAL */
    input  axi_req_t m_req[3],
    /* verilator lint_on UNUSEDSIGNAL */
    output axi_rsp_t m_rsp[3],
    output axi_req_t s_req,
    input  axi_rsp_t s_rsp,
    output logic     quiet
);
    logic [1:0] ar_last, aw_last;       // last grants, for round robin
    logic       w_open;                 // beats of the granted burst still to take
    logic [1:0] w_owner;
    logic [8:0] w_left;
    logic [7:0] rd_out, wr_out;         // bursts handed to the bridge, unanswered
    // AR, AW and W output registers; rready/bready of s_req are not kept
    // here (they pass through from the owner).
    /* verilator lint_off UNUSEDSIGNAL */
    axi_req_t   q;
    /* verilator lint_on UNUSEDSIGNAL */

    // First valid master after `last`, wrapping (round robin).
    function automatic logic [1:0] pick(logic [2:0] valid, logic [1:0] last);
        logic [1:0] p = last, got = last;
        logic       found = 1'b0;
        for (int k = 0; k < 3; k++) begin
            p = p == 2'd2 ? 2'd0 : p + 2'd1;
            if (valid[p] && !found) begin
                got   = p;
                found = 1'b1;
            end
        end
        return got;
    endfunction

    logic [2:0] arv, awv;
    always_comb for (int i = 0; i < 3; i++) begin
        arv[i] = m_req[i].arvalid;
        awv[i] = m_req[i].awvalid;
    end

    wire [1:0] ar_pick = pick(arv, ar_last);
    wire [1:0] aw_pick = pick(awv, aw_last);
    wire       ar_load = !flush && arv != '0 && (!q.arvalid || s_rsp.arready);
    wire       aw_load = !flush && awv != '0 && !w_open && (!q.awvalid || s_rsp.awready);
    wire       w_room  = !q.wvalid || s_rsp.wready;
    wire       w_take  = w_open && !flush && w_room && m_req[w_owner].wvalid;
    wire       w_fake  = w_open && flush && w_room;      // close a burst cut by a soft reset
    wire [1:0] r_own   = id_owner(s_rsp.rid);
    wire [1:0] b_own   = id_owner(s_rsp.bid);

    always_comb begin
        for (int i = 0; i < 3; i++) begin
            m_rsp[i]         = '0;
            m_rsp[i].arready = ar_load && ar_pick == 2'(i);
            m_rsp[i].awready = aw_load && aw_pick == 2'(i);
            m_rsp[i].wready  = w_take && w_owner == 2'(i);
            m_rsp[i].rid     = s_rsp.rid;
            m_rsp[i].rdata   = s_rsp.rdata;
            m_rsp[i].rresp   = s_rsp.rresp;
            m_rsp[i].rlast   = s_rsp.rlast;
            m_rsp[i].rvalid  = s_rsp.rvalid && !flush && r_own == 2'(i);
            m_rsp[i].bid     = s_rsp.bid;
            m_rsp[i].bresp   = s_rsp.bresp;
            m_rsp[i].bvalid  = s_rsp.bvalid && !flush && b_own == 2'(i);
        end
    end

    assign quiet = rd_out == '0 && wr_out == '0 && !q.arvalid && !q.awvalid
                && !q.wvalid && !w_open;

    wire ar_hs = q.arvalid && s_rsp.arready;
    wire aw_hs = q.awvalid && s_rsp.awready;
    wire r_end = s_rsp.rvalid && s_req.rready && s_rsp.rlast;
    wire b_end = s_rsp.bvalid && s_req.bready;

    // R/B readies are combinational from the owner (the masters hold them
    // at 1); the rest of s_req is registered below.
    always_comb begin
        s_req        = q;
        s_req.rready = flush || m_req[r_own].rready;
        s_req.bready = flush || m_req[b_own].bready;
    end

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            q         <= '0;
            q.arvalid <= 1'b0;
            q.awvalid <= 1'b0;
            q.wvalid  <= 1'b0;
            ar_last       <= 2'd2;
            aw_last       <= 2'd2;
            w_open        <= 1'b0;
            rd_out        <= '0;
            wr_out        <= '0;
        end else begin
            rd_out <= rd_out + 8'(ar_hs) - 8'(r_end);
            wr_out <= wr_out + 8'(aw_hs) - 8'(b_end);
            if (ar_hs) q.arvalid <= 1'b0;
            if (ar_load) begin
                q.arvalid <= 1'b1;
                q.arid    <= m_req[ar_pick].arid;
                q.araddr  <= m_req[ar_pick].araddr;
                q.arlen   <= m_req[ar_pick].arlen;
                q.arsize  <= m_req[ar_pick].arsize;
                q.arburst <= m_req[ar_pick].arburst;
                ar_last       <= ar_pick;
            end
            if (aw_hs) q.awvalid <= 1'b0;
            if (aw_load) begin
                q.awvalid <= 1'b1;
                q.awid    <= m_req[aw_pick].awid;
                q.awaddr  <= m_req[aw_pick].awaddr;
                q.awlen   <= m_req[aw_pick].awlen;
                q.awsize  <= m_req[aw_pick].awsize;
                q.awburst <= m_req[aw_pick].awburst;
                aw_last       <= aw_pick;
                w_open        <= 1'b1;
                w_owner       <= aw_pick;
                w_left        <= 9'(m_req[aw_pick].awlen) + 9'd1;
            end
            if (q.wvalid && s_rsp.wready) q.wvalid <= 1'b0;
            if (w_take || w_fake) begin
                q.wvalid <= 1'b1;
                q.wdata  <= w_take ? m_req[w_owner].wdata : 64'h0;
                q.wstrb  <= w_take ? m_req[w_owner].wstrb : 8'h00;
                q.wlast  <= w_left == 9'd1;
                w_left       <= w_left - 9'd1;
                if (w_left == 9'd1) w_open <= 1'b0;
            end
        end
    end
endmodule
