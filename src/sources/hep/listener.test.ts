import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { describe, it } from 'node:test';
import { silentLogger } from '../../core/log.ts';
import { collect } from '../../../test/helpers/collect-events.ts';
import { withRestart } from '../restart.ts';
import { SourceSetupError } from '../source.ts';
import { encodeHep, type HepPacket } from './codec.ts';
import { hepSource } from './listener.ts';

const packet = (n: number, authKey?: string, protocolType = 1): HepPacket => ({
  family: 4, ipProto: 17, src: { ip: '203.0.113.9', port: 5070 + n }, dst: { ip: '192.0.2.1', port: 5060 },
  timeSec: 1, timeUsec: 0, protocolType, authKey, payload: Buffer.from(`OPTIONS sip:100@192.0.2.1 SIP/2.0\r\nCSeq: ${n} OPTIONS\r\n\r\n`),
});

async function started(opts: Parameters<typeof hepSource>[0]) {
  let port = 0;
  const src = hepSource({ listen: '127.0.0.1:0', ...opts, onListening: (a) => (port = a.port) });
  const c = collect(src);
  const deadline = Date.now() + 5000;
  while (port === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  const sender = createSocket('udp4');
  const send = (buf: Buffer) => new Promise<void>((r) => sender.send(buf, port, '127.0.0.1', () => r()));
  return { src, c, port, send, close: () => sender.close() };
}

describe('HEP listener', () => {
  it('yields SIP copies over real UDP with src/dst from the HEP header, not the UDP sender', async () => {
    const h = await started({ password: 'sekrit' });
    await h.send(encodeHep(packet(1, 'sekrit')));
    await h.c.until((ev) => ev.length >= 1);
    await h.c.stop();
    h.close();
    const ev = h.c.events[0];
    assert.equal(ev.type, 'sip');
    assert.deepEqual(ev.src, { ip: '203.0.113.9', port: 5071 });
    assert.deepEqual(ev.dst, { ip: '192.0.2.1', port: 5060 });
    assert.equal(ev.transport, 'udp');
    assert.equal(ev.source, 'hep:127.0.0.1:0');
    assert.match(ev.payload.toString(), /^OPTIONS sip:100@192\.0\.2\.1 SIP\/2\.0\r\nCSeq: 1 OPTIONS/);
  });

  it('drops and counts a wrong or missing password, non-SIP and malformed packets', async () => {
    const h = await started({ password: 'sekrit' });
    await h.send(encodeHep(packet(1, 'wrong!')));
    await h.send(encodeHep(packet(2)));
    await h.send(encodeHep(packet(3, 'sekrit', 5))); // RTCP
    await h.send(encodeHep(packet(4, 'sekrit')).subarray(0, 40));
    await h.send(Buffer.from('garbage'));
    await h.send(encodeHep(packet(6, 'sekrit')));
    await h.c.until((ev) => ev.length >= 1);
    await h.c.stop();
    h.close();
    assert.equal(h.c.events.length, 1);
    assert.deepEqual(h.c.events[0].type === 'sip' && h.c.events[0].src.port, 5076);
    assert.deepEqual(h.src.stats.skippedByReason, { auth: 2, 'not-sip': 1, truncated: 1, 'bad-magic': 1 });
    assert.equal(h.src.stats.skipped, 5);
    assert.equal(h.src.stats.received, 1);
  });

  it('accepts any key when no password is configured', async () => {
    const h = await started({});
    await h.send(encodeHep(packet(1)));
    await h.send(encodeHep(packet(2, 'whatever')));
    await h.c.until((ev) => ev.length >= 2);
    await h.c.stop();
    h.close();
  });

  it('listens on IPv6 loopback and carries IPv6 addresses from the header', async () => {
    let port = 0;
    const src = hepSource({ listen: '[::1]:0', onListening: (a) => (port = a.port) });
    const c = collect(src);
    await c.until(() => port !== 0);
    const sender = createSocket('udp6');
    const p6: HepPacket = { ...packet(1), family: 6, src: { ip: '2001:db8::9', port: 5070 }, dst: { ip: '2001:db8::1', port: 5060 } };
    await new Promise<void>((r) => sender.send(encodeHep(p6), port, '::1', () => r()));
    await c.until((ev) => ev.length >= 1);
    await c.stop();
    sender.close();
    assert.ok(c.events[0].type === 'sip' && c.events[0].src.ip === '2001:db8::9' && c.events[0].dst.ip === '2001:db8::1');
  });

  it('a busy port is a setup error', async () => {
    const h = await started({});
    const err = await collect(withRestart(hepSource({ listen: `127.0.0.1:${h.port}` }), { min: 10, max: 50 }, silentLogger)).done;
    await h.c.stop();
    h.close();
    assert.ok(err instanceof SourceSetupError);
    assert.match(err.message, /cannot listen for HEP on 127\.0\.0\.1:\d+: bind EADDRINUSE/);
  });

  it('refuses a malformed listen address', () => {
    assert.throws(() => hepSource({ listen: '127.0.0.1' }), /not host:port/);
    assert.doesNotThrow(() => hepSource({ listen: '[::1]:9060' }));
  });
});
