// Helpers for the bounded-broker tests: a broker with chosen settings that
// records the peers it drops, and a raw DEALER that has said HELLO and then
// reads only when the test asks it to.
import * as zmq from 'zeromq';
import { Broker } from '../../bridge/src/broker/broker';
import { BrokerSettings } from '../../bridge/src/broker/config';
import { brokerConfig } from '../../bridge/src/orchestrate/stack';
import { decode, encode, Message, message, MsgType, Role } from '../../bridge/src/protocol/wire';
import { Logger } from '../../bridge/src/util/log';
import { testLog, uniqueEndpoints } from '../helpers';

export interface BoundedBroker {
  broker: Broker;
  qemu: string;
  hdl: string;
  /** Every peer the broker reported gone: "side name: reason". */
  gone: string[];
}

export async function brokerWith(settings: Partial<BrokerSettings>, log: Logger = testLog()): Promise<BoundedBroker> {
  const ep = uniqueEndpoints();
  const config = brokerConfig({ requestTimeoutMs: 300, peerTimeoutMs: 1000, heartbeatMs: 100 }, ep);
  Object.assign(config.broker, settings);
  const gone: string[] = [];
  const broker = new Broker(config, log, { onPeerGone: (side, name, reason) => gone.push(`${side} ${name}: ${reason}`) });
  await broker.start();
  return { broker, ...broker.endpoints, gone };
}

/** The next message that is not a PING. */
export async function nextMessage(sock: zmq.Dealer): Promise<Message> {
  for (;;) {
    const m = decode(await sock.receive());
    if (m.type !== MsgType.PING) return m;
  }
}

/** A DEALER on `endpoint` that has said HELLO as `name` and had its answer. */
export async function helloPeer(endpoint: string, role: Role, name: string, options: zmq.SocketOptions<zmq.Dealer> = {}): Promise<zmq.Dealer> {
  const sock = new zmq.Dealer({ linger: 0, receiveTimeout: 2000, ...options });
  sock.connect(endpoint);
  await sock.send(encode(message(MsgType.HELLO, { index: role, payload: Buffer.from(name) })));
  const answer = await nextMessage(sock);
  if (answer.type !== MsgType.HELLO) throw new Error(`HELLO as '${name}' answered by ${MsgType[answer.type]}: ${answer.payload}`);
  return sock;
}
