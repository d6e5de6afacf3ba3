// Pcap records → 'sip' events, shared by live capture and replay.
import type { Endpoint, RawEvent } from '../../core/types.ts';
import { countSkip, type SourceStats } from '../source.ts';
import { decodeFrame } from './packet.ts';
import type { PcapRecord } from './pcap.ts';
import { splitSipMessages } from './sip-framing.ts';

/** Which packets to keep, by address (replay's port filter); the rest is passed over uncounted. */
export type PacketFilter = (src: Endpoint, dst: Endpoint) => boolean;

export function* recordEvents(rec: PcapRecord, source: string, stats: SourceStats, keep?: PacketFilter): Generator<RawEvent> {
  if (rec.data.length < rec.origLen) {
    // Cut by the snap length: a SIP message missing its end could be misread.
    countSkip(stats, 'snapped-packet');
    return;
  }
  const frame = decodeFrame(rec.linkType, rec.data);
  if (!frame.ok) {
    if (frame.reason) countSkip(stats, frame.reason);
    return;
  }
  const { transport, src, dst } = frame;
  if (keep && !keep(src, dst)) return;
  const messages = transport === 'tcp' ? splitSipMessages(frame.payload) : [frame.payload];
  for (const msg of messages) {
    if (msg.length === 0) continue;
    stats.received++;
    // Copy: the record is a view into the reader's buffer.
    yield { type: 'sip', source, at: Math.floor(rec.at), transport, src, dst, payload: Buffer.from(msg) };
  }
}
