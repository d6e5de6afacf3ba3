// TCP reassembly for SIP over TCP, from captured segments. Each direction of a connection (a flow,
// src ip:port → dst ip:port) keeps its in-order bytes by sequence number, and whole SIP messages
// are cut from them (sip-framing.ts). A message is only ever made of one flow's bytes, so its
// source address is the flow's: lost or forged segments can cost a message, never frame an
// innocent address.
//
// Attackers control all of this, so the state is bounded: a cap on flows (the least recently used
// is evicted), on bytes per flow and in total, on out-of-order segments held, and an idle expiry.
// Every byte dropped is counted with a reason through onDrop. Time is the packets' capture time,
// so replaying a file gives the same result as watching it live.
import type { Endpoint } from '../../core/types.ts';
import { cutSipMessage, findStartLine, MAX_START_LINE } from './sip-framing.ts';

export const TCP_FLAG = { FIN: 0x01, SYN: 0x02, RST: 0x04 } as const;

export interface TcpSegment {
  src: Endpoint;
  dst: Endpoint;
  seq: number;
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
  /** In-order plus held bytes of one flow; also the largest message that can be read. */
  maxFlowBytes: number;
  maxTotalBytes: number;
  /** Out-of-order segments held per flow while waiting for the missing one. */
  maxHeldSegments: number;
  /** How long a missing segment is waited for (a retransmission) before it counts as lost. */
  gapWaitMs: number;
  idleMs: number;
}

export const DEFAULT_TCP_LIMITS: TcpLimits = {
  maxFlows: 10_000,
  maxFlowBytes: 64 * 1024,
  maxTotalBytes: 32 * 1024 * 1024,
  maxHeldSegments: 32,
  gapWaitMs: 1000,
  idleMs: 120_000,
};

/** Beyond this distance from the expected sequence number a segment belongs to another stream. */
const WINDOW = 1 << 20;

interface Held {
  seq: number;
  data: Buffer;
  at: number;
}

interface Flow {
  key: string;
  src: Endpoint;
  dst: Endpoint;
  /** The sequence number of the next in-order byte. */
  next: number;
  /** In-order bytes not yet cut into messages. */
  buf: Buffer;
  held: Held[];
  heldBytes: number;
  /** Sequence number of the FIN, once seen: the flow ends when next reaches it. */
  fin: number | null;
  /** Not at a message boundary (joined mid-way, or after lost bytes): why, and whether counted. */
  lost: { reason: string; counted: boolean } | null;
  lastAt: number;
}

/** a - b in sequence space (mod 2^32, signed). */
const seqDiff = (a: number, b: number): number => (a - b) | 0;
const seqAdd = (a: number, n: number): number => (a + n) >>> 0;

export class TcpReassembler {
  /** In least-recently-used order: a flow is moved to the end whenever a segment touches it. */
  private readonly flows = new Map<string, Flow>();
  /** Flows waiting on something the sweep may have to give up: a missing segment, bytes before a FIN. */
  private readonly waiting = new Set<Flow>();
  private readonly limits: TcpLimits;
  private totalBytes = 0;
  private now = 0;
  private lastSweep = 0;

  constructor(
    private readonly onDrop: (reason: string) => void,
    limits: Partial<TcpLimits> = {},
  ) {
    this.limits = { ...DEFAULT_TCP_LIMITS, ...limits };
    this.limits.maxFlows = Math.max(1, this.limits.maxFlows); // 0 would evict forever
  }

  get flowCount(): number {
    return this.flows.size;
  }

  get bufferedBytes(): number {
    return this.totalBytes;
  }

  /** One captured segment in; the SIP messages it completes (of its flow, or of flows it unblocked) out. */
  push(seg: TcpSegment): TcpMessage[] {
    this.now = Math.max(this.now, seg.at);
    const out: TcpMessage[] = [];
    if (this.now - this.lastSweep >= 1000) this.sweep(out);
    const key = `${seg.src.ip}|${seg.src.port}|${seg.dst.ip}|${seg.dst.port}`;
    if (seg.flags & TCP_FLAG.RST) {
      this.close(key, 'tcp-reset');
      this.close(`${seg.dst.ip}|${seg.dst.port}|${seg.src.ip}|${seg.src.port}`, 'tcp-reset');
      return out;
    }
    let flow = this.flows.get(key);
    if (seg.flags & TCP_FLAG.SYN) {
      if (flow) this.close(key, 'tcp-reopened');
      flow = this.open(key, seg, seqAdd(seg.seq, 1), null);
    } else if (!flow) {
      if (seg.payload.length === 0) return out; // a FIN or ACK of a connection we never saw
      flow = this.open(key, seg, seg.seq, { reason: 'tcp-midstream', counted: false });
    } else {
      this.flows.delete(key); // re-inserted: the map stays in least-recently-used order
      this.flows.set(key, flow);
    }
    flow.lastAt = this.now;
    const dataSeq = seg.flags & TCP_FLAG.SYN ? seqAdd(seg.seq, 1) : seg.seq;
    if (seg.flags & TCP_FLAG.FIN) {
      flow.fin = seqAdd(dataSeq, seg.payload.length);
      this.waiting.add(flow);
    }
    this.accept(flow, dataSeq, seg.payload, out);
    this.enforceTotal();
    return out;
  }

  /** The capture ended: what waits behind a gap is read, and what is left unfinished is counted. */
  end(): TcpMessage[] {
    const out: TcpMessage[] = [];
    for (const flow of [...this.flows.values()]) {
      while (flow.held.length > 0) this.skipGap(flow, out);
      this.close(flow.key, 'tcp-incomplete');
    }
    return out;
  }

  private open(key: string, seg: TcpSegment, next: number, lost: Flow['lost']): Flow {
    while (this.flows.size >= this.limits.maxFlows) this.close(this.flows.keys().next().value!, 'tcp-flow-evicted', true);
    const flow: Flow = { key, src: seg.src, dst: seg.dst, next, buf: Buffer.alloc(0), held: [], heldBytes: 0, fin: null, lost, lastAt: this.now };
    this.flows.set(key, flow);
    return flow;
  }

  /** Removes a flow; bytes it still held are counted as dropped (always, when `always`). */
  private close(key: string, reason: string, always = false): void {
    const flow = this.flows.get(key);
    if (!flow) return;
    const unread = flow.buf.length > 0 || flow.heldBytes > 0;
    if (always || (unread && !onlyKeepAlives(flow.buf))) this.onDrop(reason);
    this.totalBytes -= flow.buf.length + flow.heldBytes;
    this.flows.delete(key);
    this.waiting.delete(flow);
  }

  private accept(flow: Flow, seq: number, data: Buffer, out: TcpMessage[]): void {
    const ahead = seqDiff(seq, flow.next);
    if (ahead > WINDOW || ahead + data.length < -WINDOW) {
      // A new connection on the same addresses whose SYN we missed, or garbage: start over there.
      this.reset(flow, 'tcp-out-of-window', seq);
      return this.accept(flow, seq, data, out);
    }
    if (ahead > 0) {
      if (data.length > 0) this.hold(flow, seq, data, out);
    } else if (data.length + ahead > 0) {
      this.append(flow, data.subarray(-ahead), out); // a retransmission's old part is skipped
      this.drainHeld(flow, out);
    }
    if (flow.held.length > 0 && this.now - flow.held[0].at >= this.limits.gapWaitMs) this.skipGap(flow, out);
    if (flow.fin !== null && seqDiff(flow.next, flow.fin) >= 0 && this.flows.get(flow.key) === flow) this.close(flow.key, 'tcp-incomplete');
  }

  /** Keeps an out-of-order segment (sorted by seq) until the missing bytes arrive or are given up. */
  private hold(flow: Flow, seq: number, data: Buffer, out: TcpMessage[]): void {
    if (flow.held.some((h) => h.seq === seq && h.data.length >= data.length)) return; // a retransmission
    const copy = Buffer.from(data);
    flow.held.push({ seq, data: copy, at: this.now });
    this.waiting.add(flow);
    flow.held.sort((a, b) => seqDiff(a.seq, b.seq));
    flow.heldBytes += copy.length;
    this.totalBytes += copy.length;
    if (flow.held.length > this.limits.maxHeldSegments) this.skipGap(flow, out);
    if (flow.buf.length + flow.heldBytes > this.limits.maxFlowBytes) this.overflow(flow);
  }

  /** Moves held segments that now fit onto the in-order bytes. */
  private drainHeld(flow: Flow, out: TcpMessage[]): void {
    while (flow.held.length > 0 && seqDiff(flow.held[0].seq, flow.next) <= 0) {
      const h = flow.held.shift()!;
      flow.heldBytes -= h.data.length;
      this.totalBytes -= h.data.length;
      const behind = seqDiff(flow.next, h.seq);
      if (behind < h.data.length) this.append(flow, h.data.subarray(behind), out);
    }
  }

  /** The missing bytes are not coming: drop the unfinished message before the gap, resume after it. */
  private skipGap(flow: Flow, out: TcpMessage[]): void {
    this.drop(flow, 'tcp-gap');
    flow.next = flow.held[0].seq;
    this.drainHeld(flow, out);
  }

  /** Too much for one flow: everything it holds is dropped and it resyncs on what comes next. */
  private overflow(flow: Flow): void {
    const last = flow.held.at(-1);
    this.reset(flow, 'tcp-flow-overflow', last ? seqAdd(last.seq, last.data.length) : flow.next);
  }

  /** Drops all a flow holds (counted) and continues it at sequence number next, resyncing. */
  private reset(flow: Flow, reason: string, next: number): void {
    this.drop(flow, reason);
    this.totalBytes -= flow.heldBytes;
    flow.held = [];
    flow.heldBytes = 0;
    flow.next = next;
  }

  /** Counts the loss and empties the in-order buffer; the flow resyncs on the next start line. */
  private drop(flow: Flow, reason: string): void {
    this.onDrop(reason);
    this.totalBytes -= flow.buf.length;
    flow.buf = Buffer.alloc(0);
    flow.lost = { reason, counted: true };
  }

  private append(flow: Flow, data: Buffer, out: TcpMessage[]): void {
    flow.next = seqAdd(flow.next, data.length);
    this.totalBytes -= flow.buf.length;
    // Usually a segment holds whole messages: cut them from the segment itself, copy only the rest.
    flow.buf = flow.buf.length === 0 ? data : Buffer.concat([flow.buf, data]);
    if (flow.lost) this.resync(flow);
    if (!flow.lost) this.cut(flow, out);
    if (flow.buf.length > 0 && flow.buf.buffer === data.buffer) flow.buf = Buffer.from(flow.buf); // never keep a view of the capture
    this.totalBytes += flow.buf.length;
    if (flow.buf.length + flow.heldBytes > this.limits.maxFlowBytes) this.overflow(flow);
  }

  /** Drops bytes up to the next SIP start line; keeps only a possible start of one meanwhile. */
  private resync(flow: Flow): void {
    const at = findStartLine(flow.buf);
    let keep = at;
    if (at === -1) {
      const lineStart = flow.buf.lastIndexOf(10) + 1;
      keep = flow.buf.length - lineStart > MAX_START_LINE ? flow.buf.length : lineStart;
    }
    if (keep > 0 && !onlyKeepAlives(flow.buf.subarray(0, keep)) && !flow.lost!.counted) {
      this.onDrop(flow.lost!.reason);
      flow.lost!.counted = true;
    }
    flow.buf = keep === 0 ? flow.buf : Buffer.from(flow.buf.subarray(keep));
    if (at !== -1) flow.lost = null;
  }

  /** Cuts every whole message off the front of the in-order bytes. */
  private cut(flow: Flow, out: TcpMessage[]): void {
    let off = 0;
    for (;;) {
      const c = cutSipMessage(flow.buf, off, this.limits.maxFlowBytes);
      off = c.start;
      if (c.kind === 'more') break;
      if (c.kind === 'message') {
        out.push({ src: flow.src, dst: flow.dst, at: this.now, payload: Buffer.from(flow.buf.subarray(c.start, c.end)) });
        off = c.end;
        continue;
      }
      // Not SIP, or framing we cannot trust: skip past this start and look for the next message.
      this.onDrop(c.reason);
      flow.lost = { reason: c.reason, counted: true };
      const lineEnd = flow.buf.indexOf(10, off);
      flow.buf = flow.buf.subarray(lineEnd === -1 ? flow.buf.length : lineEnd + 1);
      this.resync(flow);
      if (flow.lost) return void (flow.buf = Buffer.from(flow.buf));
      off = 0;
    }
    flow.buf = off === 0 ? flow.buf : Buffer.from(flow.buf.subarray(off));
  }

  /** Expires idle flows and gives up on gaps waited for long enough (also for flows gone quiet). */
  private sweep(out: TcpMessage[]): void {
    this.lastSweep = this.now;
    for (const flow of this.flows.values()) {
      if (this.now - flow.lastAt < this.limits.idleMs) break; // the rest were touched later
      this.close(flow.key, 'tcp-idle');
    }
    for (const flow of [...this.waiting]) {
      if (flow.held.length > 0 && this.now - flow.held[0].at >= this.limits.gapWaitMs) this.skipGap(flow, out);
      // FIN seen but bytes before it never came: nothing more will.
      if (flow.fin !== null && this.now - flow.lastAt >= this.limits.gapWaitMs) this.close(flow.key, 'tcp-incomplete');
      else if (flow.held.length === 0 && flow.fin === null) this.waiting.delete(flow);
    }
  }

  /** Over the total budget: evict the least recently used flows that hold bytes. */
  private enforceTotal(): void {
    for (const flow of this.flows.values()) {
      if (this.totalBytes <= this.limits.maxTotalBytes) return;
      if (flow.buf.length + flow.heldBytes > 0) this.close(flow.key, 'tcp-flow-evicted', true);
    }
  }
}

function onlyKeepAlives(buf: Buffer): boolean {
  for (const b of buf) if (b !== 13 && b !== 10) return false;
  return true;
}
