// The flow table of the TCP reassembler (tcp-stream.ts): opening, closing and expiring flows, the
// byte budget, and releasing or dropping the messages that wait for their ACK.
import type { Endpoint } from '../../core/types.ts';
import { type FrameScan, newFrameScan } from './sip-framing.ts';
import { StreamBuffer } from './stream-buffer.ts';
import { AckGate, seqAdd, seqDiff } from './tcp-acks.ts';
import type { TcpLimits, TcpMessage, TcpSegment } from './tcp-stream.ts';

export interface Held {
  seq: number;
  data: Buffer;
  at: number;
}

export interface Flow {
  key: string;
  src: Endpoint;
  dst: Endpoint;
  /** Sequence number of the SYN that opened the flow, if seen. */
  isn: number | null;
  /** The sequence number of the next in-order byte. */
  next: number;
  /**
   * The sequence number before the first byte we track (the ISN, or the first seen byte's minus
   * one): an ACK number in (origin, next] of the other direction proves that direction (tcp-acks.ts).
   */
  origin: number;
  /** In-order bytes not yet cut into messages, and how far their scan got. */
  buf: StreamBuffer;
  scan: FrameScan;
  /** Segments that brought bytes of the unfinished message at the front of buf. */
  segs: number;
  held: Held[];
  heldBytes: number;
  /** Whole messages waiting for the other direction's ACK. */
  acks: AckGate;
  /** Sequence number of the FIN, once seen: the flow ends when next reaches it. */
  fin: number | null;
  /** The FIN was reached: only messages waiting for their ACK keep the flow. */
  done: boolean;
  /** Not at a message boundary (joined mid-way, or after lost bytes): why, and whether counted. */
  lost: { reason: string; counted: boolean } | null;
  oneWayCounted: boolean;
  lastAt: number;
}

export abstract class TcpFlowState {
  /** In least-recently-used order: a flow is moved to the end whenever a segment touches it. */
  protected readonly flows = new Map<string, Flow>();
  /** Flows waiting on something the sweep may have to give up: a gap, a FIN, an ACK. */
  protected readonly waiting = new Set<Flow>();
  protected totalBytes = 0;
  protected now = 0;
  protected lastSweep = 0;
  /** Messages for the caller of the current push or end. */
  protected out: TcpMessage[] = [];
  /** Some flow's reverse direction was seen: this capture has both directions. */
  protected sawReverse = false;

  constructor(
    protected readonly onDrop: (reason: string) => void,
    protected readonly limits: TcpLimits,
  ) {
    this.limits.maxFlows = Math.max(1, this.limits.maxFlows); // 0 would evict forever
  }

  get flowCount(): number {
    return this.flows.size;
  }

  get bufferedBytes(): number {
    return this.totalBytes;
  }

  protected abstract skipGap(flow: Flow): void;

  protected bytesOf(flow: Flow): number {
    return flow.buf.length + flow.heldBytes + flow.acks.bytes;
  }

  /** Runs a change to one flow and keeps the byte total right (wrap each change exactly once). */
  protected account(flow: Flow, change: () => void): void {
    const before = this.bytesOf(flow);
    change();
    this.totalBytes += this.bytesOf(flow) - before;
  }

  protected open(key: string, seg: TcpSegment, next: number, lost: Flow['lost']): Flow {
    while (this.flows.size >= this.limits.maxFlows) {
      const oldest = this.flows.values().next().value!;
      this.account(oldest, () => this.close(oldest, 'tcp-flow-evicted', true));
    }
    const flow: Flow = {
      key, src: seg.src, dst: seg.dst, isn: null, next, origin: seqAdd(next, -1), buf: new StreamBuffer(), scan: newFrameScan(), segs: 0,
      held: [], heldBytes: 0, acks: new AckGate(), fin: null, done: false, lost, oneWayCounted: false, lastAt: this.now,
    };
    this.flows.set(key, flow);
    return flow;
  }

  /** Moves a flow to the most recently used end. */
  protected touch(flow: Flow): Flow {
    this.flows.delete(flow.key);
    this.flows.set(flow.key, flow);
    return flow;
  }

  /** Removes a flow; unread bytes are counted as dropped (always, when `always`), waiting messages settled. */
  protected close(flow: Flow, reason: string, always = false): void {
    if (this.flows.get(flow.key) !== flow) return;
    this.flows.delete(flow.key);
    this.waiting.delete(flow);
    const unread = flow.buf.length > 0 || flow.heldBytes > 0;
    if (always || (unread && !(flow.heldBytes === 0 && onlyKeepAlives(flow.buf.view())))) this.onDrop(reason);
    flow.buf.clear();
    flow.held = [];
    flow.heldBytes = 0;
    this.flushPending(flow);
  }

  /** Passes on what was ACKed, drops what waited too long for it; ends a finished flow. */
  protected settle(flow: Flow): void {
    this.out.push(...flow.acks.takeAcked());
    this.expire(flow, flow.acks.takeExpired(this.now - this.limits.unackedMs));
    if (flow.done && flow.acks.size === 0) this.close(flow, 'tcp-incomplete');
  }

  /** Every waiting message now: the ACKed ones out, the rest dropped. */
  protected flushPending(flow: Flow): void {
    this.out.push(...flow.acks.takeAcked());
    this.expire(flow, flow.acks.takeExpired(0, true));
  }

  /** Waiting messages dropped: `tcp-unproven` when the flow never proved itself, else `tcp-unacked`. */
  protected expire(flow: Flow, msgs: TcpMessage[]): void {
    const reason = flow.acks.proven ? 'tcp-unacked' : 'tcp-unproven';
    for (let i = 0; i < msgs.length; i++) this.onDrop(reason);
  }

  /**
   * The flow ends (its FIN was reached or will never be, or an exact RST): unfinished bytes are
   * counted as `reason`, and waiting messages keep waiting for their ACK up to unackedMs (a
   * capture may show the ACK after the FIN or RST).
   */
  protected finish(flow: Flow, reason = 'tcp-incomplete'): void {
    if (this.flows.get(flow.key) !== flow || flow.done) return;
    if (flow.acks.size === 0) return this.close(flow, reason);
    if ((flow.buf.length > 0 && !onlyKeepAlives(flow.buf.view())) || flow.heldBytes > 0) this.onDrop(reason);
    flow.buf.clear();
    flow.held = [];
    flow.heldBytes = 0;
    flow.done = true;
    this.waiting.add(flow);
  }

  /**
   * A retransmission's bytes should equal the ones we hold (the buffered tail, or a held segment
   * `held` at the same seq); different bytes are an attacker's decoy or rewrite (first copy wins).
   */
  protected checkOverlap(flow: Flow, seq: number, data: Buffer, held?: Buffer): void {
    let theirs = data;
    let ours = held?.subarray(0, data.length);
    if (!ours) {
      // data ends at or before next; only its part inside the buffered bytes can be compared.
      const rel = seqDiff(seq, seqAdd(flow.next, -flow.buf.length));
      theirs = data.subarray(Math.max(0, -rel));
      if (theirs.length === 0) return;
      ours = flow.buf.view().subarray(Math.max(0, rel), Math.max(0, rel) + theirs.length);
    }
    if (!ours.equals(theirs)) this.onDrop('tcp-overlap-conflict');
  }

  /** Expires idle flows, gives up on gaps, FINs and ACKs waited for long enough. */
  protected sweep(): void {
    this.lastSweep = this.now;
    for (const flow of this.flows.values()) {
      if (this.now - flow.lastAt < this.limits.idleMs) break; // the rest were touched later
      this.account(flow, () => this.close(flow, 'tcp-idle'));
    }
    for (const flow of [...this.waiting]) {
      this.account(flow, () => {
        if (flow.held.length > 0 && this.now - flow.held[0].at >= this.limits.gapWaitMs) this.skipGap(flow);
        // FIN seen but bytes before it never came: nothing more will.
        if (flow.fin !== null && this.now - flow.lastAt >= this.limits.gapWaitMs) this.finish(flow);
        this.settle(flow);
      });
      if (flow.held.length === 0 && flow.fin === null && flow.acks.size === 0) this.waiting.delete(flow);
    }
  }

  /** Over the total budget: evict the least recently used flows that hold bytes. */
  protected enforceTotal(): void {
    for (const flow of this.flows.values()) {
      if (this.totalBytes <= this.limits.maxTotalBytes) return;
      if (this.bytesOf(flow) > 0) this.account(flow, () => this.close(flow, 'tcp-flow-evicted', true));
    }
  }
}

/** Only CRLF keep-alives: nothing lost when they are dropped. */
export function onlyKeepAlives(buf: Buffer): boolean {
  for (const b of buf) if (b !== 13 && b !== 10) return false;
  return true;
}
