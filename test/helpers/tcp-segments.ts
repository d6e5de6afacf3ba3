// A TcpReassembler fed segment by segment: a PBX, a client ("victim") whose address a spoofer may
// forge, and a scanner message. Two ways to feed it: `push` sends one segment exactly as given (the
// tests of the ACK rule and of the attacks on it), `conn` is a client connection that keeps its own
// stream position (the framing tests, which cut, reorder and repeat streams).
import type { Endpoint } from '../../src/core/types.ts';
import { TCP_FLAG, type TcpLimits, type TcpMessage, TcpReassembler } from '../../src/sources/capture/tcp-stream.ts';

export const PBX: Endpoint = { ip: '192.0.2.1', port: 5060 };
export const VICTIM: Endpoint = { ip: '198.51.100.7', port: 40000 };
export const T0 = 1_795_000_000_000;
export const SCAN = Buffer.from('OPTIONS sip:100@192.0.2.1 SIP/2.0\r\nCall-ID: f1\r\nUser-Agent: friendly-scanner\r\nContent-Length: 0\r\n\r\n');
export const NONE: Buffer = Buffer.alloc(0);

/** A reassembler with its drop counts and the messages it released. */
export function segmentLab(limits: Partial<TcpLimits> = {}) {
  const drops: Record<string, number> = {};
  const r = new TcpReassembler((reason) => (drops[reason] = (drops[reason] ?? 0) + 1), limits);
  const out: TcpMessage[] = [];
  /** The capture time of the last segment a `conn` sent: each one comes 1 ms (or `dt`) later. */
  let connAt = T0;
  /** Feeds one segment; `ack` is 0 when left out, as a stack sends it without the ACK flag. */
  const push = (src: Endpoint, dst: Endpoint, seq: number, flags: number, payload: Buffer = NONE, at = T0, ack = 0) =>
    out.push(...r.push({ src, dst, seq: seq >>> 0, ack, flags, payload, at }));
  /** A real handshake: client ISN isn, PBX ISN 7000 (the client's segments then ACK 7001). */
  const handshake = (isn = 999) => {
    push(VICTIM, PBX, isn, TCP_FLAG.SYN);
    push(PBX, VICTIM, 7000, TCP_FLAG.SYN | TCP_FLAG.ACK, NONE, T0, (isn + 1) >>> 0);
  };
  const fromVictim = () => out.filter((m) => m.src.ip === VICTIM.ip);
  /** A client → PBX connection from ip:port with ISN isn; the PBX's ISN is 7000. */
  const conn = (ip: string, port = 40000, isn = 1000) => {
    const src: Endpoint = { ip, port };
    let next = isn + 1;
    return {
      src,
      syn: () => push(src, PBX, isn, TCP_FLAG.SYN, NONE, (connAt += 1)),
      /** The PBX's SYN-ACK: the client's segments ACK 7001, which proves the flow (tcp-acks.ts). */
      synAck: () => push(PBX, src, 7000, TCP_FLAG.SYN | TCP_FLAG.ACK, NONE, (connAt += 1), (isn + 1) >>> 0),
      /** Sends data at the current position (or at offset `off` from the stream start); advances. */
      send(data: Buffer | string, opts: { off?: number; flags?: number; dt?: number } = {}) {
        const payload = Buffer.from(data);
        const seq = opts.off === undefined ? next : isn + 1 + opts.off;
        push(src, PBX, seq, opts.flags ?? 0x18, payload, (connAt += opts.dt ?? 1), 7001);
        if (opts.off === undefined) next += payload.length;
      },
      /** Moves the position on without sending: those bytes are lost in the capture. */
      skip(n: number) {
        next += n;
      },
      /** The PBX ACKs this connection up to its current position (plus `delta`). */
      ack(delta = 0, flags: number = TCP_FLAG.ACK) {
        push(PBX, src, 7000, flags, NONE, (connAt += 1), (next + delta) >>> 0);
      },
    };
  };
  /** The Call-IDs of the released messages, in order ('?' for a message without one). */
  const ids = () => out.map((m) => /Call-ID: (\S+)/.exec(m.payload.toString())?.[1] ?? '?');
  return { r, out, drops, push, handshake, fromVictim, conn, ids };
}
