// Mutated capture streams: a pcap of UDP and TCP SIP from several senders, bytes flipped and cut,
// fed in random chunks. The reader and decoder never throw (a broken global header is the one
// PcapFormatError, which the capture source reports), and every event comes with a valid source
// address. (Which sender a TCP message belongs to is tcp-stream.test.ts's subject.)
import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import { test } from 'node:test';
import { ethernet, ipv4, ipv6, pcapFile, sipMessage, tcp, udp } from '../../../test/helpers/pcap.ts';
import { gen } from '../../sip/testgen.ts';
import { countSkip, createStats } from '../source.ts';
import { SipEventDecoder } from './events.ts';
import { PcapFormatError, PcapReader } from './pcap.ts';

const T0 = Date.UTC(2026, 10, 27, 4);
const invite = sipMessage('INVITE', 'fz1', 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n');
// A whole TCP exchange (handshake, the INVITE in two segments, the PBX's ACK), so the reassembler
// has a connection it trusts and TCP messages come out of the unmutated file.
const client = (seg: Buffer) => ethernet(ipv4('203.0.113.10', '192.0.2.1', 'tcp', seg));
const pbx = (seg: Buffer) => ethernet(ipv4('192.0.2.1', '203.0.113.10', 'tcp', seg));
const frames = [
  ethernet(ipv4('203.0.113.9', '192.0.2.1', 'udp', udp(5070, 5060, sipMessage('OPTIONS', 'fz0')))),
  client(tcp(40000, 5060, Buffer.alloc(0), 999, 0x02)),
  pbx(tcp(5060, 40000, Buffer.alloc(0), 7000, 0x12, 1000)),
  client(tcp(40000, 5060, invite.subarray(0, 40), 1000, 0x18, 7001)),
  client(tcp(40000, 5060, invite.subarray(40), 1040, 0x18, 7001)),
  pbx(tcp(5060, 40000, Buffer.alloc(0), 7001, 0x10, 1000 + invite.length)),
  ethernet(ipv6('2001:db8::5', '2001:db8::1', 'udp', udp(5071, 5060, sipMessage('REGISTER', 'fz2')))),
  ethernet(ipv4('203.0.113.11', '192.0.2.1', 'udp', udp(5072, 5060, sipMessage('INVITE', 'fz3'))), 42),
];
const file = pcapFile(frames.map((data, i) => ({ at: T0 + i, data })));

test('20,000 mutated capture files in random chunks: no throw, every event has a valid source', () => {
  const g = gen(5060);
  let events = 0;
  let tcpEvents = 0;
  let formatErrors = 0;
  for (let round = 0; round < 20_000; round++) {
    const b = Buffer.from(file);
    for (let k = g.int(1, 6); k > 0; k--) b[g.int(g.chance(0.05) ? 0 : 24, b.length - 1)] = g.int(0, 255);
    const data = g.chance(0.2) ? b.subarray(0, g.int(0, b.length)) : b;
    const stats = createStats();
    const reader = new PcapReader((r) => countSkip(stats, r));
    const decoder = new SipEventDecoder('fuzz', stats);
    try {
      for (let off = 0; off < data.length; ) {
        const n = g.int(1, 200);
        for (const rec of reader.push(data.subarray(off, off + n))) {
          for (const ev of decoder.record(rec)) {
            events++;
            assert.equal(ev.type, 'sip');
            if (ev.type === 'sip' && ev.transport === 'tcp') tcpEvents++;
            if (ev.type === 'sip') assert.ok(isIP(ev.src.ip), `source ${ev.src.ip}`);
          }
        }
        off += n;
      }
      reader.end();
      for (const ev of decoder.end()) if (ev.type === 'sip') assert.ok(isIP(ev.src.ip));
    } catch (e) {
      if (!(e instanceof PcapFormatError)) throw e;
      formatErrors++;
    }
  }
  assert.ok(events > 20_000, `only ${events} events: the mutations should leave most packets readable`);
  assert.ok(tcpEvents > 1_000, `only ${tcpEvents} TCP messages: the exchange should survive most mutations`);
  assert.ok(formatErrors > 0, 'some mutations hit the global header');
});
