// The lab itself: namespaces come and go, the agent sees exactly what was sent (UDP and TCP, IPv4
// and IPv6), a kernel drop rule is seen as missing packets, and non-lab destinations are refused.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from './agent-client.ts';
import { cleanupLeftovers, createLab, mustIn, netnsUnavailable, run, RCV_V4, RCV_V6, senderV4, senderV6, type Lab } from './harness.ts';
import { snapshot } from './kernel.ts';
import { markers, newMarker, request } from './sip-messages.ts';

const unavailable = await netnsUnavailable();
if (unavailable) console.log(`# skipping the lab self-test: ${unavailable}`);

describe('netns lab', { skip: unavailable ?? false, timeout: 60_000 }, () => {
  let lab: Lab;
  let rcv: Agent;
  let snd: Agent;

  before(async () => {
    await cleanupLeftovers();
    lab = await createLab({ senders: 3 });
    [rcv, snd] = await Promise.all([Agent.start(lab.rcv), Agent.start(lab.snd)]);
    await rcv.listen([5060, 5080], true);
  });
  after(async () => {
    await Promise.allSettled([rcv?.stop(), snd?.stop()]);
    await lab?.destroy();
  });

  const msgs = (src: string, dst: string, n: number, label: string) =>
    Array.from({ length: n }, () => {
      const marker = newMarker(label);
      return { marker, text: request({ src, dst, marker }) };
    });

  for (const proto of ['udp', 'tcp'] as const) {
    for (const [fam, src, dst] of [['v4', senderV4(2), RCV_V4], ['v6', senderV6(2), RCV_V6]] as const) {
      test(`${proto} ${fam}: every message arrives, from the chosen source address`, async () => {
        const batch = msgs(src, dst, 20, `${proto}${fam}`);
        const r = await snd.send({ proto, src, dst, port: 5080, messages: batch.map((m) => m.text) });
        assert.equal(r.sent, 20);
        const got = await rcv.take();
        assert.deepEqual(markers(got), batch.map((m) => m.marker).sort());
        assert.ok(got.every((a) => a.src === src && a.dstPort === 5080 && a.proto === proto));
      });
    }
  }

  test('a kernel drop rule shows up as missing messages, other sources still arrive', async () => {
    await mustIn(lab.rcv, 'iptables', ['-I', 'INPUT', '-s', senderV4(3), '-j', 'DROP']);
    try {
      const dropped = msgs(senderV4(3), RCV_V4, 5, 'drop');
      const passed = msgs(senderV4(1), RCV_V4, 5, 'pass');
      await snd.send({ proto: 'udp', src: senderV4(3), dst: RCV_V4, port: 5060, messages: dropped.map((m) => m.text) });
      await snd.send({ proto: 'udp', src: senderV4(1), dst: RCV_V4, port: 5060, messages: passed.map((m) => m.text) });
      const tcp = await snd.send({ proto: 'tcp', src: senderV4(3), dst: RCV_V4, port: 5060, messages: [dropped[0].text], timeoutMs: 500 });
      assert.equal(tcp.sent, 0, 'a TCP connect to a dropping host does not connect');
      assert.deepEqual(markers(await rcv.take()), passed.map((m) => m.marker).sort());
    } finally {
      await mustIn(lab.rcv, 'iptables', ['-D', 'INPUT', '-s', senderV4(3), '-j', 'DROP']);
    }
  });

  test('exchange: a UDP request from a fixed port gets the listener answer', async () => {
    const marker = newMarker('xchg');
    const reply = await snd.exchange(senderV4(1), 40000, RCV_V4, 5060, request({ src: senderV4(1), dst: RCV_V4, marker }));
    assert.match(reply ?? '', /^SIP\/2\.0 200 OK\r\n/);
    assert.match(reply ?? '', new RegExp(`Call-ID: mk-${marker.replace('.', '\\.')}-`));
    await rcv.take();
  });

  test('the sender refuses destinations outside the lab ranges', async () => {
    for (const dst of ['192.0.2.1', '127.0.0.1', '2001:db8::1', 'example.com']) {
      await assert.rejects(snd.send({ proto: 'udp', src: senderV4(1), dst, port: 5060, messages: ['x'] }), /refused destination/);
    }
  });

  test('a snapshot of an empty namespace shows no rules, and a rule then shows up', async () => {
    const empty = await snapshot(lab.snd);
    assert.deepEqual(empty, { iptables: '', ip6tables: '', nft: '', ipset: '' });
    await mustIn(lab.snd, 'ipset', ['create', 'probe', 'hash:ip', 'timeout', '60']);
    await mustIn(lab.snd, 'ipset', ['add', 'probe', '10.9.9.9']);
    const one = await snapshot(lab.snd);
    assert.match(one.ipset, /^10\.9\.9\.9$/m, 'entry countdown stripped');
    await mustIn(lab.snd, 'ipset', ['destroy', 'probe']);
  });

  test('leftovers of a dead process are cleaned up by name, live ones are kept', async () => {
    const dead = 'swt-999999999-1-rcv';
    await run('ip', ['netns', 'add', dead]);
    const removed = await cleanupLeftovers();
    assert.ok(removed.includes(dead));
    assert.ok(!removed.includes(lab.rcv));
    const list = await run('ip', ['netns', 'list']);
    assert.ok(list.stdout.includes(lab.rcv));
    assert.ok(!list.stdout.includes(dead));
  });
});
