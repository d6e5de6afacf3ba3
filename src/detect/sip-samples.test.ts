// The `.txt` sample reader: directives, escapes, line ends, bodies, and the problems it reports.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RawEvent } from '../core/types.ts';
import { readSipSamples, testSipSampleText, unescapeSampleLine } from './sip-samples.ts';
import type { Signature } from './signature.ts';

const payload = (ev: RawEvent | null) => (ev && ev.type === 'sip' ? ev.payload.toString('latin1') : null);

test('escapes stand for bytes; SIP quoted-pairs stay as written', () => {
  assert.equal(unescapeSampleLine('a\\r\\nb\\tc\\\\d\\x00\\xffe'), 'a\r\nb\tc\\d\x00\xffe');
  assert.equal(unescapeSampleLine('username="a\\"b"'), 'username="a\\"b"');
});

test('blocks, directives, CRLF or LF, the closing blank line, bodies', () => {
  const text = [
    '# file header comment',
    '---',
    '# src: 198.51.100.1:5060 dst: [2001:db8::1]:5061',
    '# transport: tcp',
    '# expect: null',
    'OPTIONS sip:a@b SIP/2.0',
    'Call-ID: 1',
    '',
    '',
    '---',
    '# src: 198.51.100.2:5060 dst: 192.0.2.1:5060',
    '# eol: lf',
    '# expect: {"kind": "scanner"}',
    'MESSAGE sip:a@b SIP/2.0',
    'l: 2',
    '',
    'hi',
    '---',
    '# expect: null',
    'OPTIONS sip:a@b SIP/2.0',
    '---',
    '# src: 198.51.100.3:5060 dst: 192.0.2.1:5060',
    '# expect: {not json',
    'OPTIONS sip:a@b SIP/2.0',
  ].join('\n');
  const [a, b, c, d] = readSipSamples(text, 7);
  assert.equal(payload(a.event), 'OPTIONS sip:a@b SIP/2.0\r\nCall-ID: 1\r\n\r\n');
  assert.deepEqual(a.event && a.event.type === 'sip' && [a.event.transport, a.event.dst, a.event.at], ['tcp', { ip: '2001:db8::1', port: 5061 }, 7]);
  assert.equal(a.expect, null);
  assert.equal(payload(b.event), 'MESSAGE sip:a@b SIP/2.0\nl: 2\n\nhi\n');
  assert.deepEqual(b.expect, { kind: 'scanner' });
  assert.match(c.problem ?? '', /src/);
  assert.match(d.problem ?? '', /unreadable expectation/);
});

test('the report checks expectations as a subset of exactly one offense', () => {
  const always: Signature = { id: 'x', match: (ev) => (ev.type === 'sip' ? { ip: ev.src.ip, kind: 'scanner', signature: 'x', at: ev.at, detail: 'd' } : null) };
  const text = [
    '# src: 198.51.100.1:5060 dst: 192.0.2.1:5060', '# expect: {"ip": "198.51.100.1", "kind": "scanner"}', 'OPTIONS sip:a@b SIP/2.0', '---',
    '# src: 198.51.100.1:5060 dst: 192.0.2.1:5060', '# expect: {"kind": "injection"}', 'OPTIONS sip:a@b SIP/2.0', '---',
    '# src: 198.51.100.1:5060 dst: 192.0.2.1:5060', '# expect: null', 'OPTIONS sip:a@b SIP/2.0',
  ].join('\n');
  const r = testSipSampleText(text, [always]);
  assert.deepEqual(r.results.map((x) => x.ok), [true, false, false]);
  assert.match(r.results[1].problem ?? '', /kind: expected "injection", got "scanner"/);
  assert.deepEqual([r.summary.lines, r.summary.matched, r.summary.expectations, r.summary.failed, r.summary.perSignature.x], [3, 3, 3, 2, 3]);
});
