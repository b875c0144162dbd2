/*
 * The DPI-C shim: functions the SV bridge endpoint imports (mirrors
 * hdl/bridge/cosim_dpi.svh), and the transport API a simulator harness calls.
 * Standard DPI types only (int, long long, const char *), so any simulator
 * can link it; nothing here calls into Verilator.
 */
#ifndef COSIM_DPI_H
#define COSIM_DPI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum cosim_pending {
    COSIM_PEND_MMIO = 1,
    COSIM_PEND_DMA_R = 2,
    COSIM_PEND_NIC_RX = 4,
    COSIM_PEND_UART_RX = 8,
    COSIM_PEND_RESET = 16,
    COSIM_PEND_CFG = 32, /* a CFG_STATE came: cosim_dpi_cfg_pop */
};

/* ---- imported by the SV bridge (hdl/bridge/cosim_dpi.svh) ---- */
void cosim_dpi_bar(int bar, long long size, int flags);
void cosim_dpi_announce(int vendor_id, int device_id, int subsys_vendor_id, int subsys_id,
                        int class_code, int revision, int msix_vectors,
                        int msix_table_bar, long long msix_table_offset,
                        int msix_pba_bar, long long msix_pba_offset);
int cosim_dpi_pending(long long cycle);
void cosim_dpi_idle(int idle);
int cosim_dpi_mmio_pop(int *is_write, int *tag, int *bar, long long *addr, int *len, long long *wdata);
void cosim_dpi_mmio_read_done(int tag, long long rdata, int error);
void cosim_dpi_mmio_write_done(int tag, int error);
void cosim_dpi_dma_read(int axi_id, long long addr, int beats, int beat_bytes);
int cosim_dpi_dma_rbeat(int *axi_id, long long *data, int *last, int *error);
void cosim_dpi_dma_wbeat(long long addr, long long data, int strb, int last);
void cosim_dpi_msix(int vector);
void cosim_dpi_intx(int level);
void cosim_dpi_nic_tx(long long data, int keep, int last);
int cosim_dpi_nic_rx(long long *data, int *keep, int *last);
void cosim_dpi_uart_tx(int ch);
int cosim_dpi_uart_rx(int *ch);
int cosim_dpi_reset_pop(void);
int cosim_dpi_cfg_pop(int *state);

#ifdef __cplusplus
}
#endif

#endif /* COSIM_DPI_H */
