// Unit checks of the pieces the SIP signatures are built from: the User-Agent matcher and the
// effective list, the SIPVicious tag decoder, and the SQL-injection test.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BUILTIN_USER_AGENTS, createUserAgentMatcher, effectiveUserAgents } from './scanner-user-agents.ts';
import { looksLikeSqlInjection, SQL_NEEDS, SQL_PATTERNS } from './sip-injection.ts';
import { createForeignDomainSignature } from './sip-foreign-domain.ts';
import { isSipviciousTag } from './sip-vicious.ts';
import type { RawEvent } from '../../core/types.ts';

test('the built-in list holds every entry the firewall compiler and the signature rely on', () => {
  const texts = new Map(BUILTIN_USER_AGENTS.map((e) => [e.text, e.match]));
  for (const t of ['friendly-scanner', 'sipcli', 'sipvicious', 'VaxSIPUserAgent', 'VaxIPUserAgent', 'sip-scan', 'sipsak', 'sundayddr', 'iWar', 'SIVuS', 'Gulp', 'sipv', 'smap', 'friendly-request', 'siparmyknife', 'pplsip', 'owenee', 'gazllove', 'eyeBeam release 3006o stamp 17551', 'PolycomSoundPointIP SPIP_550 UA 3.3.2.0413', 'PolycomVVX-VVX_401-UA5.4.1.18405', 'Avaya IP Phone 1120E', 'Cisco-SIPGateway/IOS-15.2.4.M5', 'CSipSimple']) {
    assert.equal(texts.get(t), 'substring', t);
  }
  for (const t of ['Custom', 'SIP', 'Test']) assert.equal(texts.get(t), 'exact', t);
});

test('matcher: case-insensitive, whitespace-tolerant, exact entries only as the whole value', () => {
  const m = createUserAgentMatcher(BUILTIN_USER_AGENTS);
  assert.equal(m.match('friendly-scanner'), 'friendly-scanner');
  assert.equal(m.match('  Friendly-Scanner\t'), 'friendly-scanner');
  assert.equal(m.match('eyeBeam\trelease  3006o stamp 17551'), 'eyeBeam release 3006o stamp 17551');
  assert.equal(m.match('TEST'), 'Test');
  assert.equal(m.match(' sip '), 'SIP');
  for (const ok of ['SIPp/3.6', 'Test Phone', 'SIP.js/0.21.2', 'Custom SIP Phone', 'Yealink SIP-T46S 66.86.0.15', '']) assert.equal(m.match(ok), null, ok);
});

test('effective list: remove built-ins by text (any case), add substrings and exact values, or no built-ins', () => {
  const list = effectiveUserAgents({ remove: ['SIPSAK', 'Test'], add: ['EvilDialer'], exact: ['x'] });
  const m = createUserAgentMatcher(list);
  assert.equal(m.match('sipsak 0.9.8.1'), null);
  assert.equal(m.match('Test'), null);
  assert.equal(m.match('the evildialer 2'), 'EvilDialer');
  assert.equal(m.match('X'), 'x');
  assert.equal(m.match('xy'), null);
  assert.equal(createUserAgentMatcher(effectiveUserAgents({ builtin: false })).match('friendly-scanner'), null);
  // Configured entries are literal text, whatever characters they hold (they meet one regex together).
  const literal = createUserAgentMatcher(effectiveUserAgents({ builtin: false, add: ['a.b', 'x(y', 'c++', '[1]', 'back\\slash', 'p|q', '^z$'] }));
  for (const ua of ['a.b', 'X(Y 2', 'c++ dialer', 'ua [1]', 'back\\slash', 'p|q', 'a ^z$ b']) assert.notEqual(literal.match(ua), null, ua);
  for (const ua of ['axb', 'xy', 'c', '1', 'backslash', 'p', 'q', 'z']) assert.equal(literal.match(ua), null, ua);
  // Of two entries that both match, the one listed first names the hit.
  assert.equal(createUserAgentMatcher(effectiveUserAgents({ builtin: false, add: ['vicious', 'sipvicious'] })).match('sipvicious'), 'vicious');
  assert.equal(effectiveUserAgents().length, BUILTIN_USER_AGENTS.length);
});

test('SIPVicious tag: hex of <printable data>\\x01<6+ digits>, nothing else', () => {
  const tag = (data: string, digits: string) => Buffer.from(`${data}\x01${digits}`).toString('hex');
  assert.ok(isSipviciousTag(tag('7f00000113ce', '2650928076')));
  assert.ok(isSipviciousTag(tag('100:secret', '123456')));
  assert.ok(isSipviciousTag('3766303030303031313363650132363530393238303736'));
  assert.ok(!isSipviciousTag(tag('100', '12345')), 'too few digits');
  assert.ok(!isSipviciousTag(tag('100', '12345a')), 'not digits');
  assert.ok(!isSipviciousTag(tag('', '1234567')), 'no data');
  assert.ok(!isSipviciousTag(tag('zz', '1234567').toUpperCase()), 'upper-case hex');
  assert.ok(!isSipviciousTag('a1b2c3d4e5f60718293a4b5c'));
  assert.ok(!isSipviciousTag('3206210844'));
  assert.ok(!isSipviciousTag(null));
  // Random 32-bit-ish hex tags from real phones never decode to the shape.
  let seed = 7;
  for (let i = 0; i < 20000; i++) {
    let t = '';
    for (let k = 0; k < 4; k++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      t += seed.toString(16).padStart(8, '0');
    }
    assert.ok(!isSipviciousTag(t), t);
  }
});

test('SQL injection: probes yes, names with apostrophes no', () => {
  for (const probe of ["a'or'3=3--", "'or''='", "1' OR '1'='1", "x'; drop table users; --", "100%27%20or%201=1--", '" or "a"="a', "admin'--", "1 or 1=1", "x' union select 1", "1'+and+sleep(5)#", "a' UNION/**/SELECT pass"]) {
    assert.ok(looksLikeSqlInjection(probe), probe);
  }
  for (const name of ["O'Brien", "D'Andrea", "Taylor's phone", "Rock'n'Roll", 'Sandor & Orla', "o'neill", '+4930123456;npdi', 'Order Desk', "Andy's", "It's me", '']) {
    assert.ok(!looksLikeSqlInjection(name), name);
  }
});

test('SQL injection: a value without the characters every pattern needs matches no pattern', () => {
  // looksLikeSqlInjection skips the patterns for such values; this holds each pattern to it, so a
  // pattern added later without one of SQL_NEEDS's characters fails here instead of going blind.
  const parts = ['or', 'and', 'xor', 'union', 'all', 'select', 'having', 'order', 'by', 'sleep', 'benchmark', 'pg_sleep', 'waitfor', 'delay',
    'drop', 'exec', '1', '42', '=', '<', '>', 'like', '--', '#', '*', '||', ')', '-', '_', 'x', 'OR', 'Union'];
  let seed = 7;
  const next = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  for (let i = 0; i < 20000; i++) {
    let v = '';
    for (let k = 1 + next(8); k > 0; k--) v += parts[next(parts.length)];
    assert.ok(!SQL_NEEDS.test(v), v);
    assert.ok(!SQL_PATTERNS.some((re) => re.test(v.toLowerCase())), v);
  }
  // And each pattern does fire once a needed character joins: the filter is not vacuous.
  for (const probe of ["'or", "'=", "or'", 'or 1=1', 'union select', '; drop ', 'sleep(', 'waitfor delay']) {
    assert.ok(SQL_NEEDS.test(probe) && SQL_PATTERNS.some((re) => re.test(probe)), probe);
  }
});

test('SQL injection check stays fast on long hostile values (no regex backtracking blow-up)', () => {
  const hostile = ["x' union" + ' '.repeat(60000) + 'x', "'" + ' '.repeat(60000), 'union' + '/*'.repeat(30000), 'or ' + '1'.repeat(60000) + ' ', '%'.repeat(60000)];
  for (const v of hostile) {
    const t = performance.now();
    looksLikeSqlInjection(v);
    assert.ok(performance.now() - t < 50, `${v.slice(0, 12)}… took ${performance.now() - t} ms`);
  }
  assert.ok(looksLikeSqlInjection("x' union   all  select 1"));
  assert.ok(looksLikeSqlInjection('1 union/**/select 2'));
});

test('foreign domain: configured and requested domains compare without case, blanks or trailing dots', () => {
  const register = (uri: string): RawEvent => ({
    type: 'sip', source: 'test', at: 0, transport: 'udp', src: { ip: '203.0.113.5', port: 5060 }, dst: { ip: '192.0.2.1', port: 5060 },
    payload: Buffer.from(`REGISTER ${uri} SIP/2.0\r\nVia: SIP/2.0/UDP x;branch=z9hG4bK1\r\nTo: <sip:100@x>\r\nCall-ID: c\r\nCSeq: 1 REGISTER\r\n\r\n`, 'latin1'),
  });
  for (const configured of ['example.com', 'Example.COM.', ' example.com.. ']) {
    const sig = createForeignDomainSignature([configured]);
    for (const ours of ['sip:example.com', 'sip:EXAMPLE.com.', 'sip:example.com..']) assert.equal(sig.match(register(ours)), null, `${configured} / ${ours}`);
    assert.equal(sig.match(register('sip:example.org'))?.kind, 'foreign-domain', configured);
  }
});
