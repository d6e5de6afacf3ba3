// A TcpReassembler fed segment by segment, for the tests of the ACK rule and of the attacks on it:
// a PBX, a client ("victim") whose address a spoofer may forge, and a scanner message.
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
  /** Feeds one segment; `ack` is 0 when left out, as a stack sends it without the ACK flag. */
  const push = (src: Endpoint, dst: Endpoint, seq: number, flags: number, payload: Buffer = NONE, at = T0, ack = 0) =>
    out.push(...r.push({ src, dst, seq: seq >>> 0, ack, flags, payload, at }));
  /** A real handshake: client ISN isn, PBX ISN 7000 (the client's segments then ACK 7001). */
  const handshake = (isn = 999) => {
    push(VICTIM, PBX, isn, TCP_FLAG.SYN);
    push(PBX, VICTIM, 7000, TCP_FLAG.SYN | TCP_FLAG.ACK, NONE, T0, (isn + 1) >>> 0);
  };
  const fromVictim = () => out.filter((m) => m.src.ip === VICTIM.ip);
  return { r, out, drops, push, handshake, fromVictim };
}
