import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RawEvent } from '../../core/types.ts';
import { ethernet, ipv4, ipv6, linuxSll, linuxSll2, pcapFile, sipMessage, tcp, udp } from '../../../test/helpers/pcap.ts';
import { countSkip, createStats } from '../source.ts';
import { SipEventDecoder } from './events.ts';
import { LINKTYPE, PcapFormatError, PcapReader } from './pcap.ts';

const T0 = Date.UTC(2026, 10, 27, 4, 30, 28) + 250.5; // fractional ms survive in ns files
const OPTIONS = sipMessage('OPTIONS', 'a1');

/** Feeds a pcap in chunks of chunkSize bytes (0 = all at once) and collects events and stats. */
function read(file: Buffer, chunkSize = 0): { events: RawEvent[]; stats: ReturnType<typeof createStats> } {
  const stats = createStats();
  const reader = new PcapReader((r) => countSkip(stats, r));
  const decoder = new SipEventDecoder('test', stats);
  const events: RawEvent[] = [];
  const step = chunkSize || file.length;
  for (let off = 0; off < file.length; off += step) {
    for (const rec of reader.push(file.subarray(off, off + step))) events.push(...decoder.record(rec));
  }
  reader.end();
  events.push(...decoder.end());
  return { events, stats };
}
const sip = (ev: RawEvent) => {
  assert.equal(ev.type, 'sip');
  return ev;
};

describe('pcap reader', () => {
  it('reads Ethernet/IPv4/UDP in both byte orders, micro- and nanosecond files', () => {
    const frame = ethernet(ipv4('203.0.113.9', '192.0.2.1', 'udp', udp(5070, 5060, OPTIONS)));
    for (const opts of [{}, { bigEndian: true }, { nano: true }, { bigEndian: true, nano: true }]) {
      const { events, stats } = read(pcapFile([{ at: T0, data: frame }], opts));
      assert.equal(events.length, 1, JSON.stringify(opts));
      const ev = sip(events[0]);
      assert.deepEqual([ev.src, ev.dst, ev.transport], [{ ip: '203.0.113.9', port: 5070 }, { ip: '192.0.2.1', port: 5060 }, 'udp']);
      assert.equal(ev.at, Math.floor(T0));
      assert.deepEqual(ev.payload, OPTIONS);
      assert.equal(stats.skipped, 0);
    }
  });

  it('reads Linux cooked v1 and v2, raw IP, VLAN tags and IPv6 with an extension header', () => {
    const v4 = ipv4('203.0.113.9', '192.0.2.1', 'udp', udp(5070, 5060, OPTIONS));
    const v6 = ipv6('2001:db8::9', '2001:db8::1', 'udp', udp(5070, 5060, OPTIONS), true);
    const cases: [number, Buffer, string][] = [
      [LINKTYPE.LINUX_SLL, linuxSll(v4), '203.0.113.9'],
      [LINKTYPE.LINUX_SLL2, linuxSll2(v6), '2001:db8::9'],
      [LINKTYPE.RAW, v4, '203.0.113.9'],
      [LINKTYPE.RAW, v6, '2001:db8::9'],
      [LINKTYPE.EN10MB, ethernet(v6, 42), '2001:db8::9'],
    ];
    for (const [linkType, data, ip] of cases) {
      const { events, stats } = read(pcapFile([{ at: T0, data }], { linkType }));
      assert.equal(stats.skipped, 0, `link ${linkType}: ${JSON.stringify(stats.skippedByReason)}`);
      assert.equal(sip(events[0]).src.ip, ip);
      assert.deepEqual(sip(events[0]).payload, OPTIONS);
    }
  });

  it('gives the same events whatever the chunking of the stream', () => {
    const packets = Array.from({ length: 20 }, (_, i) => ({
      at: T0 + i,
      data: ethernet(ipv4('203.0.113.9', '192.0.2.1', 'udp', udp(5070 + i, 5060, sipMessage('REGISTER', `c${i}`)))),
    }));
    const file = pcapFile(packets);
    const whole = read(file).events;
    assert.equal(whole.length, 20);
    for (const size of [1, 7, 100, 4096]) assert.deepEqual(read(file, size).events, whole, `chunks of ${size}`);
  });

  it('reassembles SIP over TCP by flow: split messages, keep-alives, bare ACKs, an unfinished message counted', () => {
    const invite = sipMessage('INVITE', 'x1', 'v=0\r\n');
    const bye = sipMessage('BYE', 'x2');
    const stream = Buffer.concat([invite.subarray(0, 30), invite.subarray(30), bye, Buffer.from('\r\n\r\n'), sipMessage('INVITE', 'x3', 'v=0\r\n').subarray(0, 60)]);
    const cuts = [0, 30, 30 + invite.length + 10, stream.length - 60, stream.length];
    const segs = cuts.slice(1).map((end, i) => tcp(40000, 5060, stream.subarray(cuts[i], end), 1000 + cuts[i]));
    // The PBX answers, and the client's bare ACK of that answer proves the connection is the
    // client's (tcp-acks.ts): a blind spoofer could not know the PBX's sequence numbers.
    const trying = Buffer.from('SIP/2.0 100 Trying\r\nCall-ID: x1\r\nContent-Length: 0\r\n\r\n');
    segs.splice(2, 0, tcp(40000, 5060, Buffer.alloc(0), 1000 + cuts[2], 0x10, 7000 + trying.length)); // a bare ACK of the client's
    const frames = segs.map((seg, i) => ({ at: T0 + i, data: ethernet(ipv4('203.0.113.9', '192.0.2.1', 'tcp', seg)) }));
    const fromPbx = (at: number, seg: Buffer) => ({ at, data: ethernet(ipv4('192.0.2.1', '203.0.113.9', 'tcp', seg)) });
    frames.splice(2, 0, fromPbx(T0 + 1, tcp(5060, 40000, trying, 7000, 0x18, 1000 + cuts[2])));
    // The PBX's bare ACKs: messages go out only once ACKed, and the last one ACKs it all.
    frames.push(fromPbx(T0 + 10, tcp(5060, 40000, Buffer.alloc(0), 7000 + trying.length, 0x10, 1000 + stream.length)));
    const { events, stats } = read(pcapFile(frames));
    const client = events.filter((e) => sip(e).src.ip === '203.0.113.9');
    assert.deepEqual(client.map((e) => sip(e).payload.toString()), [invite.toString(), bye.toString()]);
    assert.deepEqual([sip(client[0]).transport, sip(client[0]).src], ['tcp', { ip: '203.0.113.9', port: 40000 }]);
    assert.deepEqual(stats.skippedByReason, { 'tcp-incomplete': 1 }, 'the cut-off INVITE at the end of the capture');
  });

  it('counts fragments, snapped packets, truncated headers and unknown link types; ignores ARP', () => {
    const seg = udp(5070, 5060, OPTIONS);
    const arp = Buffer.concat([Buffer.alloc(12), Buffer.from([0x08, 0x06]), Buffer.alloc(28)]);
    const full = ethernet(ipv4('203.0.113.9', '192.0.2.1', 'udp', seg));
    const { events, stats } = read(pcapFile([
      { at: T0, data: ethernet(ipv4('203.0.113.9', '192.0.2.1', 'udp', seg, 0x2000)) }, // more fragments
      { at: T0, data: full.subarray(0, 60), origLen: full.length },
      { at: T0, data: ethernet(Buffer.from([0x45, 0, 0])) },
      { at: T0, data: arp },
    ]));
    assert.equal(events.length, 0);
    assert.deepEqual(stats.skippedByReason, { 'ip-fragment': 1, 'snapped-packet': 1, 'truncated-packet': 1 });
    assert.deepEqual(read(pcapFile([{ at: T0, data: full }], { linkType: 147 })).stats.skippedByReason, { 'unsupported-link-type': 1 });
  });

  it('skips a garbage record header, finds the next record, and counts a truncated last record', () => {
    const packets = [0, 1, 2].map((i) => ({ at: T0 + i, data: ethernet(ipv4('203.0.113.9', '192.0.2.1', 'udp', udp(5070 + i, 5060, OPTIONS))) }));
    const file = pcapFile(packets);
    const recLen = 16 + packets[0].data.length;
    const broken = Buffer.from(file);
    broken.writeUInt32LE(0x7fffffff, 24 + recLen + 8); // the second record's incl_len
    const { events, stats } = read(Buffer.concat([broken, file.subarray(24, 24 + 30)]));
    assert.deepEqual(events.map((e) => sip(e).src.port), [5070, 5072]);
    assert.deepEqual(stats.skippedByReason, { 'garbage-record': 1, 'truncated-record': 1 });
  });

  it('refuses pcapng and non-pcap streams with a format error', () => {
    const reader = new PcapReader(() => {});
    assert.throws(() => reader.push(Buffer.from('0a0d0d0a1c0000004d3c2b1a01000000ffffffffffffffff', 'hex')), PcapFormatError);
    assert.throws(() => new PcapReader(() => {}).push(Buffer.alloc(24, 0x41)), /not a pcap stream: magic 0x41414141/);
  });
});
