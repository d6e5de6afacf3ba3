// Regression tests for attacks on the TCP reassembly found in review: each one got a forged message
// released (an innocent address banned) or a real scanner message lost before the fix.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NONE, PBX, SCAN, segmentLab, T0, VICTIM } from '../../../test/helpers/tcp-segments.ts';
import { cutSipMessage } from './sip-framing.ts';
import { TCP_FLAG } from './tcp-stream.ts';

const PSH_ACK = 0x18;

describe('a blind spoofer cannot get an address banned', () => {
  it('forged data, then a forged SYN at its end - 1: the PBX SYN-ACK ACKs it, but the flow is unproven', () => {
    const s = segmentLab();
    const S = 5000;
    s.push(VICTIM, PBX, S, TCP_FLAG.ACK | 0x08, SCAN, T0);
    s.push(PBX, VICTIM, 0, TCP_FLAG.RST, NONE, T0 + 1); // no connection: the PBX resets
    s.push(VICTIM, PBX, S + SCAN.length - 1, TCP_FLAG.SYN, NONE, T0 + 2);
    s.push(PBX, VICTIM, 777, TCP_FLAG.SYN | TCP_FLAG.ACK, NONE, T0 + 3, S + SCAN.length);
    // The spoofer goes on blind: its ACK cannot name the PBX's ISN + 1 (778).
    s.push(VICTIM, PBX, S + SCAN.length, TCP_FLAG.ACK, NONE, T0 + 4, 12345);
    s.push(VICTIM, PBX, S + SCAN.length, TCP_FLAG.ACK, NONE, T0 + 6000, 12345); // time passes
    assert.equal(s.out.length, 0, 'forged message released by a SYN-ACK');
    assert.equal(s.drops['tcp-unproven'], 1);
    assert.equal(s.r.bufferedBytes, 0);
  });

  it('forged data and SYN: the half-open connection answers with a bare ACK of the forged end', () => {
    const s = segmentLab();
    s.push(VICTIM, PBX, 5000, TCP_FLAG.ACK | 0x08, SCAN, T0);
    s.push(VICTIM, PBX, 5000 + SCAN.length - 1, TCP_FLAG.SYN, NONE, T0 + 2);
    s.push(PBX, VICTIM, 778, TCP_FLAG.ACK, NONE, T0 + 4, 5000 + SCAN.length);
    assert.equal(s.out.length, 0, 'released by request-sock ACK');
  });

  it('a real client (handshake, segments ACKing the PBX ISN + 1) is released once ACKed', () => {
    const s = segmentLab();
    s.handshake();
    s.push(VICTIM, PBX, 1000, PSH_ACK, SCAN, T0 + 1, 7001);
    assert.equal(s.out.length, 0);
    s.push(PBX, VICTIM, 7001, TCP_FLAG.ACK, NONE, T0 + 2, 1000 + SCAN.length);
    assert.equal(s.fromVictim().length, 1);
    assert.deepEqual(s.drops, {});
  });

  it('a message across sequence number 2^32 is released exactly when its last byte is ACKed', () => {
    const s = segmentLab();
    const isn = 0xffffffff - 20;
    s.handshake(isn);
    s.push(VICTIM, PBX, isn + 1, PSH_ACK, SCAN, T0 + 1, 7001);
    s.push(PBX, VICTIM, 7001, TCP_FLAG.ACK, NONE, T0 + 2, (isn + SCAN.length) >>> 0);
    assert.equal(s.out.length, 0);
    s.push(PBX, VICTIM, 7001, TCP_FLAG.ACK, NONE, T0 + 2, (isn + 1 + SCAN.length) >>> 0);
    assert.equal(s.out.length, 1);
  });
});

describe('segments the host discards are discarded here too', () => {
  it('a decoy without the ACK flag does not shadow the real message at the same seq', () => {
    const s = segmentLab();
    const real = Buffer.from('REGISTER sip:192.0.2.1 SIP/2.0\r\nUser-Agent: friendly-scanner\r\nl: 0\r\n\r\n');
    const base = 'OPTIONS sip:192.0.2.1 SIP/2.0\r\nUser-Agent: Yealink T46\r\nX: \r\nl: 0\r\n\r\n';
    const decoy = Buffer.from(base.replace('X: ', 'X: ' + 'a'.repeat(real.length - base.length)));
    assert.equal(decoy.length, real.length);
    s.handshake();
    s.push(VICTIM, PBX, 1000, 0x08, decoy); // PSH only, no ACK: Linux drops it
    s.push(VICTIM, PBX, 1000, PSH_ACK, real, T0, 7001);
    s.push(PBX, VICTIM, 7001, TCP_FLAG.ACK, NONE, T0, 1000 + real.length);
    assert.deepEqual(s.out.map((m) => m.payload.toString()), [real.toString()]);
    assert.deepEqual(s.drops, { 'tcp-no-ack-flag': 1 });
  });

  it('a retransmission with different bytes is counted (the first copy stays)', () => {
    const s = segmentLab();
    s.handshake();
    const head = SCAN.subarray(0, 40);
    s.push(VICTIM, PBX, 1000, PSH_ACK, head, T0, 7001);
    s.push(VICTIM, PBX, 1000, PSH_ACK, Buffer.from(head).fill(0x41, 0, 7), T0, 7001); // same length, other bytes
    s.push(VICTIM, PBX, 1000, PSH_ACK, head, T0, 7001); // an honest retransmission
    s.push(VICTIM, PBX, 1100, PSH_ACK, Buffer.from('a'), T0, 7001);
    s.push(VICTIM, PBX, 1100, PSH_ACK, Buffer.from('b'), T0, 7001); // a held segment rewritten
    assert.deepEqual(s.drops, { 'tcp-overlap-conflict': 2 });
  });

  it('a RST in the window but not at the exact position is ignored: the scanner message is kept', () => {
    const s = segmentLab();
    s.handshake();
    s.push(VICTIM, PBX, 1000, PSH_ACK, SCAN, T0 + 1, 7001);
    const n = 1000 + SCAN.length;
    s.push(VICTIM, PBX, n + 10, PSH_ACK, Buffer.from('x'), T0 + 1, 7001); // held
    s.push(VICTIM, PBX, n + 5, TCP_FLAG.RST, NONE, T0 + 1); // not exact: Linux ignores it
    s.push(PBX, VICTIM, 7001, PSH_ACK, Buffer.from('SIP/2.0 401 Unauthorized\r\nl: 0\r\n\r\n'), T0 + 2, n);
    assert.equal(s.fromVictim().length, 1, 'scanner message lost');
    assert.equal(s.drops['tcp-bad-rst'], 1);
  });

  it('an exact RST captured before the ACK of the last message: the message still comes out', () => {
    const s = segmentLab();
    s.handshake();
    s.push(VICTIM, PBX, 1000, PSH_ACK, SCAN, T0 + 1, 7001);
    s.push(VICTIM, PBX, 1000 + SCAN.length, TCP_FLAG.RST, NONE, T0 + 2);
    s.push(PBX, VICTIM, 7001, TCP_FLAG.ACK, NONE, T0 + 3, 1000 + SCAN.length);
    assert.equal(s.fromVictim().length, 1);
    assert.equal(s.r.flowCount, 0, 'both directions end once nothing waits');
    assert.deepEqual(s.drops, {});
  });
});

describe('pipelined messages are not shed for other bytes', () => {
  it('700 pipelined OPTIONS in one (GRO) segment: the most recent 64 KiB of them come out', () => {
    const s = segmentLab();
    s.handshake();
    const burst = Buffer.concat(Array.from({ length: 700 }, () => SCAN));
    s.push(VICTIM, PBX, 1000, PSH_ACK, burst, T0 + 1, 7001);
    s.push(PBX, VICTIM, 7001, TCP_FLAG.ACK, NONE, T0 + 2, 1000 + burst.length);
    const kept = Math.floor((64 * 1024) / SCAN.length);
    assert.equal(s.out.length, kept);
    assert.deepEqual(s.drops, { 'tcp-unacked': 700 - kept });
  });

  it('a message then a big unfinished message in one segment: the first one comes out', () => {
    const s = segmentLab();
    s.handshake();
    const big = Buffer.from('INVITE sip:1@x SIP/2.0\r\nContent-Length: 65480\r\n\r\n' + 'a'.repeat(65470));
    const seg = Buffer.concat([SCAN, big]);
    s.push(VICTIM, PBX, 1000, PSH_ACK, seg, T0 + 1, 7001);
    s.push(PBX, VICTIM, 7001, TCP_FLAG.ACK, NONE, T0 + 2, 1000 + seg.length);
    assert.equal(s.out.length, 1);
  });
});

describe('Content-Length is read strictly', () => {
  const cut = (cl: string) => cutSipMessage(Buffer.from(`OPTIONS sip:x SIP/2.0\r\nContent-Length: ${cl}\r\n\r\n` + 'y'.repeat(80)), 0, 65536);
  const header = (cl: string) => `OPTIONS sip:x SIP/2.0\r\nContent-Length: ${cl}\r\n\r\n`.length;
  it('digits with leading zeros or spaces around them are the length', () => {
    for (const cl of ['60', '0000000000060', ' 60 ', '\t60']) assert.deepEqual(cut(cl), { kind: 'message', start: 0, end: header(cl) + 60 }, cl);
  });
  it('anything else is bad framing, never a length of 0; a huge length is oversize', () => {
    for (const cl of ['+60', '6 0', '60 ;x', '', '-1', '0x3c']) assert.equal((cut(cl) as { reason?: string }).reason, 'tcp-bad-content-length', cl);
    for (const cl of ['1234567890', '9'.repeat(400)]) assert.equal((cut(cl) as { reason?: string }).reason, 'tcp-oversize-message', cl);
  });
});
