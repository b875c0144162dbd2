// AXI4 bundles for device RTL: one struct per direction (request = what a
// master drives, response = what it receives), so DMA movers, muxes and the
// bridge connect with two ports each. Widths are the bridge's: ID 4,
// address 64, data 64 bits. A mover that uses only some channels drives the
// others 0, so an owner of a reader and a writer can OR their requests.
package axi_pkg;
    typedef struct packed {
        logic [3:0]  arid;
        logic [63:0] araddr;
        logic [7:0]  arlen;
        logic [2:0]  arsize;
        logic [1:0]  arburst;
        logic        arvalid;
        logic        rready;
        logic [3:0]  awid;
        logic [63:0] awaddr;
        logic [7:0]  awlen;
        logic [2:0]  awsize;
        logic [1:0]  awburst;
        logic        awvalid;
        logic [63:0] wdata;
        logic [7:0]  wstrb;
        logic        wlast;
        logic        wvalid;
        logic        bready;
    } axi_req_t;

    typedef struct packed {
        logic        arready;
        logic [3:0]  rid;
        logic [63:0] rdata;
        logic [1:0]  rresp;
        logic        rlast;
        logic        rvalid;
        logic        awready;
        logic        wready;
        logic [3:0]  bid;
        logic [1:0]  bresp;
        logic        bvalid;
    } axi_rsp_t;

endpackage
