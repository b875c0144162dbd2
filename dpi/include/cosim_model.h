/*
 * The C ABI of a model library: libcosim-model.so, built by
 * `scripts/build-rtl.sh --lib` from any top that instantiates the SV bridge
 * endpoint (its only ports: clk, rst_n). It holds the Verilated model, the
 * Verilator runtime and the DPI shim's queue layer (cosim_queue.h); no
 * ZeroMQ. A host (the N-API addon dpi/napi/addon.cc, the benchmark loop
 * dpi/tools/model_loop.cpp) dlopen()s it and drives it through these
 * functions only; every other symbol is hidden.
 *
 * Threads: create, every call on the model, and destroy must come from one
 * thread (Verilator's rule: the thread that constructs a model evaluates it).
 * One live model per loaded library: the shim's queues are per library.
 */
#ifndef COSIM_MODEL_H
#define COSIM_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "cosim_shim.h"

#ifdef __cplusplus
extern "C" {
#endif

#define COSIM_MODEL_ABI 1

/* A host loop's defaults: cosim-sim's --reset-cycles, --batch and
 * --dma-wait-ms, which the in-process peer and the testbench take too
 * (bridge/src/defaults.ts mirrors them; test/unit/defaults.test.ts checks). */
#define COSIM_MODEL_RESET_CYCLES 16
#define COSIM_MODEL_BATCH_CYCLES 1000
#define COSIM_MODEL_DMA_WAIT_MS 5

typedef struct cosim_model cosim_model;

typedef struct cosim_model_opts {
    const char *name;       /* device name the shim puts in HELLO; NULL = "dev0" */
    int log_level;          /* enum cosim_log_level; < 0 = COSIM_LOG_WARN */
    int argc;               /* plusargs for the RTL ($test$plusargs), may be 0 */
    const char *const *argv;
} cosim_model_opts;

/* cosim_model_run flags */
enum cosim_model_run_flags {
    COSIM_RUN_STOP_URGENT = 1, /* stop after the cycle that queued an MMIO read completion or a DMA read */
    COSIM_RUN_STOP_OUTPUT = 2, /* stop after the cycle that queued any outbound message */
    COSIM_RUN_STOP_IDLE = 4,   /* stop once cosim_shim_idle(): nothing to do until a message comes in */
    COSIM_RUN_STOP_WAITING = 8, /* stop once cosim_shim_waiting(): nothing to do until DMA read data comes in */
    /* The batch of a host loop (cosim-sim, the in-process peer): a read's
     * answer leaves at once, a posted write does not hold the next request
     * up for a whole batch, and read data is taken in as soon as the design
     * has nothing else to do. */
    COSIM_RUN_STEP = COSIM_RUN_STOP_URGENT | COSIM_RUN_STOP_IDLE | COSIM_RUN_STOP_WAITING,
};

/* What a host loop does after a batch, once it has exchanged its messages
 * (cosim_model_next): every host runs
 *     reset; loop { run(batch, COSIM_RUN_STEP); exchange; switch (next) }
 * and only the exchange and the waits are its own. */
enum cosim_model_next {
    COSIM_NEXT_CLOCK = 0,      /* clock on at once */
    COSIM_NEXT_WAIT_INPUT = 1, /* the design is idle: wait for a message, however long */
    COSIM_NEXT_WAIT_DMA = 2,   /* DMA read data is awaited: take messages in, clock on after the DMA wait */
    COSIM_NEXT_STOP = 3,       /* $finish, $error, or the shim stopped (cosim_model_stop_reason) */
};

/* Returns COSIM_MODEL_ABI: a host refuses a library built for another ABI. */
int cosim_model_abi(void);

/* Name of the top module the library was built from. */
const char *cosim_model_top(void);

/* Constructs the context (threads(1)) and the model, and evaluates time 0:
 * the SV bridge announces itself, so HELLO and CONF are the first outbound
 * messages. rst_n starts low (reset held). Returns NULL with a reason in err
 * if a model of this library is already alive. */
cosim_model *cosim_model_create(const cosim_model_opts *o, char *err, size_t errlen);

/* Runs final blocks, closes the waveform, frees the model and resets the
 * shim's queues, so the next cosim_model_create starts fresh. */
void cosim_model_destroy(cosim_model *m);

/* rst_n: active != 0 holds the design in reset. */
void cosim_model_set_reset(cosim_model *m, int active);

/* Clocks up to `cycles` cycles (two edges each) and returns how many ran:
 * fewer if a flag's condition fired or the RTL called $finish. */
uint64_t cosim_model_run(cosim_model *m, uint64_t cycles, int flags);

uint64_t cosim_model_cycles(const cosim_model *m);

/* Holds rst_n low for `cycles` cycles, then lets go; returns the cycles run
 * (fewer on $finish). Added within ABI 1, as are cosim_model_next and
 * cosim_model_wave_window: a host looks them up as optional. */
uint64_t cosim_model_reset(cosim_model *m, uint64_t cycles);

/* enum cosim_model_next, from the state now. */
int cosim_model_next(const cosim_model *m);

/* The bridge cycle: the cycle the SV bridge endpoint last passed to the shim
 * (cosim_shim_cycle()), the clock of the HDL side's header `cycle` and of its
 * DELIVERED stamps. It advances by one per clocked cycle (in reset too; it
 * lags cosim_model_cycles by one); a replay injects a recorded message when
 * it equals the recorded stamp.
 * Added within ABI 1: a host looks it up as optional (older libraries lack it). */
uint64_t cosim_model_bridge_cycle(const cosim_model *m);

/* One inbound wire message (header frame + optional payload frame), as for
 * cosim_q_push. Returns 1 taken, 0 refused (an ERROR is queued outbound). */
int cosim_model_push(cosim_model *m, const uint8_t *hdr, size_t hdr_len, const uint8_t *payload,
                     size_t payload_len, size_t nframes);

/* Outbound: cosim_model_peek returns 1 and the oldest message (header
 * encoded into hdr; payload valid until cosim_model_pop), or 0 if none.
 * Coalesced DMA writes and UART bytes are flushed into the FIFO first. */
int cosim_model_peek(cosim_model *m, uint8_t hdr[40], const uint8_t **payload, uint32_t *payload_len);
void cosim_model_pop(cosim_model *m);

/* State, as the harness sees it (cosim_shim.h). */
enum cosim_model_state_bits {
    COSIM_STATE_IDLE = 1,     /* cosim_shim_idle(): nothing to do until a message comes in */
    COSIM_STATE_WAITING = 2,  /* cosim_shim_waiting(): DMA reads outstanding, nothing else to do */
    COSIM_STATE_URGENT = 4,   /* cosim_shim_urgent() */
    COSIM_STATE_STOPPING = 8, /* the shim stopped (SHUTDOWN from the broker) */
    COSIM_STATE_FINISHED = 16, /* the RTL called $finish */
    COSIM_STATE_ERROR = 32,   /* the RTL reported $error / an assertion failed */
};
int cosim_model_state(const cosim_model *m);

/* FST waveform window: open from now (closing any open one first), close.
 * open returns 0, or -1 (no FST in this build, or the file cannot be made). */
int cosim_model_trace_open(cosim_model *m, const char *path);
void cosim_model_trace_close(cosim_model *m);

/* A waveform window cosim_model_run keeps: opened once the cycle count
 * reaches `start` (now, if it has), closed at `stop` (0: at destroy).
 * Replaces an open waveform. Returns 0, or -1 (no FST in this build, or
 * stop is not after start). A file that cannot be made is logged. */
int cosim_model_wave_window(cosim_model *m, const char *path, uint64_t start, uint64_t stop);

void cosim_model_stats(const cosim_model *m, cosim_shim_stats *out);
const char *cosim_model_stop_reason(const cosim_model *m);

/* Snapshots, the way XiangShan's LightSSS keeps them: a fork()ed copy of the
 * whole process, stopped, holding the model and the shim's queues as they
 * are now (which Verilator's --savable would not). Restoring one makes every
 * later call on `m` act on that copy, which carries on from the cycle it was
 * taken at; the model `m` was before is left as it is, unused. A restored
 * copy takes no snapshots; nor does a model with an open waveform.
 * The copy runs only the thread that took it, so a multi-threaded host
 * (Node) is fine: the copy runs nothing but this library. Copies end with
 * cosim_model_destroy, when dropped, or when their parent process ends.
 * Added within ABI 1: a host looks them up as optional.
 * snapshot: an id > 0, or -1 with the reason in err. restore: 0, or -1. */
int cosim_model_snapshot(cosim_model *m, char *err, size_t errlen);
int cosim_model_restore(cosim_model *m, int id, char *err, size_t errlen);
void cosim_model_snapshot_drop(cosim_model *m, int id);

#ifdef __cplusplus
}
#endif

#endif /* COSIM_MODEL_H */
