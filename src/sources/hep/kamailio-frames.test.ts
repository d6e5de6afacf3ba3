// Real frames from Kamailio 5.6.3 siptrace (test/fixtures/hep/kamailio-5.6.3.txt, captured from
// the Debian package), so the codec is held to what a sender really writes, not only to our encoder.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kamailioFrames } from '../../../test/helpers/hep-frames.ts';
import { CHUNK, decodeHep, encodeHep, transportOf, type HepPacket } from './codec.ts';

const frames = kamailioFrames();

/** The chunk list of a frame as "vendor/type" in wire order, to pin Kamailio's layout. */
function chunkOrder(buf: Buffer): string[] {
  const out: string[] = [];
  for (let off = 6; off < buf.length; off += buf.readUInt16BE(off + 4)) out.push(`${buf.readUInt16BE(off)}/${buf.readUInt16BE(off + 2)}`);
  return out;
}
function decoded(buf: Buffer): HepPacket {
  const r = decodeHep(buf);
  assert.ok(r.ok, `rejected: ${!r.ok && r.reason}`);
  return r.packet;
}

describe('HEPv3 frames from Kamailio 5.6.3 siptrace', () => {
  it('the fixture holds the four captured frames', () => assert.equal(frames.length, 4));

  it('uses generic chunks only, puts the correlation id and auth key before the payload', () => {
    const v4 = ['0/1', '0/2', '0/3', '0/4', '0/7', '0/8', '0/9', '0/10', '0/11', '0/12'];
    assert.deepEqual(chunkOrder(frames[0]), [...v4, '0/14', '0/15']);
    assert.deepEqual(chunkOrder(frames[1]), [...v4, '0/17', '0/14', '0/15']);
    assert.deepEqual(chunkOrder(frames[3]), ['0/1', '0/2', '0/5', '0/6', ...v4.slice(4), '0/17', '0/14', '0/15']);
  });

  it('decodes the mirrored request: the client is the source, kamailio the destination', () => {
    const p = decoded(frames[0]);
    const { payload, timeSec, timeUsec, ...rest } = p;
    assert.deepEqual(rest, {
      family: 4, ipProto: 17, src: { ip: '127.0.0.2', port: 5099 }, dst: { ip: '127.0.0.1', port: 15060 },
      protocolType: 1, captureId: 4242, authKey: 'k3y',
    });
    // The sender's wall clock at capture (2026-11-27), in seconds and microseconds.
    assert.ok(timeSec! > 1_795_000_000 && timeSec! < 1_796_000_000 && timeUsec! < 1_000_000, `${timeSec}.${timeUsec}`);
    assert.match(payload.toString(), /^OPTIONS sip:100@127\.0\.0\.1 SIP\/2\.0\r\n[^]*User-Agent: friendly-scanner\r\n[^]*\r\n\r\n$/);
    assert.equal(transportOf(p.ipProto), 'udp');
  });

  it('carries the sip_trace() correlation id unterminated, and the reply with the addresses swapped', () => {
    assert.equal(decoded(frames[1]).correlationId, 'hepfix4-sw');
    const reply = decoded(frames[2]);
    assert.deepEqual([reply.src, reply.dst], [{ ip: '127.0.0.1', port: 15060 }, { ip: '127.0.0.2', port: 5099 }]);
    assert.match(reply.payload.toString(), /^SIP\/2\.0 200 OK\r\n/);
  });

  it('decodes the IPv6 frame', () => {
    const p = decoded(frames[3]);
    assert.deepEqual([p.family, p.src, p.dst, p.correlationId], [6, { ip: '::1', port: 5098 }, { ip: '::1', port: 15060 }, 'hepfix6-sw']);
  });

  it('re-encodes the frame without a correlation id to the very same bytes', () => {
    // Our encoder writes Kamailio's chunk order, except that Kamailio puts the correlation id
    // before the auth key (frames 1 and 3) where we put it last.
    assert.equal(encodeHep(decoded(frames[0])).toString('hex'), frames[0].toString('hex'));
  });

  it('a wrong or missing auth key still decodes; the listener is the one that refuses it', () => {
    const b = Buffer.from(frames[0]);
    const keyAt = b.indexOf(Buffer.from([0, 0, 0, CHUNK.authKey, 0, 9]));
    b.write('bad', keyAt + 6, 'latin1');
    assert.equal(decoded(b).authKey, 'bad');
  });
});

describe('sender quirks', () => {
  const base: HepPacket = { family: 6, ipProto: 17, src: { ip: '2001:db8::9', port: 5060 }, dst: { ip: '2001:db8::1', port: 5060 }, protocolType: 1, payload: Buffer.from('OPTIONS sip:x SIP/2.0\r\n\r\n') };

  it('refuses FreeSWITCH IPv6 frames whose addresses hold only the flow label (sofia-sip copies 4 bytes)', () => {
    const r = decodeHep(encodeHep({ ...base, src: { ip: '0:1234::', port: 5060 }, dst: { ip: '::', port: 5060 } }));
    assert.deepEqual(r, { ok: false, reason: 'bad-address' });
    assert.equal(decodeHep(encodeHep({ ...base, src: { ip: '::', port: 5060 }, dst: { ip: '::', port: 5060 } })).ok, false);
  });

  it('keeps a wildcard-bound Kamailio\'s "::" or 0.0.0.0 on one side: the other side is real', () => {
    assert.equal(decoded(encodeHep({ ...base, dst: { ip: '::', port: 5060 } })).src.ip, '2001:db8::9');
    const v4 = decoded(encodeHep({ ...base, family: 4, src: { ip: '0.0.0.0', port: 5060 }, dst: { ip: '203.0.113.9', port: 5070 } }));
    assert.equal(v4.dst.ip, '203.0.113.9');
  });

  it('maps the IP protocol ids senders use to a transport', () => {
    assert.deepEqual([17, 6, 22, 132].map(transportOf), ['udp', 'tcp', 'tls', 'udp']);
  });
});
