// The lazy field parsers read header values in place from the message bytes; these pin the cases
// where that path differs from plain string handling: folded values (parsed from an unfolded
// copy), JS whitespace beyond space/tab (trim and RegExp \s also drop NBSP), the exported string
// functions with chars above 0xff, the request-line fast and slow paths, and number edge cases.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseNameAddr, parseParams, parseSip, parseUri, parseVia, splitList, type SipMessage } from './index.ts';

function ok(text: string): SipMessage {
  const m = parseSip(Buffer.from(text, 'latin1'));
  if ('error' in m) assert.fail(`unexpected parse error ${m.error}`);
  return m;
}

const req = (...headers: string[]): SipMessage => ok(['OPTIONS sip:a@b SIP/2.0', ...headers, '', ''].join('\r\n'));

test('folded From, Via and CSeq are parsed from their unfolded values', () => {
  const m = req('From: "A"\r\n  <sip:1@h>;tag=x', 'Via: SIP/2.0/UDP h:5060\r\n\t;branch=z9hG4bK1', 'CSeq: 7\r\n OPTIONS');
  assert.deepEqual([m.from?.displayName, m.from?.user, m.from?.tag], ['A', '1', 'x']);
  assert.deepEqual([m.vias[0].host, m.vias[0].port, m.vias[0].branch], ['h', 5060, 'z9hG4bK1']);
  assert.deepEqual(m.cseq, { seq: 7, method: 'OPTIONS' });
});

test('Via: spaces around the slashes, transport upper-cased, odd protocol kept', () => {
  const [v] = req('Via: SIP / 2.0 / udp [2001:db8::1]:5062 ;branch=z9hG4bK2;RPORT').vias;
  assert.deepEqual([v.protocol, v.transport, v.host, v.port, v.branch, v.rport], ['SIP/2.0', 'UDP', '2001:db8::1', 5062, 'z9hG4bK2', '']);
  const [w] = req('Via: XIP/3/quic h').vias;
  assert.deepEqual([w.protocol, w.transport, w.port], ['XIP/3', 'QUIC', null]);
  assert.deepEqual(req('Via: SIP/2.0 h').vias, []);
});

test('CSeq and Content-Length edge cases', () => {
  assert.deepEqual(req('CSeq:  7\tOPTIONS extra').cseq, { seq: 7, method: 'OPTIONS' });
  assert.deepEqual(req('CSeq: 0003 foo').cseq, { seq: 3, method: 'foo' });
  assert.equal(req('CSeq: 4294967296 INVITE').cseq, null);
  assert.equal(req('CSeq: 12345678901 INVITE').cseq, null);
  assert.equal(req('CSeq: 5INVITE').cseq, null);
  assert.equal(req('CSeq: 5').cseq, null);
  assert.equal(req('Content-Length:  12 ').contentLength, 12);
  assert.equal(req('Content-Length: 1234567890').contentLength, null);
  assert.equal(req('Content-Length: 1 2').contentLength, null);
});

test('NBSP counts as whitespace where String#trim and \\s say so', () => {
  const a = parseNameAddr('\u00a0 "N" \u00a0<sip:u@h>\u00a0;tag=\u00a0t\u00a0');
  assert.deepEqual([a.displayName, a.rawUri, a.tag], ['N', 'sip:u@h', 't']);
  assert.deepEqual(req('CSeq:\u00a01\u00a0ACK').cseq, { seq: 1, method: 'ACK' });
});

test('the exported string parsers take chars above 0xff and lower-case like String#toLowerCase', () => {
  assert.equal(parseUri('sip:\u0130\u20ac@h:5060')?.user, '\u0130\u20ac');
  assert.equal(parseUri('\u212Atp:x')?.scheme, 'ktp'); // KELVIN SIGN lower-cases to ASCII k
  assert.deepEqual([...parseParams(';TAG=1;\u00c4=2;x=\u3000y\u3000')], [['tag', '1'], ['\u00e4', '2'], ['x', 'y']]);
  assert.deepEqual(splitList('<sip:a@h>, "x,\u2028y" <sip:b@h> ,'), ['<sip:a@h>', '"x,\u2028y" <sip:b@h>']);
  assert.equal(parseVia('SIP/2.0/TCP h\u2003x;branch=b')?.host, 'h\u2003x');
});

test('request lines: the fast path and the checks it must not skip', () => {
  assert.equal(ok('FOO.BAR sip:a@b SIP/2.0\r\n\r\n').method, 'FOO.BAR');
  assert.equal(ok('OPTIONS sip:a@b sip/2.0\r\n\r\n').requestUri, 'sip:a@b');
  for (const [line, reason] of [
    ['INVITE sip:a b SIP/2.0', 'bad-start-line'],
    ['INVITE  SIP/2.0', 'bad-request-uri'],
    ['INVITE :a SIP/2.0', 'bad-request-uri'],
    ['INV@TE sip:a SIP/2.0', 'bad-method'],
    ['INVITE sip:a SIP/2.1', 'bad-version'],
  ]) {
    const m = parseSip(Buffer.from(`${line}\r\n\r\n`));
    assert.equal('error' in m ? m.error : 'parsed', reason, line);
  }
});

test('header lookup: non-ASCII names match themselves; a compact letter only its full name', () => {
  const m = req('\u00e9: x', 'v: SIP/2.0/UDP h', 'q: 1');
  assert.equal(m.header('\u00e9'), 'x');
  assert.equal(m.header('\u00c9'), 'x');
  assert.equal(m.header('VIA'), 'SIP/2.0/UDP h');
  assert.equal(m.header('v'), 'SIP/2.0/UDP h');
  assert.equal(m.header('Q'), '1');
  assert.deepEqual(m.headerNames, ['\u00e9', 'via', 'q']);
});
