import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PBX, segmentLab } from '../../../test/helpers/tcp-segments.ts';
import { cutSipMessage, findStartLine } from './sip-framing.ts';
import { TCP_FLAG, type TcpLimits } from './tcp-stream.ts';

function msg(method: string, id: string, extra = '', body = ''): Buffer {
  return Buffer.from(
    `${method} sip:100@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/TCP 203.0.113.9:40000\r\nCall-ID: ${id}\r\nCSeq: 1 ${method}\r\n${extra}` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/**
 * These tests are about framing, so messages go out without waiting for the PBX's ACK unless
 * requireAck is given (tcp-acks.test.ts tests that rule).
 */
const setup = (limits: Partial<TcpLimits> = {}) => segmentLab({ requireAck: false, ...limits });

describe('TCP reassembly for SIP', () => {
  it('joins a header split over segments and a body split over segments', () => {
    const s = setup();
    const c = s.conn('203.0.113.9');
    c.syn();
    const invite = msg('INVITE', 'a1', 'User-Agent: friendly-scanner\r\n', 'v=0\r\no=- 1 1 IN IP4 203.0.113.9\r\n');
    const ua = invite.indexOf('friendly') + 4;
    const body = invite.length - 10;
    for (const [from, to] of [[0, 7], [7, ua], [ua, body], [body, invite.length]]) c.send(invite.subarray(from, to));
    assert.equal(s.out.length, 1);
    assert.deepEqual(s.out[0].payload, invite);
    assert.deepEqual([s.out[0].src, s.out[0].dst], [c.src, PBX]);
    assert.deepEqual(s.drops, {});
  });

  it('cuts three messages and keep-alives out of one segment; bare LF and compact l: too', () => {
    const s = setup();
    const c = s.conn('203.0.113.9');
    c.syn();
    const lf = Buffer.from('OPTIONS sip:100@192.0.2.1 SIP/2.0\nCall-ID: a3\nl: 4\n\nabcd');
    c.send(Buffer.concat([Buffer.from('\r\n\r\n'), msg('REGISTER', 'a1'), Buffer.from('\r\n'), msg('INVITE', 'a2', '', 'v=0\r\n'), lf, Buffer.from('\r\n\r\n')]));
    assert.deepEqual(s.ids(), ['a1', 'a2', 'a3']);
    assert.deepEqual(s.out[2].payload, lf);
    assert.ok(s.out[1].payload.toString().endsWith('\r\n\r\nv=0\r\n'));
    assert.deepEqual(s.drops, {});
  });

  it('ignores retransmitted and overlapping segments', () => {
    const s = setup();
    const c = s.conn('203.0.113.9');
    c.syn();
    const m = Buffer.concat([msg('REGISTER', 'b1'), msg('REGISTER', 'b2')]);
    c.send(m.subarray(0, 50));
    c.send(m.subarray(0, 50), { off: 0 }); // the same segment again
    c.send(m.subarray(20, 90), { off: 20 }); // overlaps: only bytes 50-90 are new
    c.skip(40);
    c.send(m.subarray(90));
    c.send(m, { off: 0 }); // everything once more
    assert.deepEqual(s.ids(), ['b1', 'b2']);
    assert.deepEqual(Buffer.concat(s.out.map((o) => o.payload)), m);
    assert.deepEqual(s.drops, {});
  });

  it('holds out-of-order segments until the missing one arrives', () => {
    const s = setup();
    const c = s.conn('203.0.113.9');
    c.syn();
    const m = Buffer.concat([msg('REGISTER', 'c1'), msg('INVITE', 'c2', '', 'v=0\r\n')]);
    c.send(m.subarray(100, 200), { off: 100 });
    c.send(m.subarray(200), { off: 200 });
    assert.equal(s.out.length, 0);
    c.send(m.subarray(0, 100), { off: 0 });
    assert.deepEqual(s.ids(), ['c1', 'c2']);
    assert.deepEqual(s.drops, {});
  });

  it('a lost segment: the broken message is counted and dropped, the stream resyncs, no bytes are glued', () => {
    const s = setup({ gapWaitMs: 500 });
    const c = s.conn('203.0.113.9');
    const other = s.conn('198.51.100.7', 40001);
    c.syn();
    other.syn();
    const first = msg('INVITE', 'd1', 'User-Agent: friendly-scanner\r\n');
    c.send(first.subarray(0, 40));
    c.skip(30); // lost in the capture: never retransmitted
    c.send(first.subarray(70));
    c.send(msg('REGISTER', 'd2'));
    other.send(msg('REGISTER', 'e1'));
    assert.deepEqual(s.ids(), ['e1'], 'the other flow is not held up');
    c.send(msg('REGISTER', 'd3'), { dt: 600 }); // the gap has waited long enough
    assert.deepEqual(s.ids(), ['e1', 'd2', 'd3']);
    assert.deepEqual(s.drops, { 'tcp-gap': 1 });
    for (const o of s.out) {
      const id = /Call-ID: (\S+)/.exec(o.payload.toString())![1];
      assert.equal(o.src.ip, id.startsWith('e') ? '198.51.100.7' : '203.0.113.9');
      assert.ok(!o.payload.includes('friendly-scanner'), 'no part of the broken message survives');
      assert.ok(o.payload.subarray(0, 8).toString().match(/^(REGISTER|INVITE)/));
    }
  });

  it('a stream joined mid-way drops bytes up to the first start line (counted once)', () => {
    const s = setup();
    const c = s.conn('203.0.113.9');
    const tail = msg('INVITE', 'f0', '', 'v=0\r\nINVITE this is no start line\r\n').subarray(60);
    c.send(tail); // no SYN seen: we attached to a live connection
    c.send(Buffer.concat([msg('REGISTER', 'f1').subarray(0, 20)]));
    c.send(msg('REGISTER', 'f1').subarray(20));
    c.send(msg('BYE', 'f2'));
    assert.deepEqual(s.ids(), ['f1', 'f2']);
    assert.deepEqual(s.drops, { 'tcp-midstream': 1 });
    const clean = setup();
    clean.conn('203.0.113.9').send(msg('REGISTER', 'g1'));
    assert.deepEqual([clean.ids(), clean.drops], [['g1'], {}], 'joined at a message start: nothing lost');
  });

  it('counts TLS (not SIP) and conflicting Content-Length, then reads what follows', () => {
    const s = setup();
    const tls = s.conn('203.0.113.9');
    tls.syn();
    tls.send(Buffer.from('160301020001', 'hex'));
    tls.send(Buffer.alloc(300, 0x17));
    const bad = s.conn('203.0.113.10');
    bad.syn();
    bad.send(Buffer.concat([msg('INVITE', 'h1', 'Content-Length: 99\r\n'), msg('REGISTER', 'h2')]));
    assert.deepEqual(s.ids(), ['h2']);
    assert.deepEqual(s.drops, { 'tcp-not-sip': 1, 'tcp-bad-content-length': 1 });
  });

  it('FIN ends a flow after its data; RST ends both directions; unfinished bytes are counted', () => {
    const s = setup();
    const c = s.conn('203.0.113.9');
    c.syn();
    c.send(msg('BYE', 'i1'), { flags: 0x19 }); // data with FIN
    assert.deepEqual([s.ids(), s.r.flowCount], [['i1'], 0]);
    const d = s.conn('203.0.113.9', 40002);
    d.syn();
    d.synAck();
    d.send(msg('INVITE', 'i2').subarray(0, 50));
    d.send('', { flags: TCP_FLAG.RST, off: 5000 }); // not at the stream's position: the host ignores it, so do we
    d.send('', { flags: TCP_FLAG.SYN, off: 3000 }); // a SYN on a flow with unread bytes: ignored too
    assert.equal(s.r.flowCount, 2);
    d.send('', { flags: TCP_FLAG.RST });
    assert.equal(s.r.flowCount, 0);
    d.send(msg('INVITE', 'i2').subarray(50)); // after the reset: a mid-stream tail, not glued on
    assert.deepEqual(s.ids(), ['i1']);
    assert.deepEqual(s.drops, { 'tcp-bad-rst': 1, 'tcp-bad-syn': 1, 'tcp-reset': 1, 'tcp-midstream': 1 });
  });

  it('caps flows (the least recently used is evicted) and bytes per flow', () => {
    const s = setup({ maxFlows: 3, maxFlowBytes: 1024 });
    const conns = [1, 2, 3, 4].map((i) => s.conn(`203.0.113.${i}`));
    conns[0].syn();
    conns[0].send(msg('INVITE', 'j1').subarray(0, 30));
    for (const c of conns.slice(1)) c.syn();
    assert.equal(s.r.flowCount, 3);
    assert.deepEqual(s.drops, { 'tcp-flow-evicted': 1 });
    const big = conns[1];
    big.send(msg('INVITE', 'k1', `X-Pad: ${'a'.repeat(2000)}\r\n`));
    big.send(msg('REGISTER', 'k2'));
    big.skip(10); // a gap, and more than the flow may hold waiting behind it
    for (let i = 0; i < 6; i++) big.send(msg('REGISTER', `k${i + 3}`, `X-Pad: ${'b'.repeat(100)}\r\n`));
    big.send(msg('REGISTER', 'k9'));
    assert.deepEqual(s.ids(), ['k2', 'k8', 'k9'], 'k3-k7 dropped when they overflowed the flow; it goes on after them');
    assert.deepEqual(s.drops, { 'tcp-flow-evicted': 1, 'tcp-oversize-message': 1, 'tcp-flow-overflow': 1 });
    const total = setup({ maxTotalBytes: 100 });
    const [a, b] = [total.conn('203.0.113.1'), total.conn('203.0.113.2')];
    a.syn();
    b.syn();
    a.send(msg('INVITE', 'l1').subarray(0, 80));
    b.send(msg('INVITE', 'l2').subarray(0, 80));
    assert.deepEqual([total.drops, total.r.flowCount, total.r.bufferedBytes], [{ 'tcp-flow-evicted': 1 }, 1, 80]);
  });

  it('expires idle flows, follows sequence numbers across 2^32, and flushes at the end', () => {
    const s = setup({ idleMs: 10_000 });
    const c = s.conn('203.0.113.9', 40000, 0xffffffff - 20);
    c.syn();
    c.send(msg('REGISTER', 'm1'));
    c.send(msg('INVITE', 'm2').subarray(0, 40));
    s.conn('203.0.113.10').send(msg('OPTIONS', 'm3'), { dt: 11_000 });
    assert.deepEqual(s.ids(), ['m1', 'm3']);
    assert.deepEqual(s.drops, { 'tcp-idle': 1 });
    const e = setup();
    const d = e.conn('203.0.113.9');
    d.syn();
    d.skip(10);
    d.send(msg('REGISTER', 'n1'));
    assert.deepEqual(e.ids(), []);
    e.out.push(...e.r.end());
    assert.deepEqual([e.ids(), e.drops], [['n1'], { 'tcp-gap': 1 }]);
  });
});

describe('TCP reassembly under shuffling and garbage', () => {
  /** A deterministic PRNG, so a failure can be replayed. */
  const rng = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);

  it('any cutting, small reordering and duplication of a stream yields exactly its messages', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const rand = rng(seed);
      const msgs = Array.from({ length: 8 }, (_, i) => msg(i % 2 ? 'INVITE' : 'REGISTER', `s${seed}-${i}`, '', i % 2 ? 'v=0\r\n'.repeat(1 + i) : ''));
      const stream = Buffer.concat(msgs.flatMap((m) => [m, Buffer.from(rand() < 0.3 ? '\r\n\r\n' : '')]));
      const pieces: { off: number; data: Buffer }[] = [];
      for (let off = 0; off < stream.length; ) {
        const n = 1 + Math.floor(rand() * 120);
        pieces.push({ off, data: stream.subarray(off, off + n) });
        off += n;
      }
      for (let i = 0; i + 1 < pieces.length; i++) if (rand() < 0.2) [pieces[i], pieces[i + 1]] = [pieces[i + 1], pieces[i]];
      const s = setup();
      const c = s.conn('203.0.113.9', 40000, Math.floor(rand() * 2 ** 32));
      c.syn();
      for (const p of pieces) {
        c.send(p.data, { off: p.off });
        if (rand() < 0.1) c.send(p.data, { off: p.off }); // retransmitted
      }
      assert.deepEqual(s.out.map((o) => o.payload.toString()), msgs.map((m) => m.toString()), `seed ${seed}`);
      assert.deepEqual(s.drops, {}, `seed ${seed}`);
    }
  });

  it('garbage on many flows never throws, stays within bounds, and every message keeps its flow source', () => {
    const rand = rng(7);
    const s = setup({ maxFlows: 20, maxFlowBytes: 2048, maxTotalBytes: 16 * 1024 });
    const conns = Array.from({ length: 40 }, (_, i) => s.conn(`198.51.100.${i + 1}`, 40000 + i, Math.floor(rand() * 2 ** 32)));
    const owner = new Map(conns.map((c) => [c.src.ip, c]));
    for (let i = 0; i < 5000; i++) {
      const c = conns[Math.floor(rand() * conns.length)];
      const r = rand();
      if (r < 0.02) c.syn();
      else if (r < 0.5) c.send(msg('OPTIONS', `${c.src.ip}-${i}`).subarray(0, Math.floor(rand() * 200)));
      else if (r < 0.8) c.send(Buffer.from(Array.from({ length: Math.floor(rand() * 300) }, () => Math.floor(rand() * 256))));
      else c.send(msg('REGISTER', `${c.src.ip}-${i}`), { flags: rand() < 0.05 ? 0x19 : 0x18, off: rand() < 0.2 ? Math.floor(rand() * 5000) : undefined });
      assert.ok(s.r.flowCount <= 20 && s.r.bufferedBytes <= 16 * 1024 + 2048);
    }
    s.out.push(...s.r.end());
    assert.ok(s.out.length > 100, `only ${s.out.length} messages`);
    for (const o of s.out) {
      const id = /Call-ID: (\S+)-\d+/.exec(o.payload.toString());
      if (id) assert.equal(id[1], o.src.ip, 'a message carries only its own flow\'s bytes');
      assert.ok(owner.has(o.src.ip));
    }
    assert.equal(s.r.bufferedBytes, 0);
  });

  it('garbage with ACKs, forged ACKs and RSTs: never throws, stays within bounds, ends empty', () => {
    const rand = rng(11);
    const s = setup({ requireAck: true, maxFlows: 20, maxFlowBytes: 2048, maxTotalBytes: 16 * 1024 });
    const conns = Array.from({ length: 40 }, (_, i) => s.conn(`198.51.100.${i + 1}`, 40000 + i, Math.floor(rand() * 2 ** 32)));
    for (let i = 0; i < 5000; i++) {
      const c = conns[Math.floor(rand() * conns.length)];
      const r = rand();
      if (r < 0.08) {
        c.syn();
        c.synAck(); // a real handshake: the flow's segments prove it; mid-stream flows stay unproven
      } else if (r < 0.4) c.send(msg('OPTIONS', `${c.src.ip}-${i}`).subarray(0, Math.floor(rand() * 200)));
      else if (r < 0.6) c.send(msg('REGISTER', `${c.src.ip}-${i}`), { off: rand() < 0.2 ? Math.floor(rand() * 5000) : undefined });
      else if (r < 0.9) c.ack(rand() < 0.8 ? 0 : Math.floor(rand() * 2 ** 32), rand() < 0.05 ? TCP_FLAG.RST | TCP_FLAG.ACK : TCP_FLAG.ACK);
      else c.send('', { flags: TCP_FLAG.RST, off: rand() < 0.5 ? undefined : Math.floor(rand() * 5000) });
      assert.ok(s.r.flowCount <= 20 && s.r.bufferedBytes <= 16 * 1024 + 2048);
    }
    s.out.push(...s.r.end());
    assert.ok(s.out.length > 20, `only ${s.out.length} messages`); // only flows that had a handshake before eviction release any
    for (const o of s.out) {
      const id = /Call-ID: (\S+)-\d+/.exec(o.payload.toString()); // a truncated OPTIONS may have lost it
      if (id) assert.equal(id[1], o.src.ip, 'a message carries only its own flow\'s bytes');
    }
    assert.equal(s.r.bufferedBytes, 0);
    assert.ok((s.drops['tcp-unacked'] ?? 0) > 0 && (s.drops['tcp-unproven'] ?? 0) > 0, JSON.stringify(s.drops));
  });

  it('a FIN behind a gap: what follows the gap is read once the gap is given up, then the flow ends', () => {
    const s = setup({ gapWaitMs: 500 });
    const c = s.conn('203.0.113.9');
    c.syn();
    c.send(msg('INVITE', 'o1').subarray(0, 30));
    c.skip(20);
    c.send(msg('REGISTER', 'o2'), { flags: 0x19 });
    s.conn('203.0.113.10').send(msg('OPTIONS', 'o3'), { dt: 2000 }); // other traffic moves time on
    assert.deepEqual(s.ids(), ['o2', 'o3'], 'the sweep before o3 gives up the gap');
    assert.equal(s.r.flowCount, 1);
    assert.deepEqual(s.drops, { 'tcp-gap': 1 });
  });
});

describe('SIP framing', () => {
  it('finds start lines only at line starts and frames by Content-Length', () => {
    assert.equal(findStartLine(Buffer.from('xx INVITE sip:a SIP/2.0\r\nSIP/2.0 200 OK\r\n')), 25);
    assert.equal(findStartLine(Buffer.from('body\rINVITE sip:a SIP/2.0\r\n')), -1);
    assert.equal(findStartLine(Buffer.from('INVITE sip:a SIP/2.0')), -1, 'a line must be complete');
    assert.deepEqual(cutSipMessage(Buffer.from('\r\nSIP/2.0 100 Trying\r\nl: 0\r\n\r\n'), 0, 1000), { kind: 'message', start: 2, end: 30 });
    assert.deepEqual(cutSipMessage(Buffer.from('INVITE sip:a SIP/2.0\r\nl: 5\r\n\r\nab'), 0, 1000), { kind: 'more', start: 0 });
    assert.deepEqual(cutSipMessage(Buffer.from('INVITE sip:a SIP/2.0\r\nl: 5000\r\n\r\n'), 0, 1000).kind, 'bad');
  });
});
