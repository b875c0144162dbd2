// UART console of the GPU front-end on the bridge's byte stream: a 16-byte
// transmit FIFO fed by UART_TX writes, a receive FIFO of UART_RX_DEPTH
// bytes popped by UART_RX reads (back-pressure to the host when full), and
// one event per received byte (the register block gates it with
// UART_CTRL.RX_IRQ_EN).
module gpu_uart
    import gpu_regs_pkg::*;
(
    input  logic       clk,
    input  logic       rst_n,

    input  logic       tx_push,     // UART_TX written (dropped when full)
    input  logic [7:0] tx_data,
    output logic       tx_full,
    input  logic       rx_pop,      // UART_RX read
    output logic       rx_avail,
    output logic [7:0] rx_data,
    output logic [7:0] rx_count,
    output logic       ev_rx,       // pulse: a byte arrived
    output logic       idle,

    output logic       uart_tx_valid,
    output logic [7:0] uart_tx_data,
    input  logic       uart_tx_ready,
    input  logic       uart_rx_valid,
    input  logic [7:0] uart_rx_data,
    output logic       uart_rx_ready
);
    logic tx_room;

    cosim_fifo #(.WIDTH(8), .DEPTH(16)) tx_fifo (
        .clk, .rst_n,
        .in_valid(tx_push), .in_ready(tx_room), .in_data(tx_data),
        .out_valid(uart_tx_valid), .out_ready(uart_tx_ready), .out_data(uart_tx_data)
    );
    cosim_fifo #(.WIDTH(8), .DEPTH(UART_RX_DEPTH)) rx_fifo (
        .clk, .rst_n,
        .in_valid(uart_rx_valid), .in_ready(uart_rx_ready), .in_data(uart_rx_data),
        .out_valid(rx_avail), .out_ready(rx_pop), .out_data(rx_data)
    );

    wire rx_in = uart_rx_valid && uart_rx_ready;
    wire rx_out = rx_pop && rx_avail;

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            rx_count <= '0;
            ev_rx    <= 1'b0;
        end else begin
            rx_count <= rx_count + 8'(rx_in) - 8'(rx_out);
            ev_rx    <= rx_in;
        end
    end

    assign tx_full = !tx_room;
    assign idle    = !uart_tx_valid && !ev_rx;
endmodule
