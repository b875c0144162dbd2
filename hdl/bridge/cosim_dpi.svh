// DPI-C imports of the qemu-hdl-bridge shim (dpi/shim/), standard DPI only.
// C prototypes: dpi/include/cosim_dpi.h. Every call touches in-memory queues
// only; the simulator harness moves the queues over ZeroMQ.
//
// Data on the 64-bit bus is little-endian by byte lane: the byte at host or
// BAR address A travels on lane A % 8 (bits 8*(A%8) +: 8).

// Time 0, from an initial block: one cosim_dpi_bar per present BAR, then
// cosim_dpi_announce, which queues HELLO + CONF for the broker.
import "DPI-C" function void cosim_dpi_bar(input int bar, input longint size, input int flags);
import "DPI-C" function void cosim_dpi_announce(
    input int vendor_id, input int device_id,
    input int subsys_vendor_id, input int subsys_id,
    input int class_code, input int revision,
    input int msix_vectors,
    input int msix_table_bar, input longint msix_table_offset,
    input int msix_pba_bar, input longint msix_pba_offset);

// Every clock: returns a bit mask of inbound queues with work
// (COSIM_PEND_* in cosim_dpi.h: 1 MMIO, 2 DMA read beat, 4 NIC RX beat,
// 8 UART RX byte, 16 reset, 32 PCI config state). `cycle` stamps messages and error reports.
import "DPI-C" function int cosim_dpi_pending(input longint cycle);
// The bridge and the user RTL have no work in flight (called on change):
// lets the harness block on the socket instead of clocking an idle design.
import "DPI-C" function void cosim_dpi_idle(input int idle);

// MMIO (BAR accesses from the host), served one at a time in arrival order.
// wdata is right-aligned (bits len*8-1:0); addr is the BAR offset.
import "DPI-C" function int cosim_dpi_mmio_pop(
    output int is_write, output int tag, output int bar,
    output longint addr, output int len, output longint wdata);
// rdata right-aligned; error != 0 for an AXI SLVERR/DECERR response.
import "DPI-C" function void cosim_dpi_mmio_read_done(input int tag, input longint rdata, input int error);
import "DPI-C" function void cosim_dpi_mmio_write_done(input int tag, input int error);

// DMA reads from host memory (AXI slave AR/R). One call per AR handshake;
// beat_bytes = 1 << arsize. Completed bursts come back through
// cosim_dpi_dma_rbeat, whole bursts at a time, in request order per AXI ID.
import "DPI-C" function void cosim_dpi_dma_read(input int axi_id, input longint addr, input int beats, input int beat_bytes);
import "DPI-C" function int cosim_dpi_dma_rbeat(output int axi_id, output longint data, output int last, output int error);
// DMA writes (AXI slave AW/W): one call per W beat with that beat's address;
// only strobed bytes are written; last = WLAST.
import "DPI-C" function void cosim_dpi_dma_wbeat(input longint addr, input longint data, input int strb, input int last);

// MSI-X: ordered after every DMA write beat passed before it.
import "DPI-C" function void cosim_dpi_msix(input int vec);
// INTx: the new level (0/1) of the interrupt pin, on every change; queued
// like an MSI-X, so it is ordered after the DMA writes before it too.
import "DPI-C" function void cosim_dpi_intx(input int level);

// NIC: one call per AXI-Stream beat; keep is the tkeep byte mask.
import "DPI-C" function void cosim_dpi_nic_tx(input longint data, input int keep, input int last);
import "DPI-C" function int cosim_dpi_nic_rx(output longint data, output int keep, output int last);

// UART byte stream.
import "DPI-C" function void cosim_dpi_uart_tx(input int ch);
import "DPI-C" function int cosim_dpi_uart_rx(output int ch);

// Host-requested device reset: returns 1 once per RESET message.
import "DPI-C" function int cosim_dpi_reset_pop();
// PCI config state from the host (CFG_STATE: COSIM_CFG_* bits of cosim_wire.h):
// returns 1 with the latest state once after one or more CFG_STATEs, else 0.
import "DPI-C" function int cosim_dpi_cfg_pop(output int state);
