// Messages of one TCP flow wait here until the other side has ACKed their last byte, and the flow
// is proven. A forged segment (any source address, any sequence number) is cut into a message like
// a real one. The server's ACK alone is not enough: a blind spoofer can make the server's kernel
// send an ACK number of its choosing (a forged SYN whose sequence number is just before the forged
// data's end gets a SYN-ACK, or a bare ACK from the half-open connection, ACKing it). What a blind
// spoofer cannot do is see the server's sequence numbers, so a flow is proven once one of its own
// segments ACKs a server sequence number we saw (tcp-stream.ts: prove). A message released here
// came from its source address, unless the attacker sees or forges the server's own packets.
import type { TcpMessage } from './tcp-stream.ts';

/** a - b in sequence space (mod 2^32, signed). */
export const seqDiff = (a: number, b: number): number => (a - b) | 0;
export const seqAdd = (a: number, n: number): number => (a + n) >>> 0;

/** ACK numbers further than this from the flow's position are not about its bytes. */
const ACK_WINDOW = 1 << 20;

interface Pending {
  msg: TcpMessage;
  /** Sequence number just past the message's last byte. */
  endSeq: number;
}

export class AckGate {
  private pending: Pending[] = [];
  /** Bytes of the waiting messages (they count toward the flow's and the total byte caps). */
  bytes = 0;
  /** The highest ACK number the reverse direction sent for this flow's bytes, once seen. */
  private acked: number | null = null;
  /** The last ACK number seen at all, near the flow's position or not. */
  private lastAck: number | null = null;
  /** One of the flow's own segments ACKed a sequence number the other side sent (see above). */
  proven = false;

  get size(): number {
    return this.pending.length;
  }

  add(msg: TcpMessage, endSeq: number): void {
    this.pending.push({ msg, endSeq });
    this.bytes += msg.payload.length;
  }

  /** An ACK number from the reverse direction; `next` is this flow's next expected sequence number. */
  ack(ackSeq: number, next: number): void {
    this.lastAck = ackSeq;
    if (Math.abs(seqDiff(ackSeq, next)) > ACK_WINDOW) return; // not about the bytes we hold
    const stale = this.acked !== null && Math.abs(seqDiff(this.acked, next)) > ACK_WINDOW;
    if (this.acked === null || stale || seqDiff(ackSeq, this.acked) > 0) this.acked = ackSeq;
  }

  /** The reverse direction's last ACK is near seq: the host accepted a stream there. */
  ackedNear(seq: number): boolean {
    return this.lastAck !== null && Math.abs(seqDiff(this.lastAck, seq)) <= ACK_WINDOW;
  }

  /** The flow moved to the stream the last ACK is about (a new connection whose SYN we missed): it needs its own proof. */
  reanchor(): void {
    this.acked = this.lastAck;
    this.proven = false;
  }

  /** True when the reverse direction ACKed sequence number seq (within the ACK window). */
  covers(seq: number): boolean {
    if (this.acked === null) return false;
    const d = seqDiff(this.acked, seq);
    return d >= 0 && d <= ACK_WINDOW;
  }

  /** The waiting messages now ACKed, in order (none until the flow is proven). */
  takeAcked(): TcpMessage[] {
    if (!this.proven) return [];
    let n = 0;
    while (n < this.pending.length && this.covers(this.pending[n].endSeq)) n++;
    return this.take(n);
  }

  /** The waiting messages older than `before` (capture time) or, with all, every one. */
  takeExpired(before: number, all = false): TcpMessage[] {
    let n = 0;
    while (n < this.pending.length && (all || this.pending[n].msg.at < before)) n++;
    return this.take(n);
  }

  /** The oldest waiting messages beyond `maxBytes` of them (the rest keep their allowance). */
  shed(maxBytes: number): TcpMessage[] {
    let [n, bytes] = [0, this.bytes];
    while (n < this.pending.length && bytes > maxBytes) bytes -= this.pending[n++].msg.payload.length;
    return this.take(n);
  }

  private take(n: number): TcpMessage[] {
    if (n === 0) return [];
    const out = this.pending.splice(0, n).map((p) => p.msg);
    for (const m of out) this.bytes -= m.payload.length;
    return out;
  }
}
