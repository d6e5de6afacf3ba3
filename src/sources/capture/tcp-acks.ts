// Messages of one TCP flow wait here until the other side has ACKed their last byte. A forged
// segment (any source address, any sequence number) is cut into a message like a real one, but the
// server never ACKs bytes it did not receive on a connection it accepted, and a blind spoofer
// cannot complete a handshake from an address it does not own. So an ACKed message really came
// from its source address, and an unACKed one must not be used to ban it.
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
  /** A packet of the reverse direction was seen while this flow existed. */
  reverseSeen = false;

  get size(): number {
    return this.pending.length;
  }

  /** Capture time of the oldest waiting message. */
  get oldestAt(): number | null {
    return this.pending[0]?.msg.at ?? null;
  }

  add(msg: TcpMessage, endSeq: number): void {
    this.pending.push({ msg, endSeq });
    this.bytes += msg.payload.length;
  }

  /** An ACK number from the reverse direction; `next` is this flow's next expected sequence number. */
  ack(ackSeq: number, next: number): void {
    this.reverseSeen = true;
    this.lastAck = ackSeq;
    if (Math.abs(seqDiff(ackSeq, next)) > ACK_WINDOW) return; // not about the bytes we hold
    const stale = this.acked !== null && Math.abs(seqDiff(this.acked, next)) > ACK_WINDOW;
    if (this.acked === null || stale || seqDiff(ackSeq, this.acked) > 0) this.acked = ackSeq;
  }

  /** The reverse direction's last ACK is near seq: the host accepted a stream there. */
  ackedNear(seq: number): boolean {
    return this.lastAck !== null && Math.abs(seqDiff(this.lastAck, seq)) <= ACK_WINDOW;
  }

  /** The flow moved to the stream the last ACK is about (a new connection whose SYN we missed). */
  reanchor(): void {
    this.acked = this.lastAck;
  }

  /** True when the reverse direction ACKed sequence number seq (within the ACK window). */
  covers(seq: number): boolean {
    if (this.acked === null) return false;
    const d = seqDiff(this.acked, seq);
    return d >= 0 && d <= ACK_WINDOW;
  }

  /** The waiting messages now ACKed, in order. */
  takeAcked(): TcpMessage[] {
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

  private take(n: number): TcpMessage[] {
    if (n === 0) return [];
    const out = this.pending.splice(0, n).map((p) => p.msg);
    for (const m of out) this.bytes -= m.payload.length;
    return out;
  }
}
