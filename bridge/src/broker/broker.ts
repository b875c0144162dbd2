// The broker: pairs QEMU-side and HDL-side peers by device name, validates
// and relays every message, and answers for a peer that does not.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zmq from 'zeromq';
import { decodeConf, DeviceConf, formatConf, validateConf } from '../protocol/conf';
import { checkEndpoint, checkIpcDir, ipcPath, MAX_FRAME, SendQueue } from '../protocol/link';
import { CfgBit, checkDelivered, decode, describe, encode, ErrorCode, Flag, isStamped, MAX_DMA_LEN, MAX_NAME, MAX_NIC_FRAME, message, Message, MsgType, Role, WireError } from '../protocol/wire';
import { Logger } from '../util/log';
import { applyOverride, BrokerConfig } from './config';
import { LOG_BURST, LOG_INTERVAL_MS, LogLimit } from './log-limit';
import { Channel, channelOf, Stats } from './stats';
import { isTcp, serverCurve, ServerCurve } from '../protocol/curve';
import { ZapHandler } from './zap';
import { encodeConf } from '../protocol/conf';
import { Dir, HDL_JOINED } from '../trace/format';
import { TraceWriter } from '../trace/writer';

export type Side = 'qemu' | 'hdl';

interface Peer {
  side: Side;
  id: Buffer;
  key: string;
  name?: string;
  lastSeen: number;
  cycle: bigint; // last RTL cycle an HDL peer reported
  /** Hands the frames of one message to the peer: its own send queue, or an in-process peer. */
  deliver: (frames: Buffer[]) => void;
  /** A socket peer's own queue: a peer that does not read fills only its own. */
  queue?: SendQueue;
  /** Set once the peer is dropped: nothing more is sent to it. */
  gone?: boolean;
  logs: LogLimit;
  /** The trace's id of the peer's device, once it said HELLO (when recording). */
  traceDev?: number;
}

/**
 * An in-process peer (e.g. the Verilated model loaded through the N-API
 * addon): the broker hands it frames through the `deliver` it was attached
 * with, and it hands the broker frames through receive(). Every frame takes
 * the same validation, routing and timeout path as one from a socket.
 */
export interface AttachedPeer {
  /** One message from the peer, as wire frames. */
  receive(frames: Buffer[]): void;
  /** The peer leaves (as if it had sent SHUTDOWN). */
  detach(reason: string): void;
}

interface Device {
  name: string;
  qemu?: Peer;
  hdl?: Peer;
  conf?: DeviceConf; // announced + overrides, validated
  confErrors?: string[];
  pendingInits: { peer: Peer; tag: number; timer: NodeJS.Timeout }[];
  /** Last CFG_STATE from the QEMU peer: replayed to an HDL peer that (re)announces. */
  cfgState?: number;
  /** Last INTX level relayed to QEMU: dropped to 0 if the HDL peer goes away. */
  intx?: number;
}

/** A request whose answer the broker is waiting to relay. */
interface Pending {
  device: Device;
  request: Message;
  requester: Peer;
  responder: Peer;
  sentAt: number;
  timer: NodeJS.Timeout;
}

const NAME_RE = /^[A-Za-z0-9_.-]+$/;

/**
 * Messages ZeroMQ queues per peer before that peer's SendQueue holds the rest
 * (bounded by broker.sendQueueBytes). Small, so that the byte bound, not this
 * count of frames up to MAX_FRAME bytes, is what bounds a peer's memory.
 */
const PIPE_HWM = 1024;

/** A failed CURVE handshake of one kind is logged at most once per this many ms. */
const HANDSHAKE_LOG_MS = 10_000;

/** INITs that may wait for one device's HDL peer: QEMU sends one per handshake. */
export const MAX_PENDING_INITS = 16;

export interface BrokerEvents {
  /** A peer went away without SHUTDOWN (silence) or with it. */
  onPeerGone?: (side: Side, name: string | undefined, reason: string) => void;
  /**
   * Records every device's traffic with the HDL side into this trace
   * (docs/trace.md); its owner closes it after stop(). HDL peers are asked
   * for delivery stamps (Flag.TRACE on the HELLO answer).
   */
  trace?: TraceWriter;
}

export class Broker {
  readonly stats = new Stats();
  private readonly sockets: Record<Side, zmq.Router>;
  private readonly peers = new Map<string, Peer>();
  private readonly devices = new Map<string, Device>();
  private readonly pending = new Map<string, Pending>();
  private heartbeat?: NodeJS.Timeout;
  private pingTag = 0;
  private attached = 0;
  private stopped = false;
  private readonly tracing: boolean;
  private readonly rec?: TraceWriter;
  private readonly last = new Map<string, { m: Message; toHdl: boolean; at: number }>();
  private readonly curve?: ServerCurve;
  private readonly zap?: ZapHandler;
  /** Failed handshakes per endpoint and cause, logged once per HANDSHAKE_LOG_MS: a peer with a bad key retries for ever. */
  private readonly handshakeLogs = new Map<string, { at: number; held: number }>();

  constructor(
    readonly config: BrokerConfig,
    private readonly log: Logger,
    private readonly events: BrokerEvents = {},
  ) {
    this.tracing = log.isLevelEnabled('trace');
    this.rec = events.trace;
    // sendTimeout 0: a send never waits, so a peer whose pipe is full cannot
    // hold up the others (its SendQueue keeps its messages); mandatory: a send
    // to a peer ZeroMQ disconnected fails instead of vanishing; maxMessageSize:
    // ZeroMQ drops the connection of a peer sending a frame the protocol forbids.
    const keys = config.broker.curve;
    this.curve = keys && serverCurve(keys.key, keys.clients);
    // ZAP's endpoint is fixed per context: a broker with keys gets a context of its own.
    const context = this.curve && new zmq.Context();
    if (context) this.zap = new ZapHandler(context, this.curve!.allowed, log);
    const mk = (side: Side) =>
      new zmq.Router({
        ...(context && { context, curveServer: true, curveSecretKey: this.curve!.secretKey, zapDomain: side }),
        linger: 0, mandatory: true, sendTimeout: 0, sendHighWaterMark: PIPE_HWM, receiveHighWaterMark: 100000, maxMessageSize: MAX_FRAME,
      });
    this.sockets = { qemu: mk('qemu'), hdl: mk('hdl') };
  }

  private handshakeFailed(side: Side, address: string, why: string): void {
    const key = `${side} ${why}`;
    const now = Date.now();
    const seen = this.handshakeLogs.get(key);
    if (seen && now - seen.at < HANDSHAKE_LOG_MS) {
      seen.held++;
      return;
    }
    const again = seen?.held ? ` (${seen.held} more in the last ${Math.round((now - seen.at) / 1000)} s)` : '';
    this.handshakeLogs.set(key, { at: now, held: 0 });
    this.log.warn({ side, from: address }, `CURVE handshake on the ${side} endpoint failed: ${why}${again}`);
  }

  async start(): Promise<void> {
    const b = this.config.broker;
    const endpoints: [Side, string][] = [['qemu', b.qemuEndpoint], ['hdl', b.hdlEndpoint]];
    try {
      for (const [side, ep] of endpoints) this.checkSecurity(side, ep);
      await this.zap?.start();
      for (const [side, ep] of endpoints) await this.bind(side, ep);
    } catch (e) {
      for (const s of Object.values(this.sockets)) s.close();
      this.zap?.close();
      throw e;
    }
    this.heartbeat = setInterval(() => this.beat(), b.heartbeatMs);
    this.log.info({ ...this.endpoints, ...(this.curve && { curveKey: this.curve.publicKey, clientKeys: this.curve.allowed.size }) }, 'broker listening');
  }

  private checkSecurity(side: Side, ep: string): void {
    checkEndpoint(ep, `${side} endpoint`);
    if (!isTcp(ep) || this.curve) return;
    const risk = `anyone who reaches ${ep} can take a device's place and DMA into guest memory`;
    if (!this.config.broker.insecure) throw new Error(`${side} endpoint ${ep}: tcp without CURVE keys is refused: ${risk}. Give the broker keys ('cosim keygen'; --curve-key and --curve-clients, or broker.curve in the config) or pass --insecure`);
    this.log.warn({ side, endpoint: ep }, `insecure: tcp without CURVE keys; ${risk}`);
  }

  private async bind(side: Side, ep: string): Promise<void> {
    const p = ipcPath(ep);
    if (p) {
      fs.mkdirSync(path.dirname(p), { recursive: true, mode: 0o700 });
      checkIpcDir(path.dirname(p), `${side} endpoint ${ep}`);
      fs.rmSync(p, { force: true }); // a stale socket file from a killed broker
    }
    const sock = this.sockets[side];
    if (this.curve) {
      // The observer lives until the socket closes, so it starts with the socket's use.
      sock.events.on('handshake:error:protocol', (e) => this.handshakeFailed(side, e.address, `${e.error.code}${e.error.code === 'ERR_ZMTP_CRYPTOGRAPHIC' ? " (does the peer use this broker's public key?)" : ''}`));
      sock.events.on('handshake:error:other', (e) => this.handshakeFailed(side, e.address, e.error.message));
    }
    try {
      await sock.bind(ep);
    } catch (e) {
      throw new Error(`cannot bind ${side} endpoint ${ep}: ${(e as Error).message}`);
    }
    void this.readLoop(side);
  }

  async stop(reason = 'stopped'): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.heartbeat);
    for (const p of this.pending.values()) clearTimeout(p.timer);
    for (const d of this.devices.values()) d.pendingInits.forEach((i) => clearTimeout(i.timer));
    for (const peer of this.peers.values()) this.send(peer, message(MsgType.SHUTDOWN, { payload: Buffer.from(reason) }));
    const queues = [...this.peers.values()].map((p) => p.queue?.drained());
    await Promise.race([Promise.all(queues), new Promise((r) => setTimeout(r, 500))]);
    for (const s of Object.values(this.sockets)) s.close();
    this.zap?.close();
    for (const side of ['qemu', 'hdl'] as Side[]) {
      const p = ipcPath(side === 'qemu' ? this.config.broker.qemuEndpoint : this.config.broker.hdlEndpoint);
      if (p) fs.rmSync(p, { force: true });
    }
    this.log.info({ reason }, 'broker stopped');
  }

  /**
   * The last message relayed for a device, for failure reports ("the last
   * transaction the broker saw"). Kept as a reference, formatted on demand.
   */
  lastTransaction(device: string): string | undefined {
    const t = this.last.get(device);
    if (!t) return undefined;
    return `${describe(t.m)} ${t.toHdl ? 'to the HDL' : 'to QEMU'}, ${Date.now() - t.at} ms ago`;
  }

  /** The last RTL cycle the device's HDL peer reported. */
  deviceCycle(device: string): bigint | undefined {
    return this.devices.get(device)?.hdl?.cycle;
  }

  /** The endpoints bound, with the port a tcp://HOST:* endpoint got. */
  get endpoints(): { qemu: string; hdl: string } {
    const b = this.config.broker;
    return { qemu: this.sockets.qemu.lastEndpoint ?? b.qemuEndpoint, hdl: this.sockets.hdl.lastEndpoint ?? b.hdlEndpoint };
  }

  /** Names of devices with both sides connected, for orchestration. */
  pairedDevices(): string[] {
    return [...this.devices.values()].filter((d) => d.qemu && d.hdl).map((d) => d.name);
  }

  private async readLoop(side: Side): Promise<void> {
    const sock = this.sockets[side];
    try {
      for await (const [id, ...frames] of sock) this.receive(side, id, frames);
    } catch (e) {
      if (!this.stopped) this.log.error({ side, err: (e as Error).message }, 'receive loop failed');
    }
  }

  /**
   * Attaches an in-process peer on one side: `deliver` gets every message the
   * broker sends it (as wire frames); the returned receive() takes its messages.
   */
  attach(side: Side, label: string, deliver: (frames: Buffer[]) => void): AttachedPeer {
    const id = Buffer.from(`inproc:${label}:${++this.attached}`);
    const key = peerKey(side, id, true);
    return {
      receive: (frames) => {
        if (!this.stopped) this.receive(side, id, frames, deliver);
      },
      detach: (reason) => {
        const peer = this.peers.get(key);
        if (peer) this.peerGone(peer, reason, true);
      },
    };
  }

  private receive(side: Side, id: Buffer, frames: Buffer[], deliver?: (frames: Buffer[]) => void): void {
    const key = peerKey(side, id, deliver !== undefined);
    let peer = this.peers.get(key);
    if (!peer) {
      peer = { side, id, key, lastSeen: Date.now(), cycle: 0n, deliver: deliver ?? (() => undefined), logs: new LogLimit() };
      if (!deliver) {
        const p = peer;
        const queue = new SendQueue(this.sockets[side], (e) => this.sendFailed(p, e), this.config.broker.sendQueueBytes);
        peer.queue = queue;
        peer.deliver = (f) => {
          if (!queue.send([id, ...f])) this.overflow(p);
        };
      }
      this.peers.set(key, peer);
    }
    peer.lastSeen = Date.now();
    let m: Message;
    try {
      m = decode(frames);
    } catch (e) {
      const err = e as WireError;
      this.stats.badFrames++;
      const fields = { frame: describe(err.partial ?? {}), frames: frames.map((f) => f.length) };
      if (peer.traceDev !== undefined) this.rec!.note(peer.traceDev, `bad frame from ${this.who(peer)}: ${err.message} (${fields.frame})`);
      this.replyError(peer, err.partial ?? {}, err.code ?? ErrorCode.MALFORMED, `bad frame from ${this.who(peer)}: ${err.message}`, fields);
      return;
    }
    if (side === 'hdl') {
      if (m.cycle > peer.cycle) peer.cycle = m.cycle;
      // Everything the HDL side says but the link's own messages, as it came.
      if (peer.traceDev !== undefined && m.type !== MsgType.HELLO && m.type !== MsgType.PONG && m.type !== MsgType.PING && m.type !== MsgType.DELIVERED) this.rec!.message(peer.traceDev, Dir.FROM_DEVICE, frames);
    }
    if (this.tracing) this.log.trace({ peer: this.who(peer), msg: describe(m), bytes: m.payload.length }, 'rx');
    try {
      this.dispatch(peer, m);
    } catch (e) {
      this.log.error({ peer: this.who(peer), msg: describe(m), err: (e as Error).stack }, 'internal error handling message');
      this.replyError(peer, m, ErrorCode.UNEXPECTED, `broker could not handle ${describe(m)}: ${(e as Error).message}`);
    }
  }

  private dispatch(peer: Peer, m: Message): void {
    switch (m.type) {
      case MsgType.HELLO:
        return this.hello(peer, m);
      case MsgType.PONG:
        return;
      case MsgType.PING:
        return this.send(peer, message(MsgType.PONG, { tag: m.tag }));
      case MsgType.SHUTDOWN:
        return this.peerGone(peer, `sent SHUTDOWN${m.payload.length ? ` (${m.payload.toString()})` : ''}`, true);
    }
    const dev = peer.name !== undefined ? this.devices.get(peer.name) : undefined;
    if (!dev) return this.replyError(peer, m, ErrorCode.UNEXPECTED, `${describe(m)} before HELLO: send HELLO with the device name first`);
    if (peer.side === 'hdl') this.fromHdl(dev, peer, m);
    else this.fromQemu(dev, peer, m);
  }

  private hello(peer: Peer, m: Message): void {
    const want = peer.side === 'qemu' ? Role.QEMU : Role.HDL;
    const name = m.payload.toString('utf8');
    if (m.index !== want) {
      return this.replyError(peer, m, ErrorCode.UNEXPECTED, `HELLO with role ${m.index} on the ${peer.side} endpoint (expected role ${want})`);
    }
    if (!NAME_RE.test(name) || name.length > MAX_NAME) {
      return this.replyError(peer, m, ErrorCode.MALFORMED, `HELLO device name '${name}' must be 1..${MAX_NAME} characters of [A-Za-z0-9_.-]`);
    }
    let dev = this.devices.get(name);
    const current = dev?.[peer.side];
    if (current && current !== peer) {
      return this.replyError(peer, m, ErrorCode.UNEXPECTED, `device '${name}' already has a ${peer.side} peer connected`);
    }
    if (peer.name !== undefined && peer.name !== name) {
      // One connection holds one device's slot: asking for another leaves the
      // old one (even if the new one is refused below), or it would stay taken.
      const why = `said HELLO again as '${name}'`;
      this.log.warn({ device: peer.name, side: peer.side }, `${this.who(peer)} ${why}: it leaves device '${peer.name}'`);
      this.leave(peer, `${this.who(peer)} ${why}`);
      this.events.onPeerGone?.(peer.side, peer.name, why);
      peer.name = undefined;
    }
    if (!dev) {
      const max = this.config.broker.maxDevices;
      if (this.devices.size >= max) return this.replyError(peer, m, ErrorCode.UNEXPECTED, `HELLO for device '${name}' refused: the broker already serves ${max} devices (broker.maxDevices)`);
      dev = { name, pendingInits: [] };
      this.devices.set(name, dev);
    }
    peer.name = name;
    dev[peer.side] = peer;
    this.log.info({ device: name, side: peer.side }, `${peer.side} peer joined`);
    if (this.rec) {
      const fresh = peer.traceDev === undefined;
      peer.traceDev = this.rec.device(name);
      // HDL_JOINED starts a new run of delivery stamps: only for a peer new to the slot.
      if (fresh) this.rec.note(peer.traceDev, peer.side === 'hdl' ? HDL_JOINED : 'qemu peer joined');
    }
    // Tracing: the HDL side stamps every message it takes in (DELIVERED).
    const flags = this.rec && peer.side === 'hdl' ? Flag.TRACE : 0;
    this.send(peer, message(MsgType.HELLO, { tag: m.tag, flags, payload: Buffer.from('broker') }));
  }

  private fromHdl(dev: Device, peer: Peer, m: Message): void {
    const qemu = dev.qemu;
    switch (m.type) {
      case MsgType.CONF:
        return this.announce(dev, peer, m);
      case MsgType.DELIVERED: {
        const problem = checkDelivered(m);
        if (problem) {
          this.stats.badFrames++;
          return this.replyError(peer, m, ErrorCode.MALFORMED, `${problem} (${describe(m)})`);
        }
        if (peer.traceDev !== undefined) this.rec!.delivered(peer.traceDev, m.payload);
        return;
      }
      case MsgType.MMIO_READ_CPL: {
        const p = this.settle(dev, 'mmio', m.tag);
        if (!p) return this.late(peer, m);
        return this.send(p.requester, m);
      }
      case MsgType.DMA_READ:
        if (m.length === 0 || m.length > MAX_DMA_LEN) {
          return this.replyError(peer, m, ErrorCode.TOO_LARGE, `DMA read length ${m.length} outside 1..${MAX_DMA_LEN} (${describe(m)})`);
        }
        if (!qemu) return this.replyError(peer, m, ErrorCode.NO_PEER, `DMA read ${describe(m)}: no QEMU peer for device '${dev.name}'`);
        this.track(dev, 'dma', m, peer, qemu);
        return this.send(qemu, m);
      case MsgType.DMA_WRITE:
      case MsgType.MSIX:
        if (m.type === MsgType.MSIX && dev.conf && m.index >= dev.conf.msix.vectors) {
          return this.replyError(peer, m, ErrorCode.UNEXPECTED, `MSI-X vector ${m.index} but the device has ${dev.conf.msix.vectors} vectors`);
        }
        if (!qemu) return this.replyError(peer, m, ErrorCode.NO_PEER, `${describe(m)}: no QEMU peer for device '${dev.name}', dropped`);
        return this.send(qemu, m);
      case MsgType.INTX:
        // A level, not an event: anything but 0/1 would reach pci_set_irq.
        if (m.index > 1) return this.replyError(peer, m, ErrorCode.MALFORMED, `INTX level ${m.index} is not 0 or 1`);
        // Like MSIX, no QEMU peer means nobody to interrupt: say so, drop it.
        if (!qemu) return this.replyError(peer, m, ErrorCode.NO_PEER, `${describe(m)}: no QEMU peer for device '${dev.name}', dropped`);
        dev.intx = m.index;
        return this.send(qemu, m);
      case MsgType.NIC_FRAME:
      case MsgType.SERIAL:
        return this.stream(dev, peer, qemu, m);
      case MsgType.ERROR:
        return this.peerError(dev, peer, qemu, m);
      default:
        return this.replyError(peer, m, ErrorCode.UNEXPECTED, `${MsgType[m.type]} is not valid from the HDL side`);
    }
  }

  private fromQemu(dev: Device, peer: Peer, m: Message): void {
    const hdl = dev.hdl;
    switch (m.type) {
      case MsgType.INIT:
        return this.init(dev, peer, m.tag);
      case MsgType.MMIO_READ:
      case MsgType.MMIO_WRITE: {
        const problem = this.checkMmio(dev, m);
        if (problem) return this.replyError(peer, m, problem.code, problem.text);
        if (m.type === MsgType.MMIO_READ) this.track(dev, 'mmio', m, peer, hdl!);
        return this.send(hdl!, m);
      }
      case MsgType.DMA_READ_CPL: {
        const p = this.pending.get(this.pendingKey(dev, 'dma', m.tag));
        if (!p) return this.late(peer, m);
        if (m.flags & (Flag.LAST | Flag.ERROR)) this.settle(dev, 'dma', m.tag);
        return this.send(p.requester, m);
      }
      case MsgType.CFG_STATE:
        if (m.index & ~CfgBit.ALL) return this.replyError(peer, m, ErrorCode.MALFORMED, `CFG_STATE with reserved bits 0x${(m.index & ~CfgBit.ALL).toString(16)} set (${describe(m)})`);
        // Like RESET: state for the RTL, no answer. Kept, so that an HDL peer
        // that joins later (a restarted simulator) gets it too.
        dev.cfgState = m.index;
        if (hdl) this.send(hdl, m);
        return;
      case MsgType.RESET:
        if (hdl) this.send(hdl, m);
        return;
      case MsgType.NIC_FRAME:
      case MsgType.SERIAL:
        return this.stream(dev, peer, hdl, m);
      case MsgType.ERROR:
        return this.peerError(dev, peer, hdl, m);
      default:
        return this.replyError(peer, m, ErrorCode.UNEXPECTED, `${MsgType[m.type]} is not valid from the QEMU side`);
    }
  }

  private announce(dev: Device, peer: Peer, m: Message): void {
    let announced: DeviceConf;
    try {
      announced = decodeConf(m.payload);
    } catch (e) {
      return this.replyError(peer, m, ErrorCode.MALFORMED, `CONF from device '${dev.name}': ${(e as Error).message}`);
    }
    const merged = applyOverride(announced, this.config.devices[dev.name]);
    const errors = validateConf(merged);
    dev.conf = errors.length ? undefined : merged;
    dev.confErrors = errors.length ? errors : undefined;
    if (errors.length) {
      this.log.error({ device: dev.name, errors }, 'device configuration refused');
      this.replyError(peer, m, ErrorCode.BAD_CONF, this.confErrorText(dev));
    } else {
      this.log.info({ device: dev.name, conf: formatConf(merged) }, 'device announced');
      // A fresh RTL starts with its default config state; QEMU's is older.
      if (dev.qemu && dev.cfgState !== undefined) this.send(peer, message(MsgType.CFG_STATE, { index: dev.cfgState }));
    }
    const inits = dev.pendingInits;
    dev.pendingInits = [];
    for (const i of inits) {
      clearTimeout(i.timer);
      this.init(dev, i.peer, i.tag);
    }
  }

  private confErrorText(dev: Device): string {
    return `device '${dev.name}' configuration is invalid: ${(dev.confErrors ?? []).join('; ')}`;
  }

  private init(dev: Device, peer: Peer, tag: number): void {
    if (dev.conf) {
      this.log.info({ device: dev.name }, 'CONF sent to QEMU peer');
      return this.send(peer, message(MsgType.CONF, { tag, payload: encodeConf(dev.conf) }));
    }
    if (dev.confErrors) return this.replyError(peer, { type: MsgType.INIT, tag }, ErrorCode.BAD_CONF, this.confErrorText(dev));
    if (dev.pendingInits.length >= MAX_PENDING_INITS) {
      return this.replyError(peer, { type: MsgType.INIT, tag }, ErrorCode.UNEXPECTED, `INIT for device '${dev.name}' refused: ${MAX_PENDING_INITS} INITs already wait for its HDL peer`);
    }
    const ms = this.config.broker.initTimeoutMs;
    const timer = setTimeout(() => {
      dev.pendingInits = dev.pendingInits.filter((i) => i.timer !== timer);
      this.replyError(peer, { type: MsgType.INIT, tag }, ErrorCode.NO_PEER, `INIT for device '${dev.name}': no HDL peer announced it within ${ms} ms`);
    }, ms);
    dev.pendingInits.push({ peer, tag, timer });
  }

  private mmioName(m: Message): string {
    return `${m.type === MsgType.MMIO_READ ? 'MMIO read' : 'MMIO write'} BAR${m.index}+0x${m.address.toString(16)} len ${m.length} tag ${m.tag}`;
  }

  private checkMmio(dev: Device, m: Message): { code: ErrorCode; text: string } | undefined {
    const what = this.mmioName(m);
    if (![1, 2, 4, 8].includes(m.length)) return { code: ErrorCode.MALFORMED, text: `${what}: access size must be 1, 2, 4 or 8 bytes` };
    if (m.type === MsgType.MMIO_WRITE && m.payload.length !== m.length) {
      return { code: ErrorCode.MALFORMED, text: `${what}: payload is ${m.payload.length} bytes, expected ${m.length}` };
    }
    if (m.address % BigInt(m.length) !== 0n) return { code: ErrorCode.MALFORMED, text: `${what}: address not aligned to the access size` };
    if (!dev.hdl) return { code: ErrorCode.NO_PEER, text: `${what}: no HDL peer for device '${dev.name}'` };
    if (!dev.conf) return { code: ErrorCode.NO_PEER, text: `${what}: device '${dev.name}' has not announced a valid configuration` };
    const bar = dev.conf.bars[m.index];
    if (!bar || bar.size === 0n) return { code: ErrorCode.UNMAPPED, text: `${what}: BAR${m.index} is not present on device '${dev.name}'` };
    if (m.address + BigInt(m.length) > bar.size) {
      return { code: ErrorCode.UNMAPPED, text: `${what}: past the end of BAR${m.index} (size 0x${bar.size.toString(16)})` };
    }
    return undefined;
  }

  private stream(dev: Device, peer: Peer, to: Peer | undefined, m: Message): void {
    if (m.type === MsgType.NIC_FRAME && (m.payload.length === 0 || m.payload.length > MAX_NIC_FRAME)) {
      return this.replyError(peer, m, ErrorCode.TOO_LARGE, `NIC frame of ${m.payload.length} bytes outside 1..${MAX_NIC_FRAME}`);
    }
    if (!to) {
      this.stats.error(channelOf(m.type));
      this.log.debug({ device: dev.name, msg: describe(m) }, 'no partner: dropped');
      return;
    }
    this.send(to, m);
  }

  /** An ERROR from a peer: ends the partner's matching request, and is relayed. */
  private peerError(dev: Device, peer: Peer, to: Peer | undefined, m: Message): void {
    this.peerWarn(peer, { device: dev.name, from: this.who(peer), msg: describe(m), code: ErrorCode[m.index] ?? m.index }, `peer reported: ${m.payload.toString()}`);
    for (const kind of ['mmio', 'dma'] as const) {
      const p = this.pending.get(this.pendingKey(dev, kind, m.tag));
      if (p && p.responder === peer) {
        this.settle(dev, kind, m.tag);
        this.stats.error(kind);
      }
    }
    if (to) this.send(to, m);
  }

  private pendingKey(dev: Device, kind: 'mmio' | 'dma', tag: number): string {
    return `${dev.name}/${kind}/${tag}`;
  }

  private track(dev: Device, kind: 'mmio' | 'dma', request: Message, requester: Peer, responder: Peer): void {
    const key = this.pendingKey(dev, kind, request.tag);
    const old = this.pending.get(key);
    if (old) {
      clearTimeout(old.timer);
      this.log.warn({ device: dev.name, msg: describe(request) }, 'tag reused while still outstanding; the older request is abandoned');
    }
    const ms = this.config.broker.requestTimeoutMs;
    const timer = setTimeout(() => this.expire(key), ms);
    this.pending.set(key, { device: dev, request, requester, responder, sentAt: Date.now(), timer });
  }

  private settle(dev: Device, kind: 'mmio' | 'dma', tag: number): Pending | undefined {
    const key = this.pendingKey(dev, kind, tag);
    const p = this.pending.get(key);
    if (p) {
      clearTimeout(p.timer);
      this.pending.delete(key);
    }
    return p;
  }

  private expire(key: string): void {
    const p = this.pending.get(key);
    if (!p) return;
    this.pending.delete(key);
    const ch = channelOf(p.request.type);
    this.stats.timeout(ch);
    const text = `${this.transaction(p)}: ${this.who(p.responder)} did not answer within ${this.config.broker.requestTimeoutMs} ms (${this.lastHeard(p.responder)})`;
    this.log.error({ device: p.device.name, channel: ch, tag: p.request.tag, address: `0x${p.request.address.toString(16)}` }, text);
    this.replyError(p.requester, p.request, ErrorCode.TIMEOUT, text);
  }

  private transaction(p: Pending): string {
    const r = p.request;
    if (r.type === MsgType.MMIO_READ) return `MMIO read timeout: device '${p.device.name}' ${this.mmioName(r)}`;
    return `DMA read timeout: device '${p.device.name}' tag ${r.tag} addr 0x${r.address.toString(16)} len ${r.length} requested at cycle ${r.cycle}`;
  }

  private lastHeard(peer: Peer): string {
    const ago = Date.now() - peer.lastSeen;
    return peer.side === 'hdl' ? `last heard ${ago} ms ago at cycle ${peer.cycle}` : `last heard ${ago} ms ago`;
  }

  private late(peer: Peer, m: Message): void {
    this.stats.error(channelOf(m.type));
    this.peerWarn(peer, { peer: this.who(peer), msg: describe(m) }, 'completion for no outstanding request (late after a timeout, or a wrong tag): dropped');
  }

  private beat(): void {
    const now = Date.now();
    const limit = this.config.broker.peerTimeoutMs;
    for (const peer of [...this.peers.values()]) {
      this.logHeld(peer, now);
      if (now - peer.lastSeen > limit) this.peerGone(peer, `silent for ${now - peer.lastSeen} ms (limit ${limit} ms)`, false);
      else this.send(peer, message(MsgType.PING, { tag: ++this.pingTag }));
    }
  }

  private peerGone(peer: Peer, reason: string, clean: boolean): void {
    if (!this.peers.delete(peer.key)) return;
    peer.gone = true;
    peer.queue?.clear();
    this.logHeld(peer, Infinity);
    const text = `${this.who(peer)} ${reason}${peer.side === 'hdl' ? ` (last cycle ${peer.cycle})` : ''}`;
    if (clean) this.log.info({ device: peer.name, side: peer.side }, text);
    else this.log.error({ device: peer.name, side: peer.side }, `peer lost: ${text}`);
    this.leave(peer, text);
    this.events.onPeerGone?.(peer.side, peer.name, reason);
  }

  /**
   * The peer leaves its device (gone, or HELLO under another name): its slot
   * is freed, and the requests it answers fail, naming why, or are forgotten
   * if it asked them.
   */
  private leave(peer: Peer, text: string): void {
    const dev = peer.name !== undefined ? this.devices.get(peer.name) : undefined;
    if (peer.traceDev !== undefined) {
      this.rec!.note(peer.traceDev, `${peer.side} peer gone: ${text}`);
      peer.traceDev = undefined;
    }
    if (dev && dev[peer.side] === peer) {
      dev[peer.side] = undefined;
      if (peer.side === 'hdl') {
        dev.conf = dev.confErrors = undefined;
        // No RTL, no interrupt: a pin left asserted would fire forever.
        if (dev.intx && dev.qemu) this.send(dev.qemu, message(MsgType.INTX, { index: 0 }));
        dev.intx = undefined;
      } else {
        dev.cfgState = undefined;
        for (const i of dev.pendingInits) clearTimeout(i.timer);
        dev.pendingInits = [];
      }
      if (!dev.qemu && !dev.hdl) this.devices.delete(dev.name);
    }
    for (const [key, p] of [...this.pending.entries()]) {
      if (p.responder === peer) {
        clearTimeout(p.timer);
        this.pending.delete(key);
        this.stats.error(channelOf(p.request.type));
        this.replyError(p.requester, p.request, ErrorCode.PEER_GONE, `${this.transaction(p).replace(' timeout', '')} failed: ${text}`);
      } else if (p.requester === peer) {
        clearTimeout(p.timer);
        this.pending.delete(key);
      }
    }
  }

  /** Its SendQueue passed broker.sendQueueBytes: it does not read, so it is dropped, not waited for. */
  private overflow(peer: Peer): void {
    this.stats.queueOverflows++;
    this.peerGone(peer, `does not read: its send queue passed ${this.config.broker.sendQueueBytes} bytes (broker.sendQueueBytes); dropped`, false);
  }

  private who(peer: Peer): string {
    return `${peer.side} peer '${peer.name ?? peer.id.toString('hex')}'`;
  }

  private replyError(peer: Peer, about: Partial<Message>, code: ErrorCode, text: string, fields: object = {}): void {
    const ch: Channel = about.type !== undefined ? channelOf(about.type) : 'control';
    this.stats.error(ch);
    this.peerWarn(peer, { to: this.who(peer), code: ErrorCode[code], ...fields }, text);
    this.send(peer, message(MsgType.ERROR, { tag: about.tag ?? 0, index: code, address: about.address ?? 0n, length: about.length ?? 0, payload: Buffer.from(text.slice(0, 4000)) }));
  }

  /** A warning a peer caused, within its log budget (LogLimit). */
  private peerWarn(peer: Peer, fields: object, text: string): void {
    this.logHeld(peer);
    if (peer.logs.take()) this.log.warn(fields, text);
  }

  /** One summary line for the warnings a peer's budget held back, once their interval is over. */
  private logHeld(peer: Peer, now = Date.now()): void {
    const n = peer.logs.takeHeld(now);
    if (n) this.log.warn({ peer: this.who(peer), held: n }, `${n} more warnings caused by ${this.who(peer)} not logged (at most ${LOG_BURST} per ${LOG_INTERVAL_MS} ms per peer; the counters count them all)`);
  }

  private send(peer: Peer, m: Message): void {
    if (peer.gone || (this.stopped && m.type !== MsgType.SHUTDOWN)) return;
    if (m.type !== MsgType.PING && m.type !== MsgType.ERROR && m.type !== MsgType.PONG) {
      this.stats.forwarded(m.type, peer.side === 'hdl', m.payload.length);
      if (peer.name !== undefined && channelOf(m.type) !== 'control') this.noteLast(peer.name, m, peer.side === 'hdl');
    }
    if (this.tracing) this.log.trace({ to: this.who(peer), msg: describe(m) }, 'tx');
    const frames = encode(m);
    // What the HDL side stamps (all but HELLO, PING and PONG), recorded before it can be.
    if (peer.traceDev !== undefined && peer.side === 'hdl' && isStamped(m.type)) this.rec!.message(peer.traceDev, Dir.TO_DEVICE, frames);
    peer.deliver(frames);
  }

  private noteLast(device: string, m: Message, toHdl: boolean): void {
    const t = this.last.get(device);
    if (!t) {
      this.last.set(device, { m, toHdl, at: Date.now() });
      return;
    }
    t.m = m;
    t.toHdl = toHdl;
    t.at = Date.now();
  }

  private sendFailed(peer: Peer, err: Error): void {
    if (this.stopped) return;
    // EHOSTUNREACH (mandatory ROUTER): ZeroMQ has dropped this connection.
    const why = (err as { code?: string }).code === 'EHOSTUNREACH' ? `disconnected (ZeroMQ closed its connection: the peer closed it, or sent a frame over ${MAX_FRAME} bytes)` : `unreachable (${err.message})`;
    this.peerGone(peer, why, false);
  }
}

/**
 * In-process peers and socket peers have keys of their own: a socket peer
 * chooses its routing id (ZMQ_ROUTING_ID) and could otherwise take an
 * in-process peer's place.
 */
function peerKey(side: Side, id: Buffer, inproc: boolean): string {
  return `${side}:${inproc ? 'inproc:' : ''}${id.toString('hex')}`;
}
