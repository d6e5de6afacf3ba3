import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Endpoint } from '../../core/types.ts';
import { NONE, PBX, SCAN, segmentLab, T0, VICTIM } from '../../../test/helpers/tcp-segments.ts';
import { framingWork } from './sip-framing.ts';
import { TCP_FLAG } from './tcp-stream.ts';

describe('TCP messages wait for the other side ACK', () => {
  it('a forged mid-stream segment with a scanner UA yields nothing without the ACK, and is dropped and counted', () => {
    const s = segmentLab();
    s.push(VICTIM, PBX, 5000, TCP_FLAG.ACK | 0x08, SCAN);
    assert.equal(s.out.length, 0);
    // The host answers a segment on no connection with a RST ACKing it: that is no acceptance.
    s.push(PBX, VICTIM, 0, TCP_FLAG.RST | TCP_FLAG.ACK, NONE, T0 + 1, 5000 + SCAN.length);
    s.push(VICTIM, PBX, 9000, TCP_FLAG.ACK, NONE, T0 + 6000); // later traffic: the sweep gives up on it
    assert.equal(s.out.length, 0);
    assert.deepEqual(s.drops, { 'tcp-unproven': 1 });
    assert.equal(s.r.bufferedBytes, 0);
  });

  it('joined mid-way: ACKed bytes come out, with their source, once the client ACKed bytes the PBX sent', () => {
    const s = segmentLab();
    s.push(VICTIM, PBX, 5000, TCP_FLAG.ACK | 0x08, SCAN);
    s.push(PBX, VICTIM, 7000, TCP_FLAG.ACK, NONE, T0 + 1, 5000 + SCAN.length - 1); // not past the last byte
    assert.equal(s.out.length, 0);
    s.push(PBX, VICTIM, 7000, TCP_FLAG.ACK, NONE, T0 + 2, 5000 + SCAN.length);
    assert.equal(s.out.length, 0, 'ACKed, but a blind spoofer can get an ACK too: not proven yet');
    const reply = Buffer.from('SIP/2.0 200 OK\r\nCall-ID: f1\r\nl: 0\r\n\r\n');
    s.push(PBX, VICTIM, 7000, 0x18, reply, T0 + 3, 5000 + SCAN.length);
    s.push(VICTIM, PBX, 5000 + SCAN.length, TCP_FLAG.ACK, NONE, T0 + 4, 7000 + reply.length - 1); // ACKs the PBX's bytes
    assert.deepEqual(s.out.filter((m) => m.src === VICTIM).map((m) => m.payload.toString()), [SCAN.toString()]);
    assert.deepEqual(s.drops, {});
  });

  it('a forged segment on a real connection, behind what the host ACKs, is dropped and counted', () => {
    const s = segmentLab();
    s.push(VICTIM, PBX, 999, TCP_FLAG.SYN);
    s.push(PBX, VICTIM, 7000, TCP_FLAG.SYN | TCP_FLAG.ACK, NONE, T0, 1000);
    const real = Buffer.from('REGISTER sip:192.0.2.1 SIP/2.0\r\nCall-ID: r1\r\nl: 0\r\n\r\n');
    s.push(VICTIM, PBX, 1000, 0x18, real, T0 + 1, 7001);
    // The forger guesses a sequence number past the real stream; the host keeps ACKing only the real bytes.
    s.push(VICTIM, PBX, 1000 + real.length + 100, 0x18, SCAN, T0 + 2);
    s.push(PBX, VICTIM, 7001, TCP_FLAG.ACK, NONE, T0 + 3, 1000 + real.length);
    assert.deepEqual(s.out.map((m) => m.payload.toString()), [real.toString()]);
    s.push(PBX, VICTIM, 7001, TCP_FLAG.ACK, NONE, T0 + 7000, 1000 + real.length);
    assert.deepEqual(s.out.length, 1);
    assert.ok(!s.r.end().some((m) => m.payload.includes('friendly-scanner')));
    assert.equal(s.drops['tcp-gap'], 1, 'the forged bytes sat behind a gap that never filled');
  });

  it('a message sent with its FIN is read once the FIN and data are ACKed', () => {
    const s = segmentLab();
    s.push(VICTIM, PBX, 999, TCP_FLAG.SYN);
    s.push(PBX, VICTIM, 7000, TCP_FLAG.SYN | TCP_FLAG.ACK, NONE, T0, 1000);
    s.push(VICTIM, PBX, 1000, 0x19, SCAN, T0 + 1, 7001); // data + FIN: the flow ends but its message waits
    assert.equal(s.out.length, 0);
    s.push(PBX, VICTIM, 7001, TCP_FLAG.ACK | TCP_FLAG.FIN, NONE, T0 + 2, 1001 + SCAN.length);
    assert.equal(s.out.length, 1);
    assert.deepEqual([s.drops, s.r.flowCount], [{}, 0]);
  });

  it('drops segments far outside the window unless the host ACKs there (a connection whose SYN we missed)', () => {
    const s = segmentLab();
    s.push(VICTIM, PBX, 999, TCP_FLAG.SYN);
    s.push(VICTIM, PBX, 1000 + (1 << 24), 0x18, SCAN, T0 + 1);
    s.push(PBX, VICTIM, 7001, TCP_FLAG.ACK, NONE, T0 + 2, 1000);
    assert.deepEqual([s.out.length, s.drops], [0, { 'tcp-out-of-window': 1 }]);
    const far = 1000 + (1 << 25);
    s.push(PBX, VICTIM, 7001, TCP_FLAG.ACK, NONE, T0 + 3, far);
    s.push(VICTIM, PBX, far, 0x18, SCAN, T0 + 4);
    s.push(PBX, VICTIM, 7001, TCP_FLAG.ACK, NONE, T0 + 5, far + SCAN.length);
    assert.deepEqual(s.out.length, 0, 'a new stream needs its own proof');
    const reply = Buffer.from('SIP/2.0 200 OK\r\nl: 0\r\n\r\n');
    s.push(PBX, VICTIM, 9000, 0x18, reply, T0 + 6, far + SCAN.length);
    s.push(VICTIM, PBX, far + SCAN.length, TCP_FLAG.ACK, NONE, T0 + 7, 9000 + reply.length);
    assert.deepEqual(s.out.filter((m) => m.src === VICTIM).length, 1);
  });

  it('one-way captures (replay): messages go out unACKed, counted once per flow, until the capture shows reverse traffic', () => {
    const s = segmentLab({ oneWayFallback: true });
    s.push(VICTIM, PBX, 5000, 0x18, SCAN);
    s.push(VICTIM, PBX, 5000 + SCAN.length, 0x18, SCAN, T0 + 1);
    assert.deepEqual([s.out.length, s.drops], [2, { 'tcp-one-way': 1 }]);
    const other: Endpoint = { ip: '203.0.113.9', port: 40001 };
    s.push(other, PBX, 999, TCP_FLAG.SYN, NONE, T0 + 2);
    s.push(PBX, other, 7000, TCP_FLAG.SYN | TCP_FLAG.ACK, NONE, T0 + 3, 1000); // the file has both directions after all
    s.push(VICTIM, PBX, 5000 + 2 * SCAN.length, 0x18, SCAN, T0 + 4);
    s.push(other, PBX, 1000, TCP_FLAG.ACK, NONE, T0 + 6000);
    assert.deepEqual([s.out.length, s.drops], [2, { 'tcp-one-way': 1, 'tcp-unproven': 1 }]);
  });

  it('waiting messages have their own allowance of maxFlowBytes (the oldest are shed)', () => {
    const s = segmentLab({ maxFlowBytes: 4 * SCAN.length });
    for (let i = 0; i < 5; i++) s.push(VICTIM, PBX, 5000 + i * SCAN.length, 0x18, SCAN, T0 + i);
    assert.equal(s.out.length, 0);
    assert.ok(s.r.bufferedBytes <= 4 * SCAN.length);
    assert.deepEqual(s.drops, { 'tcp-unproven': 1 });
  });
});

describe('TCP reassembly work is linear in the bytes', () => {
  const scanned = (run: () => void): number => {
    const before = framingWork.bytesScanned;
    run();
    return framingWork.bytesScanned - before;
  };
  const feed = (s: ReturnType<typeof segmentLab>, data: Buffer, size: number) => {
    s.push(VICTIM, PBX, 999, TCP_FLAG.SYN);
    for (let i = 0; i < data.length; i += size) s.push(VICTIM, PBX, 1000 + i, 0x18, data.subarray(i, i + size));
  };

  // A rescan from the message start on every segment would scan ~n²/2 bytes (1.8e9 here).
  it('a 60 KB header in 1-byte segments is scanned once, plus a few bytes per segment', () => {
    const big = Buffer.from(`OPTIONS sip:x@y SIP/2.0\r\nX-Pad: ${'a'.repeat(60_000)}\r\nContent-Length: 0\r\n\r\n`);
    const s = segmentLab({ requireAck: false, maxSegmentsPerMessage: 1e6 });
    const work = scanned(() => feed(s, big, 1));
    const [bytes, segments] = [big.length, big.length];
    assert.equal(s.out.length, 1);
    assert.ok(work < 2 * bytes + 4 * segments, `${work} bytes scanned for ${bytes} bytes in ${segments} segments`);
  });

  it('a body in 1-byte segments costs nothing once the Content-Length is read', () => {
    const msg = Buffer.from(`INVITE sip:x@y SIP/2.0\r\nContent-Length: 30000\r\n\r\n${'b'.repeat(30_000)}`);
    const s = segmentLab({ requireAck: false, maxSegmentsPerMessage: 1e6 });
    const work = scanned(() => feed(s, msg, 1));
    assert.equal(s.out.length, 1);
    assert.ok(work < 200, `${work} bytes scanned`);
  });

  it('conflicting Content-Length headers: each byte scanned a bounded number of times', () => {
    const one = 'OPTIONS sip:x SIP/2.0\r\n'.repeat(500) + 'l: 1\r\nl: 2\r\n\r\n';
    const data = Buffer.from(one.repeat(5));
    const s = segmentLab({ requireAck: false });
    const work = scanned(() => feed(s, data, 65_000));
    assert.equal(s.drops['tcp-bad-content-length'], 5);
    assert.ok(work < 4 * data.length, `${work} bytes scanned for ${data.length}`);
  });

  it('oversize headers with no end: each byte scanned a bounded number of times', () => {
    // Each header outgrows maxFlowBytes before its end. Three passes over it: the search for the
    // header's end, the look back for its last line (where to resync), the search for a start line.
    const one = `OPTIONS sip:x@y SIP/2.0\r\nX-Pad: ${'a'.repeat(70_000)}\r\n`;
    const data = Buffer.from(one.repeat(5));
    const s = segmentLab({ requireAck: false });
    const work = scanned(() => feed(s, data, 1000));
    assert.equal(s.drops['tcp-oversize-message'], 5);
    assert.ok(work < 4 * data.length, `${work} bytes scanned for ${data.length}`);
  });

  it('caps the segments one message may span', () => {
    const big = Buffer.from(`OPTIONS sip:x@y SIP/2.0\r\nX-Pad: ${'a'.repeat(1000)}\r\nContent-Length: 0\r\n\r\nOPTIONS sip:x SIP/2.0\r\nl: 0\r\n\r\n`);
    const s = segmentLab({ requireAck: false });
    feed(s, big, 1);
    assert.deepEqual([s.out.length, s.drops], [1, { 'tcp-too-many-segments': 1 }], 'the message after it is read');
  });
});
