// The AMI wire parser on hostile and oddly chunked input: the same messages however TCP cuts the
// stream (even inside a UTF-8 character), refusals counted, nothing thrown after the banner.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gen } from '../../sip/testgen.ts';
import { AmiParser, type AmiMessage } from './protocol.ts';

const event = (i: number, account: string) =>
  `Event: ChallengeResponseFailed\r\nPrivilege: security,all\r\nService: PJSIP\r\nAccountID: ${account}\r\nSessionID: call-${i}\r\nRemoteAddress: IPV4/UDP/203.0.113.${i % 250}/5060\r\n\r\n`;
const stream = Buffer.from(`Asterisk Call Manager/9.0.0\r\n${Array.from({ length: 50 }, (_, i) => event(i, i % 2 ? 'jürgen' : '100')).join('')}`);

function parseAll(chunks: Buffer[]): { messages: AmiMessage[]; skipped: string[] } {
  const skipped: string[] = [];
  const p = new AmiParser((r) => skipped.push(r));
  return { messages: chunks.flatMap((c) => p.push(c)), skipped };
}

test('the same messages whatever the chunking, including cuts inside a UTF-8 character', () => {
  const whole = parseAll([stream]);
  assert.equal(whole.messages.length, 50);
  assert.equal(whole.messages[1].AccountID, 'jürgen');
  const g = gen(7);
  for (let round = 0; round < 200; round++) {
    const chunks: Buffer[] = [];
    for (let at = 0; at < stream.length; ) {
      const n = g.int(1, 40);
      chunks.push(stream.subarray(at, at + n));
      at += n;
    }
    assert.deepEqual(parseAll(chunks), whole);
  }
});

test('a repeated RemoteAddress refuses the message; odd keys stay plain data', () => {
  const forged = 'Event: InvalidAccountID\r\nAccountID: x\r\nRemoteAddress: IPV4/UDP/198.51.100.99/5060\r\nRemoteAddress: IPV4/UDP/203.0.113.5/5060\r\n\r\n';
  const odd = 'Event: InvalidAccountID\r\n__proto__: x\r\nconstructor: y\r\nRemoteAddress: IPV4/UDP/203.0.113.6/5060\r\n\r\n';
  const r = parseAll([Buffer.from(`Asterisk Call Manager/9.0.0\r\n${forged}${odd}`)]);
  assert.deepEqual(r.skipped, ['duplicate-key']);
  assert.equal(r.messages.length, 1);
  assert.equal(r.messages[0].RemoteAddress, 'IPV4/UDP/203.0.113.6/5060');
  assert.equal(r.messages[0]['__proto__'], 'x');
  assert.equal(Object.getPrototypeOf(r.messages[0]), null);
});

test('100,000 mutated chunks after the banner: never a throw, every message a flat record of strings', () => {
  const g = gen(11);
  const p = new AmiParser(() => {});
  p.push(Buffer.from('Asterisk Call Manager/9.0.0\r\n'));
  const noise = ['\r\n', '\n', ':', ': ', '\r', '\0', '\xff', 'RemoteAddress: ', 'Event: ', '__proto__: '];
  for (let i = 0; i < 100_000; i++) {
    let s = event(i, '100');
    for (let k = g.int(0, 3); k > 0; k--) {
      const at = g.int(0, s.length);
      s = s.slice(0, at) + g.pick(noise) + s.slice(at + g.int(0, 3));
    }
    for (const m of p.push(Buffer.from(s, 'latin1'))) {
      for (const v of Object.values(m)) assert.equal(typeof v, 'string');
    }
  }
});
