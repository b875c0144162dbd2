// Which DMA master of the GPU front-end owns which AXI IDs: the mux routes
// R and B back by ID.
package gpu_axi_pkg;

    localparam logic [3:0] ID_COPY  = 4'd0;   // copy engine: reads 0..7, writes 0
    localparam logic [3:0] ID_FETCH = 4'd8;   // command fetch: reads 8
    localparam logic [3:0] ID_NIC   = 4'd12;  // NIC: reads 12..13, writes 12

    function automatic logic [1:0] id_owner(logic [3:0] id);
        return id < ID_FETCH ? 2'd0 : id < ID_NIC ? 2'd1 : 2'd2;
    endfunction
endpackage
