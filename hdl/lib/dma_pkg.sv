// Shared definitions of the device-side DMA building blocks (hdl/lib/).
package dma_pkg;
    localparam logic [9:0] DMA_MAX_BURST = 10'd256; // beats per burst: AXI4's longest INCR burst, 2 KiB

    // Beats of the next burst, of the LEFT beats still to ask for: up to
    // DMA_MAX_BURST, never past a 4 KiB boundary (the bridge serves one host
    // page per burst).
    function automatic logic [9:0] dma_burst_beats(logic [15:0] left, logic [11:0] addr);
        logic [9:0] to_4k = 10'((13'h1000 - {1'b0, addr}) >> 3);
        logic [9:0] b = left < 16'(DMA_MAX_BURST) ? 10'(left) : DMA_MAX_BURST;
        return b < to_4k ? b : to_4k;
    endfunction
endpackage
