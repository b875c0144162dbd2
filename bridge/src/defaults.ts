// Every default endpoint and timeout, once, with the relations between them.
// The values every side shares mirror dpi/include/cosim_defaults.h (the C
// peers include it; test/unit/defaults.test.ts checks the mirror).
import * as os from 'node:os';
import * as path from 'node:path';

/** Silence after which a peer counts the broker as gone, and the broker a peer (COSIM_DEFAULT_PEER_TIMEOUT_MS). */
export const PEER_TIMEOUT_MS = 5000;
/** A peer's wait for the broker's first answer (COSIM_DEFAULT_CONNECT_TIMEOUT_MS). */
export const CONNECT_TIMEOUT_MS = 5000;
/** cosim-pcie's wait for an MMIO read, and the handshake's (COSIM_DEFAULT_MMIO_TIMEOUT_MS). */
export const MMIO_TIMEOUT_MS = 5000;
/** cosim-pcie's peer timeout (COSIM_DEFAULT_DEVICE_PEER_TIMEOUT_MS). */
export const DEVICE_PEER_TIMEOUT_MS = 3000;

/** The broker's wait for an MMIO or DMA read completion before it answers ERROR. */
export const REQUEST_TIMEOUT_MS = 2000;
/** The broker's wait for a device's HDL peer to announce itself, for an INIT. */
export const INIT_TIMEOUT_MS = 30000;
export const HEARTBEAT_MS = 1000;

/**
 * The broker's request timeout for a QEMU whose MMIO reads wait
 * `mmioTimeoutMs`: below it, so the broker's ERROR, which names the
 * transaction, reaches QEMU before QEMU gives up on its own.
 */
export function requestTimeoutFor(mmioTimeoutMs: number): number {
  return Math.max(100, Math.floor(mmioTimeoutMs * 0.6));
}

/** A TypeScript peer's wait for an answer the broker relays: the broker's own wait, plus room for its ERROR. */
export function peerWaitFor(requestTimeoutMs: number): number {
  return requestTimeoutMs + 3000;
}

/** Settings of the brokers `cosim` starts for one run (a quicker heartbeat: peers that die are noticed sooner). */
export const RUN_BROKER = { peerTimeoutMs: 3000, heartbeatMs: 500 } as const;

/** Grace a child process gets after SIGTERM before SIGKILL. */
export const STOP_GRACE_MS = 3000;

/** How long a check waits for an event the RTL must cause (an MSI-X, a frame). */
export const EVENT_WAIT_MS = 5000;

/** How long the example device's DMA copy may take, polled (a MiB at the simulated bus speed, with room). */
export const DMA_COPY_WAIT_MS = 30000;

/** A per-user runtime directory, so two users on one host never share sockets ($XDG_RUNTIME_DIR, else $TMPDIR, else /tmp). */
export function runtimeDir(): string {
  const base = process.env.XDG_RUNTIME_DIR || os.tmpdir();
  return path.join(base, `cosim-${process.getuid?.() ?? 'user'}`);
}

/** The broker's default endpoint for one side, as cosim_default_endpoint() in C has it. */
export function defaultEndpoint(side: 'qemu' | 'hdl'): string {
  return `ipc://${runtimeDir()}/${side}.sock`;
}

/**
 * A host loop's defaults, as the engine has them (COSIM_MODEL_* in
 * dpi/include/cosim_model.h): the cycles rst_n is held low when a model
 * starts (which `cosim replay` must repeat to land on the recorded cycles),
 * the cycles of a batch between two message exchanges, and the wait for DMA
 * read data before clocking on.
 */
export const RESET_CYCLES = 16;
export const BATCH_CYCLES = 1000;
export const DMA_WAIT_MS = 5;
