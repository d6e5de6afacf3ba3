// A real capture: tcpdump on the loopback interface while node:dgram and node:net send SIP to
// 127.0.0.1 and ::1. Needs root (or CAP_NET_RAW) and tcpdump. The daemon end to end (a split
// scanner User-Agent banned, counters in status) is in capture-tcp.test.ts.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { connect, createServer } from 'node:net';
import { describe, it } from 'node:test';
import { collect } from '../helpers/collect-events.ts';
import { sipMessage } from '../helpers/pcap.ts';
import { captureSource } from '../../src/sources/capture/tcpdump.ts';
import type { RawEvent } from '../../src/core/types.ts';

function skipReason(): string | false {
  if (process.getuid?.() !== 0) return 'live capture needs root (tcpdump on lo)';
  try {
    execFileSync('tcpdump', ['--version'], { stdio: 'ignore' });
  } catch {
    return 'tcpdump is not installed';
  }
  return false;
}

// Ports unlikely to be used by other tests running at the same time.
const UDP_PORT = 45000 + (process.pid % 1000);
const TCP_PORT = UDP_PORT + 1000;
const OTHER_PORT = UDP_PORT + 2000;
const marker = `cap-${process.pid}-${Date.now()}`;
const callIds = (evs: RawEvent[]): string[] =>
  evs.flatMap((e) => (e.type === 'sip' ? (/Call-ID: (\S+)/.exec(e.payload.toString())?.[1] ?? []) : []));

describe('live capture with tcpdump on lo', { skip: skipReason() }, () => {
  it('yields SIP over UDP (IPv4 and IPv6) and TCP on the configured ports only, each packet once', async () => {
    const src = captureSource({ interface: 'lo', ports: [{ from: UDP_PORT, to: UDP_PORT }, { from: TCP_PORT, to: TCP_PORT }], immediate: true });
    const c = collect(src);
    const udp4 = createSocket('udp4');
    const udp6 = createSocket('udp6');
    // Like a PBX, the server answers: the connection was set up before tcpdump started, and the
    // client's ACK of the answer is what proves the flow is really the client's (tcp-acks.ts).
    const server = createServer((s) => s.on('data', (d: Buffer) => d.includes('REGISTER') && s.write('SIP/2.0 100 Trying\r\nContent-Length: 0\r\n\r\n')));
    await new Promise<void>((r) => server.listen(TCP_PORT, '127.0.0.1', r));
    try {
      // tcpdump needs a moment to open the interface: probe until the first packet comes back.
      for (let i = 0; i < 50 && callIds(c.events).length === 0; i++) {
        udp4.send(sipMessage('OPTIONS', `${marker}-probe`), UDP_PORT, '127.0.0.1');
        await new Promise((r) => setTimeout(r, 100));
      }
      await c.until((ev) => callIds(ev).length > 0, 5000);
      for (const n of [1, 2, 3]) udp4.send(sipMessage('REGISTER', `${marker}-v4-${n}`), UDP_PORT, '127.0.0.1');
      udp4.send(sipMessage('REGISTER', `${marker}-elsewhere`), OTHER_PORT, '127.0.0.1');
      udp6.send(sipMessage('INVITE', `${marker}-v6`), UDP_PORT, '::1');
      const sock = connect(TCP_PORT, '127.0.0.1');
      await new Promise<void>((r) => sock.once('connect', () => r()));
      sock.write(Buffer.concat([sipMessage('INVITE', `${marker}-tcp-1`, 'v=0\r\n'), sipMessage('BYE', `${marker}-tcp-2`)]));
      const want = ['v4-1', 'v4-2', 'v4-3', 'v6', 'tcp-1', 'tcp-2'].map((s) => `${marker}-${s}`);
      await c.until((ev) => want.every((id) => callIds(ev).includes(id)), 5000);
      sock.destroy();
      await new Promise((r) => setTimeout(r, 300)); // room for a duplicate to show up
    } finally {
      await c.stop();
      udp4.close();
      udp6.close();
      server.close();
    }
    const ids = callIds(c.events).filter((id) => !id.endsWith('-probe'));
    assert.deepEqual([...ids].sort(), ['v4-1', 'v4-2', 'v4-3', 'v6', 'tcp-1', 'tcp-2'].map((s) => `${marker}-${s}`).sort());
    const byId = (id: string) => c.events.find((e) => callIds([e])[0] === `${marker}-${id}`)!;
    const v6 = byId('v6');
    assert.ok(v6.type === 'sip' && v6.src.ip === '::1' && v6.dst.port === UDP_PORT && v6.transport === 'udp');
    const tcp = byId('tcp-2');
    assert.ok(tcp.type === 'sip' && tcp.transport === 'tcp' && tcp.dst.port === TCP_PORT && tcp.src.ip === '127.0.0.1');
    assert.ok(Math.abs(tcp.at - Date.now()) < 10_000, 'at is the capture time');
    assert.equal(src.stats.skipped, 0, JSON.stringify(src.stats.skippedByReason));
  });

  it('reassembles one SIP message written in several TCP segments, and reports tcpdump counters', async () => {
    const port = TCP_PORT + 1;
    const src = captureSource({ interface: 'lo', ports: [{ from: port, to: port }], immediate: true, statsIntervalMs: 200 });
    const c = collect(src);
    // Like a PBX, the server answers: the connection was set up before tcpdump started, and the
    // client's ACK of the answer is what proves the flow is really the client's (tcp-acks.ts).
    const server = createServer((s) => s.on('data', (d: Buffer) => d.includes('REGISTER') && s.write('SIP/2.0 100 Trying\r\nContent-Length: 0\r\n\r\n')));
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    const ua = `friendly-scanner-${marker}`;
    const message = Buffer.from(
      `REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5070\r\nCall-ID: ${marker}-split\r\nCSeq: 1 REGISTER\r\n` +
        `User-Agent: ${ua}\r\nContent-Length: 4\r\n\r\nv=0\n`,
    );
    const cuts = [0, 9, message.indexOf(ua) + 5, message.indexOf('Content-Length'), message.length - 2, message.length];
    const sock = connect(port, '127.0.0.1');
    try {
      await new Promise<void>((r) => sock.once('connect', () => r()));
      sock.setNoDelay(true);
      // tcpdump needs a moment to open the interface: the first write goes once its counters show up.
      await until(() => src.stats.tcpdump.receivedByFilter > 0 || (sock.write('\r\n\r\n'), false), 5000);
      for (let i = 1; i < cuts.length; i++) {
        sock.write(message.subarray(cuts[i - 1], cuts[i]));
        await new Promise((r) => setTimeout(r, 30)); // separate segments, not coalesced by Nagle or the kernel
      }
      await c.until((ev) => callIds(ev).includes(`${marker}-split`), 5000);
      await new Promise((r) => setTimeout(r, 500)); // room for a second (partial) event to show up
    } finally {
      sock.destroy();
      await c.stop();
      server.close();
    }
    const fromClient = c.events.filter((e) => e.type === 'sip' && e.src.port !== port);
    assert.equal(fromClient.length, 1, 'one event for the whole message, no pieces');
    const ev = fromClient[0];
    assert.ok(ev.type === 'sip' && ev.transport === 'tcp' && ev.src.ip === '127.0.0.1' && ev.dst.port === port);
    assert.deepEqual(ev.payload.toString(), message.toString());
    assert.equal(src.stats.skipped, 0, JSON.stringify(src.stats.skippedByReason));
    assert.ok(src.stats.tcpdump.captured >= cuts.length - 1, JSON.stringify(src.stats.tcpdump));
  });
});

async function until(ok: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
