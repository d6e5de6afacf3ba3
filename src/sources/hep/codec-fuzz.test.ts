// Mutated HEP frames (seeded from Kamailio's real ones and our encoder's): the decoder never throws,
// answers every frame with a packet or a named reason, and a packet it returns is well formed.
import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import { test } from 'node:test';
import { kamailioFrames } from '../../../test/helpers/hep-frames.ts';
import { gen } from '../../sip/testgen.ts';
import { decodeHep, encodeHep } from './codec.ts';

const seeds = kamailioFrames();
seeds.push(
  encodeHep({
    family: 4, ipProto: 17, src: { ip: '203.0.113.5', port: 5060 }, dst: { ip: '192.0.2.1', port: 5060 },
    timeSec: 1795700000, timeUsec: 5, protocolType: 1, captureId: 7, authKey: 'k', payload: Buffer.from('OPTIONS sip:a SIP/2.0\r\n\r\n'),
  }),
);

test('200,000 mutated frames: no throw, a packet or a reason, packets well formed', () => {
  const g = gen(9060);
  const reasons = new Map<string, number>();
  let packets = 0;
  for (let i = 0; i < 200_000; i++) {
    const b = Buffer.from(g.pick(seeds));
    for (let k = g.int(1, 4); k > 0; k--) {
      const at = g.int(0, b.length - 1);
      switch (g.int(0, 3)) {
        case 0: b[at] ^= 1 << g.int(0, 7); break; // a bit flip
        case 1: b[at] = g.pick([0, 0xff, 0x7f, 0x80, 1, 2]); break; // an edge byte (often a length)
        case 2: b.writeUInt16BE(g.pick([0, 1, 5, 6, 0xffff]), Math.min(at, b.length - 2)); break; // a 16-bit length
        default: break;
      }
    }
    const cut = g.chance(0.2) ? b.subarray(0, g.int(0, b.length)) : b;
    const r = decodeHep(cut);
    if (!r.ok) {
      assert.equal(typeof r.reason, 'string');
      reasons.set(r.reason, (reasons.get(r.reason) ?? 0) + 1);
      continue;
    }
    packets++;
    const p = r.packet;
    assert.ok(isIP(p.src.ip) && isIP(p.dst.ip), `addresses ${p.src.ip} ${p.dst.ip}`);
    assert.ok(Number.isInteger(p.src.port) && p.src.port >= 0 && p.src.port <= 65535);
    assert.ok(Buffer.isBuffer(p.payload));
  }
  assert.ok(packets > 10_000 && reasons.size >= 3, `packets ${packets}, reasons ${JSON.stringify([...reasons])}`);
});
