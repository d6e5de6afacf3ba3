import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDuration } from './duration.ts';
import { AppError } from './errors.ts';
import { PrefixSet, normalizeIp, parseTarget, rangeOf, tryParsePrefix } from './ip.ts';

test('targets are normalised: host bits cleared, /32 dropped, mapped IPv6 becomes IPv4', () => {
  assert.equal(parseTarget('192.0.2.7').text, '192.0.2.7');
  assert.equal(parseTarget('192.0.2.7/32').text, '192.0.2.7');
  assert.equal(parseTarget('192.0.2.77/24').text, '192.0.2.0/24');
  assert.equal(parseTarget('::ffff:192.0.2.7').text, '192.0.2.7');
  assert.equal(parseTarget('2001:DB8::1/64').text, '2001:db8::/64');
  assert.equal(normalizeIp('[2001:db8::1]'), '2001:db8::1');
});

test('malformed targets are refused, never guessed', () => {
  for (const bad of ['1.2.3', '1.2.3.4/33', '256.1.1.1', '1.2.3.4/24/1', 'fe80::1%eth0', '', '01.2.3.4', 'example.com', '1.2.3.4 ; rm -rf /']) {
    assert.equal(tryParsePrefix(bad), null, bad);
    assert.throws(() => parseTarget(bad), (e: unknown) => e instanceof AppError && e.code === 'ERR_TARGET_INVALID');
  }
});

test('ranges are classified', () => {
  assert.equal(rangeOf(parseTarget('127.0.0.1')), 'loopback');
  assert.equal(rangeOf(parseTarget('10.1.2.3')), 'private');
  assert.equal(rangeOf(parseTarget('203.0.113.5')), 'reserved');
  assert.equal(rangeOf(parseTarget('8.8.8.8')), 'unicast');
});

test('PrefixSet returns the most specific containing entry', () => {
  const s = new PrefixSet<string>();
  s.add(parseTarget('10.0.0.0/8'), 'wide');
  s.add(parseTarget('10.1.0.0/16'), 'narrow');
  s.add(parseTarget('2001:db8::/32'), 'v6');
  assert.deepEqual(s.lookup(parseTarget('10.1.2.3')), { prefix: '10.1.0.0/16', value: 'narrow' });
  assert.deepEqual(s.lookup(parseTarget('10.9.2.3')), { prefix: '10.0.0.0/8', value: 'wide' });
  assert.equal(s.lookup(parseTarget('11.0.0.1')), undefined);
  assert.equal(s.lookup(parseTarget('2001:db8:1::5'))?.value, 'v6');
  assert.equal(s.lookup(parseTarget('10.0.0.0/7')), undefined, 'a wider query is not inside the entry');
});

test('durations', () => {
  assert.equal(parseDuration('90s'), 90);
  assert.equal(parseDuration('1h30m'), 5400);
  assert.equal(parseDuration('7d'), 604800);
  assert.equal(parseDuration('0'), 0);
  for (const bad of ['1 hour', '10x', '-5m', 'h', '']) assert.throws(() => parseDuration(bad), /invalid duration/);
});

test('the IPv4 fast path and rangeOf agree with ipaddr.js on random and edge inputs', async () => {
  const ipaddr = (await import('ipaddr.js')).default;
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 256;
  const samples = ['0.0.0.0', '255.255.255.255', '10.0.0.1/8', '192.168.1.77/20', '100.64.3.4', '224.1.2.3', '169.254.1.1', '45.1.2.3/0'];
  for (let i = 0; i < 3000; i++) samples.push(`${rnd()}.${rnd()}.${rnd()}.${rnd()}${i % 5 === 0 ? `/${rnd() % 33}` : ''}`);
  for (const s of samples) {
    const p = parseTarget(s);
    const [addr, len] = s.split('/');
    const cidr = ipaddr.IPv4.networkAddressFromCIDR(`${addr}/${len ?? 32}`).toString();
    assert.equal(p.text, len === undefined || len === '32' ? cidr : `${cidr}/${len}`, s);
    assert.equal(rangeOf(p), ipaddr.parse(cidr).range(), s);
  }
  for (const s of ['2001:db8::1', '::1', 'fe80::1', 'fc00::5', '2a00:1450::1', '64:ff9b::1', '2002::1', 'ff02::1']) {
    assert.equal(rangeOf(parseTarget(s)), ipaddr.parse(s).range(), s);
  }
});
