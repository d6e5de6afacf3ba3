// Pcap records → 'sip' events, shared by live capture and replay. UDP datagrams are one message
// each; TCP segments go through the reassembler, which cuts whole messages from each flow.
import type { Endpoint, RawEvent } from '../../core/types.ts';
import { countSkip, type SourceStats } from '../source.ts';
import { decodeFrame } from './packet.ts';
import type { PcapRecord } from './pcap.ts';
import { type TcpLimits, type TcpMessage, TcpReassembler } from './tcp-stream.ts';

/** Which packets to keep, by address (replay's port filter); the rest is passed over uncounted. */
export type PacketFilter = (src: Endpoint, dst: Endpoint) => boolean;

export interface DecoderOptions {
  keep?: PacketFilter;
  tcp?: Partial<TcpLimits>;
}

/** One per capture run: it holds the TCP flows, so records must come in capture order. */
export class SipEventDecoder {
  readonly tcp: TcpReassembler;

  constructor(
    private readonly source: string,
    private readonly stats: SourceStats,
    private readonly opts: DecoderOptions = {},
  ) {
    this.tcp = new TcpReassembler((reason) => countSkip(stats, reason), opts.tcp);
  }

  *record(rec: PcapRecord): Generator<RawEvent> {
    if (rec.data.length < rec.origLen) {
      // Cut by the snap length: a SIP message missing its end could be misread.
      countSkip(this.stats, 'snapped-packet');
      return;
    }
    const frame = decodeFrame(rec.linkType, rec.data);
    if (!frame.ok) {
      if (frame.reason) countSkip(this.stats, frame.reason);
      return;
    }
    const { src, dst } = frame;
    if (this.opts.keep && !this.opts.keep(src, dst)) return;
    if (frame.transport === 'udp') {
      if (frame.payload.length === 0) return;
      this.stats.received++;
      // Copy: the record is a view into the reader's buffer.
      yield { type: 'sip', source: this.source, at: Math.floor(rec.at), transport: 'udp', src, dst, payload: Buffer.from(frame.payload) };
      return;
    }
    yield* this.messages(this.tcp.push({ src, dst, seq: frame.seq, ack: frame.ack, flags: frame.flags, payload: frame.payload, at: rec.at }));
  }

  /** The capture ended: messages held behind a gap come out, unfinished ones are counted. */
  *end(): Generator<RawEvent> {
    yield* this.messages(this.tcp.end());
  }

  private *messages(msgs: TcpMessage[]): Generator<RawEvent> {
    for (const m of msgs) {
      this.stats.received++;
      yield { type: 'sip', source: this.source, at: Math.floor(m.at), transport: 'tcp', src: m.src, dst: m.dst, payload: m.payload };
    }
  }
}
