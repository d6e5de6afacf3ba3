// Receives HEPv3 over UDP (Asterisk res_hep, Kamailio siptrace, FreeSWITCH) and yields the SIP copies.
// The addresses come from the HEP header, i.e. the packet the PBX saw, not from the UDP sender
// (that is the PBX itself). The auth key travels in clear: listen on loopback or a trusted address.
import { createSocket } from 'node:dgram';
import { timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { systemClock, type Clock } from '../../core/clock.ts';
import { AppError } from '../../core/errors.ts';
import type { RawEvent } from '../../core/types.ts';
import { DropQueue } from '../queue.ts';
import { countSkip, createStats, type EventSource, SourceSetupError, type SourceStats } from '../source.ts';
import { decodeHep, HEP_PROTO_SIP, transportOf } from './codec.ts';

export interface HepOptions {
  /** "host:port" or "[v6]:port" (default 127.0.0.1:9060). */
  listen?: string;
  /** detect.hep.password: packets without this auth key are dropped. */
  password?: string;
  /** Packets buffered while the pipeline is busy; more are dropped and counted (default 10000). */
  maxQueue?: number;
  clock?: Clock;
  /** Called once the socket is bound (tests use the port when listening on :0). */
  onListening?: (address: { address: string; port: number }) => void;
}

export function parseHostPort(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new AppError('ERR_CONFIG_INVALID', `'${text}' is not host:port (like 127.0.0.1:9060 or [::1]:9060)`);
  return { host: m[1] ?? m[2], port };
}

export function hepSource(opts: HepOptions = {}): EventSource {
  const listen = opts.listen ?? '127.0.0.1:9060';
  const { host, port } = parseHostPort(listen);
  const id = `hep:${listen}`;
  const stats = createStats();
  const accept = authChecker(opts.password);
  async function* events(signal: AbortSignal): AsyncGenerator<RawEvent> {
    const clock = opts.clock ?? systemClock;
    const queue = new DropQueue<RawEvent>(opts.maxQueue ?? 10_000, () => countSkip(stats, 'queue-full'));
    const socket = createSocket({ type: isIP(host) === 6 ? 'udp6' : 'udp4' });
    socket.on('message', (msg) => {
      const ev = toEvent(msg, id, clock.now(), accept, stats);
      if (ev) queue.push(ev);
    });
    socket.on('error', (e) => queue.fail(new AppError('ERR_SOURCE', `HEP socket ${listen} failed: ${e.message}`, { cause: e })));
    try {
      await bind(socket, host, port, listen);
      opts.onListening?.(socket.address());
      for await (const ev of queue.drain(signal)) {
        stats.received++;
        yield ev;
      }
    } finally {
      socket.close();
    }
  }
  return { id, stats, events };
}

function bind(socket: ReturnType<typeof createSocket>, host: string, port: number, listen: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (e: Error): void =>
      reject(new SourceSetupError('ERR_SOURCE', `cannot listen for HEP on ${listen}: ${e.message}`, { cause: e, hint: 'check detect.hep.listen; is another collector (heplify, homer) on that port?' }));
    socket.once('error', fail);
    socket.bind(port, host, () => {
      socket.off('error', fail);
      resolve();
    });
  });
}

function toEvent(msg: Buffer, source: string, now: number, accept: (key?: string) => boolean, stats: SourceStats): RawEvent | null {
  const res = decodeHep(msg);
  if (!res.ok) return countSkip(stats, res.reason), null;
  const p = res.packet;
  if (!accept(p.authKey)) return countSkip(stats, 'auth'), null;
  if (p.protocolType !== HEP_PROTO_SIP) return countSkip(stats, 'not-sip'), null;
  // The copy outlives the datagram buffer; HEP timestamps are the sender's clock, so `at` is ours.
  return { type: 'sip', source, at: now, transport: transportOf(p.ipProto), src: p.src, dst: p.dst, payload: Buffer.from(p.payload) };
}

function authChecker(password: string | undefined): (key?: string) => boolean {
  if (password === undefined || password === '') return () => true;
  const want = Buffer.from(password);
  return (key) => {
    if (key === undefined) return false;
    const got = Buffer.from(key);
    return got.length === want.length && timingSafeEqual(got, want);
  };
}
