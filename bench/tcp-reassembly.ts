// CPU per captured packet for TCP reassembly on attacker-shaped input (the review's three cases):
// one big message in 1-byte segments, 64 KB (GRO) segments of small messages, and 64 KB segments of
// messages with conflicting Content-Length. Each case runs with the defaults (the PBX ACKs every
// segment, as it would: that ACK is a packet too) and with framing only (no ACK rule, no cap on
// segments per message), which shows the framing itself is linear.
//   node --import tsx bench/tcp-reassembly.ts
import type { Endpoint } from '../src/core/types.ts';
import { TCP_FLAG, type TcpLimits, TcpReassembler } from '../src/sources/capture/tcp-stream.ts';

const SRC: Endpoint = { ip: '203.0.113.9', port: 40000 };
const PBX: Endpoint = { ip: '192.0.2.1', port: 5060 };

function run(data: Buffer, segment: number, limits: Partial<TcpLimits>, withAcks: boolean): { usPerPacket: number; packets: number; messages: number } {
  const r = new TcpReassembler(() => {}, limits);
  r.push({ src: SRC, dst: PBX, seq: 999, ack: 0, flags: TCP_FLAG.SYN, payload: Buffer.alloc(0), at: 0 });
  // The PBX's SYN-ACK: the client's segments ACK its ISN + 1, which proves the flow (tcp-acks.ts).
  r.push({ src: PBX, dst: SRC, seq: 7000, ack: 1000, flags: TCP_FLAG.SYN | TCP_FLAG.ACK, payload: Buffer.alloc(0), at: 0 });
  let [packets, messages] = [0, 0];
  const t = process.cpuUsage();
  for (let off = 0; off < data.length; off += segment) {
    const payload = data.subarray(off, off + segment);
    messages += r.push({ src: SRC, dst: PBX, seq: 1000 + off, ack: 7001, flags: 0x18, payload, at: 0 }).length;
    packets++;
    if (!withAcks) continue;
    messages += r.push({ src: PBX, dst: SRC, seq: 7001, ack: 1000 + off + payload.length, flags: TCP_FLAG.ACK, payload: Buffer.alloc(0), at: 0 }).length;
    packets++;
  }
  const used = process.cpuUsage(t);
  return { usPerPacket: (used.user + used.system) / packets, packets, messages };
}

const big = Buffer.from(`OPTIONS sip:x@y SIP/2.0\r\nX-Pad: ${'a'.repeat(60_000)}\r\nContent-Length: 0\r\n\r\n`);
const lines = Array.from({ length: 2000 }, (_, i) => `X-H${i}: v\r\n`).join('');
const manyLines = Buffer.from(`OPTIONS sip:x@y SIP/2.0\r\n${lines}Content-Length: 30000\r\n\r\n${'b'.repeat(30_000)}`);
const good = Buffer.from('OPTIONS sip:x SIP/2.0\r\nl: 0\r\n\r\n'.repeat(Math.floor(65_000 / 31) * 20));
const badOne = 'OPTIONS sip:x SIP/2.0\r\nl: 1\r\nl: 2\r\n\r\n';
const bad = Buffer.from(badOne.repeat(Math.floor(65_000 / badOne.length) * 20));

const cases: [string, Buffer, number][] = [
  ['60 KB header, 1-byte segments', big, 1],
  ['2000 header lines + 30 KB body, 1-byte segments', manyLines, 1],
  ['good messages, 64 KB segments', good, 65_000],
  ['conflicting Content-Length, 64 KB segments', bad, 65_000],
];
for (const [name, data, seg] of cases) {
  const def = run(data, seg, {}, true);
  const framing = run(data, seg, { requireAck: false, maxSegmentsPerMessage: 1e9, maxFlowBytes: 1 << 20 }, false);
  console.log(
    `${name}: defaults ${def.usPerPacket.toFixed(2)} µs/packet (${def.packets} packets, ${def.messages} messages); ` +
      `framing only ${framing.usPerPacket.toFixed(2)} µs/packet (${framing.packets} packets, ${framing.messages} messages)`,
  );
}
