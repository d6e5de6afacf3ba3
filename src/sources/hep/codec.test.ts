import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CHUNK, decodeHep, encodeHep, type HepPacket } from './codec.ts';

const INVITE = Buffer.from('INVITE sip:100@192.0.2.1 SIP/2.0\r\nUser-Agent: friendly-scanner\r\nContent-Length: 0\r\n\r\n');
const v4: HepPacket = {
  family: 4, ipProto: 17, src: { ip: '203.0.113.9', port: 5070 }, dst: { ip: '192.0.2.1', port: 5060 },
  timeSec: 1_795_000_000, timeUsec: 123_456, protocolType: 1, captureId: 2001, authKey: 'sekrit', correlationId: 'abc@host', payload: INVITE,
};
const v6: HepPacket = { family: 6, ipProto: 6, src: { ip: '2001:db8::9', port: 50000 }, dst: { ip: '2001:db8:1::1', port: 5060 }, protocolType: 1, payload: INVITE };

/** Rewrites the uint16 at off (lengths) to build malformed packets from a good one. */
function withU16(buf: Buffer, off: number, value: number): Buffer {
  const b = Buffer.from(buf);
  b.writeUInt16BE(value, off);
  return b;
}
function decodeOk(buf: Buffer): HepPacket {
  const r = decodeHep(buf);
  assert.ok(r.ok, `rejected: ${!r.ok && r.reason}`);
  return r.packet;
}
const reason = (buf: Buffer): string => {
  const r = decodeHep(buf);
  return r.ok ? 'accepted' : r.reason;
};

describe('HEPv3 codec', () => {
  it('round-trips IPv4 with every field, and IPv6 with the minimum', () => {
    assert.deepEqual(decodeOk(encodeHep(v4)), v4);
    assert.deepEqual(decodeOk(encodeHep(v6)), v6);
  });

  it('writes the layout of peers.md §5.5: magic, total length, chunk lengths including their header', () => {
    const buf = encodeHep(v4);
    assert.equal(buf.toString('latin1', 0, 4), 'HEP3');
    assert.equal(buf.readUInt16BE(4), buf.length);
    // First chunk: vendor 0, type 1 (family), length 7 = 6 + 1, AF_INET = 2.
    assert.deepEqual([...buf.subarray(6, 13)], [0, 0, 0, 1, 0, 7, 2]);
  });

  it('skips vendor chunks and unknown generic types, reads a mapped IPv6 address as IPv4', () => {
    const extra = [
      { vendor: 0x0004, type: CHUNK.payload, data: Buffer.from('not the payload') },
      { vendor: 0, type: 0x20, data: Buffer.from([1, 2, 3]) },
    ];
    assert.deepEqual(decodeOk(encodeHep(v4, extra)), v4);
    const mapped = decodeOk(encodeHep({ ...v6, src: { ip: '::ffff:203.0.113.9', port: 1 } }));
    assert.equal(mapped.src.ip, '203.0.113.9');
  });

  it('accepts a NUL-terminated auth key', () => {
    assert.equal(decodeOk(encodeHep({ ...v4, authKey: 'sekrit\0' })).authKey, 'sekrit');
  });

  it('rejects malformed packets with a reason', () => {
    const good = encodeHep(v4);
    assert.equal(reason(Buffer.from('HEP')), 'too-short');
    assert.equal(reason(Buffer.concat([Buffer.from('HEP2'), good.subarray(4)])), 'bad-magic');
    assert.equal(reason(good.subarray(0, good.length - 10)), 'truncated');
    assert.equal(reason(withU16(good, 4, good.length - 1)), 'bad-total-length');
    assert.equal(reason(Buffer.concat([good, Buffer.alloc(3)])), 'bad-total-length');
    // A 3-byte tail that cannot hold a chunk header.
    const tail = Buffer.concat([good, Buffer.from([0, 0, 0])]);
    assert.equal(reason(withU16(tail, 4, tail.length)), 'truncated-chunk');
    assert.equal(reason(withU16(good, 6 + 4, 5)), 'bad-chunk-length');
    assert.equal(reason(withU16(good, 6 + 4, 0xffff)), 'chunk-overflow');
    assert.equal(reason(withU16(good, 6 + 4, good.length)), 'chunk-overflow');
  });

  it('rejects wrong sizes, duplicates, missing fields, bad family and compressed payloads', () => {
    const ipChunk = (type: number, ...bytes: number[]) => ({ vendor: 0, type, data: Buffer.from(bytes) });
    assert.equal(reason(encodeHep(v4, [ipChunk(CHUNK.srcIp4, 1, 2, 3, 4, 5)])), 'bad-chunk-size');
    assert.equal(reason(encodeHep(v4, [ipChunk(CHUNK.srcIp4, 192, 0, 2, 50)])), 'duplicate-chunk');
    assert.equal(reason(encodeHep({ ...v4, payload: Buffer.alloc(0) })), 'accepted'); // empty, but present
    const noPayload = encodeHep({ ...v4, correlationId: undefined });
    const cut = noPayload.subarray(0, noPayload.length - (INVITE.length + 6));
    assert.equal(reason(withU16(cut, 4, cut.length)), 'missing-field');
    const compressed = Buffer.concat([cut, Buffer.from([0, 0, 0, 0x10, 0, 8, 0x78, 0x9c])]);
    assert.equal(reason(withU16(compressed, 4, compressed.length)), 'compressed-payload');
    const family = encodeHep(v4);
    family[12] = 7; // the family chunk's data byte
    assert.equal(reason(family), 'bad-family');
  });

  it('refuses to encode more than 65535 bytes', () => {
    assert.throws(() => encodeHep({ ...v4, payload: Buffer.alloc(70_000) }), RangeError);
  });
});
