// TCP reassembly for SIP over TCP, from captured segments. Each direction of a connection (a flow,
// src ip:port → dst ip:port) keeps its in-order bytes by sequence number, and whole SIP messages
// are cut from them (sip-framing.ts). A message is only ever made of one flow's bytes, and it is
// only passed on once the other direction has ACKed its last byte and the flow is proven (one of
// its segments ACKed a sequence number of the other side: tcp-acks.ts), so a blind spoofer's forged
// segment cannot get the address it claims banned.
//
// Attackers control all of this, so the state is bounded: a cap on flows (the least recently used
// is evicted), on bytes per flow (waiting messages have their own allowance) and in total, on
// out-of-order segments held, on segments per message, and an idle expiry. Every byte is handled
// a bounded number of times whatever the segment sizes (scan state is kept between segments).
// Every loss is counted with a reason through onDrop. Time is the packets' capture time, so
// replaying a file gives the same result as watching it live.
import type { Endpoint } from '../../core/types.ts';
import { cutSipMessage, findStartLine, MAX_START_LINE, newFrameScan, shiftFrameScan } from './sip-framing.ts';
import { seqAdd, seqDiff } from './tcp-acks.ts';
import { type Flow, onlyKeepAlives, TcpFlowState } from './tcp-flows.ts';

export const TCP_FLAG = { FIN: 0x01, SYN: 0x02, RST: 0x04, ACK: 0x10 } as const;

export interface TcpSegment {
  src: Endpoint;
  dst: Endpoint;
  seq: number;
  /** The acknowledgment number (meaningful with TCP_FLAG.ACK). */
  ack: number;
  /** TCP flags byte (TCP_FLAG bits). */
  flags: number;
  payload: Buffer;
  /** Capture time, Unix ms. */
  at: number;
}

export interface TcpMessage {
  src: Endpoint;
  dst: Endpoint;
  /** Capture time of the segment that completed the message. */
  at: number;
  payload: Buffer;
}

export interface TcpLimits {
  maxFlows: number;
  /** In-order and held bytes of one flow (the largest message that can be read); whole messages waiting for their ACK get the same allowance again. */
  maxFlowBytes: number;
  maxTotalBytes: number;
  /** Out-of-order segments held per flow while waiting for the missing one. */
  maxHeldSegments: number;
  /** Segments one message may span (tiny segments cost per-packet work for nothing). */
  maxSegmentsPerMessage: number;
  /** How long a missing segment is waited for (a retransmission) before it counts as lost. */
  gapWaitMs: number;
  idleMs: number;
  /** Pass a message on only once the other direction ACKed it (see tcp-acks.ts). */
  requireAck: boolean;
  /** How long a message waits for its ACK (and proof) before it is dropped (`tcp-unacked`, `tcp-unproven`). */
  unackedMs: number;
  /**
   * For files that may hold one direction only (replay of a capture filtered on the destination
   * port): until the capture shows any packet of a tracked flow's reverse direction, messages go
   * out at once, unACKed (reported once per flow through onDrop as `tcp-one-way`: the message is
   * delivered, the count says which flows went unchecked); from then on the ACK rule applies.
   */
  oneWayFallback: boolean;
}

export const DEFAULT_TCP_LIMITS: TcpLimits = {
  maxFlows: 10_000,
  maxFlowBytes: 64 * 1024,
  maxTotalBytes: 32 * 1024 * 1024,
  maxHeldSegments: 32,
  maxSegmentsPerMessage: 256,
  gapWaitMs: 1000,
  idleMs: 120_000,
  requireAck: true,
  unackedMs: 5000,
  oneWayFallback: false,
};

/** Beyond this distance from the expected sequence number a segment belongs to another stream. */
const WINDOW = 1 << 20;

export class TcpReassembler extends TcpFlowState {
  constructor(onDrop: (reason: string) => void, limits: Partial<TcpLimits> = {}) {
    super(onDrop, { ...DEFAULT_TCP_LIMITS, ...limits });
  }

  /** One captured segment in; the SIP messages it completes or gets ACKed (of any flow) out. */
  push(seg: TcpSegment): TcpMessage[] {
    this.now = Math.max(this.now, seg.at);
    this.out = [];
    if (this.now - this.lastSweep >= 1000) this.sweep();
    const key = `${seg.src.ip}|${seg.src.port}|${seg.dst.ip}|${seg.dst.port}`;
    if (!(seg.flags & (TCP_FLAG.ACK | TCP_FLAG.SYN | TCP_FLAG.RST))) {
      this.onDrop('tcp-no-ack-flag'); // the host discards it (RFC 793 p. 72): a decoy
      return this.out;
    }
    const reverse = this.flows.get(`${seg.dst.ip}|${seg.dst.port}|${seg.src.ip}|${seg.src.port}`);
    if (reverse) this.account(reverse, () => this.fromReverse(reverse, seg));
    if (seg.flags & TCP_FLAG.RST) {
      this.reset(key, reverse, seg.seq);
      return this.out;
    }
    const flow = this.flowFor(key, seg);
    if (!flow) return this.out;
    this.account(flow, () => {
      this.prove(flow, reverse, seg);
      this.receive(flow, seg);
    });
    this.enforceTotal();
    return this.out;
  }

  /** The capture ended: what waits behind a gap is read, and what is left unfinished is counted. */
  end(): TcpMessage[] {
    this.out = [];
    for (const flow of [...this.flows.values()]) {
      this.account(flow, () => {
        while (flow.held.length > 0) this.skipGap(flow);
        this.close(flow, 'tcp-incomplete');
      });
    }
    return this.out;
  }

  /** A packet of the other direction: its ACK number may let this flow's messages through. */
  private fromReverse(flow: Flow, seg: TcpSegment): void {
    this.sawReverse = true;
    // Never a RST's: a host answers a segment on no connection with a RST ACKing it.
    if (seg.flags & TCP_FLAG.ACK && !(seg.flags & TCP_FLAG.RST)) flow.acks.ack(seg.ack >>> 0, flow.next);
    this.settle(flow);
  }

  /**
   * The flow is proven once one of its segments ACKs bytes (or the SYN) the other direction sent
   * and we saw: only a host that receives the other side's packets knows those numbers (tcp-acks.ts).
   */
  private prove(flow: Flow, reverse: Flow | undefined, seg: TcpSegment): void {
    if (flow.acks.proven || !(seg.flags & TCP_FLAG.ACK)) return;
    if (!reverse || this.flows.get(reverse.key) !== reverse) return;
    const ack = seg.ack >>> 0;
    if (seqDiff(ack, reverse.origin) > 0 && seqDiff(ack, reverse.next) <= 0) flow.acks.proven = true;
  }

  /** The flow a segment belongs to (opened or reopened by it), or null when it is ignored. */
  private flowFor(key: string, seg: TcpSegment): Flow | null {
    const flow = this.flows.get(key);
    if (seg.flags & TCP_FLAG.SYN) {
      if (flow && flow.isn === seg.seq) return this.touch(flow); // a retransmitted SYN
      if (flow && !flow.done && this.bytesOf(flow) > 0) {
        this.onDrop('tcp-bad-syn'); // a host keeps an established connection: a forgery, or a SYN we cannot place
        return null;
      }
      if (flow) this.account(flow, () => this.close(flow, 'tcp-reopened'));
      const opened = this.open(key, seg, seqAdd(seg.seq, 1), null);
      opened.isn = seg.seq;
      return opened;
    }
    if (flow) return this.touch(flow);
    if (seg.payload.length === 0) return null; // a FIN or ACK of a connection we never saw
    return this.open(key, seg, seg.seq, { reason: 'tcp-midstream', counted: false });
  }

  private receive(flow: Flow, seg: TcpSegment): void {
    flow.lastAt = this.now;
    if (flow.done) return this.settle(flow); // FIN reached or reset: the host takes no more data
    const dataSeq = seg.flags & TCP_FLAG.SYN ? seqAdd(seg.seq, 1) : seg.seq;
    if (seg.flags & TCP_FLAG.FIN) {
      flow.fin = seqAdd(dataSeq, seg.payload.length);
      this.waiting.add(flow);
    }
    this.accept(flow, dataSeq, seg.payload);
  }

  /**
   * A RST ends both directions, if its sequence number is exactly where the sender's stream is
   * (Linux ignores any other, RFC 5961 §3.2). Waiting messages still wait for their ACK: the
   * capture may show the RST before the ACK that was sent first.
   */
  private reset(key: string, reverse: Flow | undefined, seq: number): void {
    const flow = this.flows.get(key);
    if (!flow) return; // nothing to check it against: the reverse flow ends by FIN or idles out
    if (seqDiff(seq, flow.next) !== 0) return void this.onDrop('tcp-bad-rst');
    this.account(flow, () => this.finish(flow, 'tcp-reset'));
    if (reverse && this.flows.get(reverse.key) === reverse) this.account(reverse, () => this.finish(reverse, 'tcp-reset'));
  }

  private accept(flow: Flow, seq: number, data: Buffer): void {
    const ahead = seqDiff(seq, flow.next);
    if (ahead > WINDOW || ahead + data.length < -WINDOW) {
      // The host would discard it, unless it is a new connection whose SYN we missed: then the
      // other direction is ACKing around there, which a forger cannot make it do.
      if (!flow.acks.ackedNear(seq)) return void (data.length > 0 && this.onDrop('tcp-out-of-window'));
      this.restart(flow, 'tcp-out-of-window', seq);
      flow.origin = seqAdd(seq, -1);
      flow.acks.reanchor();
    }
    const rel = seqDiff(seq, flow.next);
    if (rel > 0) {
      if (data.length > 0) this.hold(flow, seq, data);
    } else {
      this.checkOverlap(flow, seq, data.subarray(0, -rel));
      if (data.length + rel > 0) {
        this.append(flow, data.subarray(-rel)); // a retransmission's old part is skipped
        this.drainHeld(flow);
      }
    }
    if (flow.held.length > 0 && this.now - flow.held[0].at >= this.limits.gapWaitMs) this.skipGap(flow);
    if (flow.buf.length + flow.heldBytes > this.limits.maxFlowBytes) this.overflow(flow);
    this.settle(flow);
    // Waiting messages have their own allowance: a pipelined burst is not shed for unread bytes.
    this.expire(flow, flow.acks.shed(this.limits.maxFlowBytes));
    if (flow.fin !== null && seqDiff(flow.next, flow.fin) >= 0) this.finish(flow);
  }

  /** Keeps an out-of-order segment (sorted by seq) until the missing bytes arrive or are given up. */
  private hold(flow: Flow, seq: number, data: Buffer): void {
    const same = flow.held.find((h) => h.seq === seq && h.data.length >= data.length);
    if (same) return this.checkOverlap(flow, seq, data, same.data); // a retransmission
    const copy = Buffer.from(data);
    flow.held.push({ seq, data: copy, at: this.now });
    this.waiting.add(flow);
    flow.held.sort((a, b) => seqDiff(a.seq, b.seq));
    flow.heldBytes += copy.length;
    if (flow.held.length > this.limits.maxHeldSegments) this.skipGap(flow);
  }

  /** Moves held segments that now fit onto the in-order bytes. */
  private drainHeld(flow: Flow): void {
    while (flow.held.length > 0 && seqDiff(flow.held[0].seq, flow.next) <= 0) {
      const h = flow.held.shift()!;
      flow.heldBytes -= h.data.length;
      const behind = seqDiff(flow.next, h.seq);
      if (behind < h.data.length) this.append(flow, h.data.subarray(behind));
    }
  }

  /** The missing bytes are not coming: drop the unfinished message before the gap, resume after it. */
  protected skipGap(flow: Flow): void {
    this.drop(flow, 'tcp-gap');
    flow.next = flow.held[0].seq;
    this.drainHeld(flow);
  }

  /** Too much for one flow: everything it holds in order or out of order is dropped; it resyncs. */
  private overflow(flow: Flow): void {
    const last = flow.held.at(-1);
    this.restart(flow, 'tcp-flow-overflow', last ? seqAdd(last.seq, last.data.length) : flow.next);
  }

  /** Drops the in-order and held bytes (counted) and continues at sequence number next, resyncing. */
  private restart(flow: Flow, reason: string, next: number): void {
    this.drop(flow, reason);
    flow.held = [];
    flow.heldBytes = 0;
    flow.next = next;
  }

  /** Counts the loss and empties the in-order bytes; the flow resyncs on the next start line. */
  private drop(flow: Flow, reason: string): void {
    this.onDrop(reason);
    flow.buf.clear();
    flow.scan = newFrameScan();
    flow.segs = 0;
    flow.lost = { reason, counted: true };
  }

  private append(flow: Flow, data: Buffer): void {
    flow.next = seqAdd(flow.next, data.length);
    flow.buf.append(data);
    flow.segs++;
    const cutAny = this.cut(flow);
    if (flow.buf.length === 0) flow.segs = 0;
    else if (cutAny) flow.segs = 1; // what is left came with this segment
    if (flow.segs <= this.limits.maxSegmentsPerMessage) return;
    if (!flow.lost) return this.drop(flow, 'tcp-too-many-segments');
    // Already resyncing (and counted): forget the unfinished line quietly.
    flow.buf.clear();
    flow.segs = 0;
  }

  /** Cuts every whole message off the front of the in-order bytes; true if it cut any. */
  private cut(flow: Flow): boolean {
    const buf = flow.buf.view();
    const base = seqAdd(flow.next, -buf.length); // the sequence number of buf[0]
    let off = flow.lost ? this.resync(flow, buf, 0) : 0;
    let cutAny = false;
    while (!flow.lost) {
      const c = cutSipMessage(buf, off, this.limits.maxFlowBytes, flow.scan);
      off = c.start;
      if (c.kind === 'more') break;
      flow.scan = newFrameScan();
      if (c.kind === 'message') {
        this.deliver(flow, Buffer.from(buf.subarray(c.start, c.end)), seqAdd(base, c.end));
        [off, cutAny] = [c.end, true];
        continue;
      }
      // Not SIP, or framing we cannot trust: skip it and look for the next message.
      this.onDrop(c.reason);
      flow.lost = { reason: c.reason, counted: true };
      off = this.resync(flow, buf, c.skip);
    }
    flow.buf.consume(off);
    shiftFrameScan(flow.scan, off);
    return cutAny;
  }

  /**
   * Where reading resumes in a flow that lost its place: the next start line from `from`, or
   * (none yet) the last unfinished line, kept in case it becomes one. Counts the loss once.
   */
  private resync(flow: Flow, buf: Buffer, from: number): number {
    const at = findStartLine(buf, from);
    let keep = at;
    if (at === -1) {
      const lineStart = Math.max(from, buf.lastIndexOf(10) + 1);
      keep = buf.length - lineStart > MAX_START_LINE ? buf.length : lineStart;
    }
    if (keep > from && !onlyKeepAlives(buf.subarray(from, keep)) && !flow.lost!.counted) {
      this.onDrop(flow.lost!.reason);
      flow.lost!.counted = true;
    }
    if (at !== -1) flow.lost = null;
    return keep;
  }

  /** A whole message: it waits for its ACK (or goes out at once when ACKs are not required). */
  private deliver(flow: Flow, payload: Buffer, endSeq: number): void {
    const msg: TcpMessage = { src: flow.src, dst: flow.dst, at: this.now, payload };
    if (!this.limits.requireAck) return void this.out.push(msg);
    if (this.limits.oneWayFallback && !this.sawReverse) {
      if (!flow.oneWayCounted) this.onDrop('tcp-one-way');
      flow.oneWayCounted = true;
      return void this.out.push(msg);
    }
    flow.acks.add(msg, endSeq);
    this.waiting.add(flow);
  }
}
