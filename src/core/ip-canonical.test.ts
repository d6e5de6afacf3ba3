import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCanonicalIpv4, normalizeIp } from './ip.ts';

// The regex the hand-written check replaced: four canonical decimal octets, nothing else.
const DOTTED_QUAD = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

describe('isCanonicalIpv4', () => {
  it('agrees with the dotted-quad regex on edge cases and 100,000 generated strings', () => {
    const cases = ['1.2.3.4', '0.0.0.0', '255.255.255.255', '256.1.1.1', '01.2.3.4', '1.2.3', '1.2.3.4.5', '1.2.3.4 ', '',
      '1..2.3', '1.2.3.04', '1.2.3.1000', '::1', '1.2.3.4\n', '١.2.3.4', '199.250.249.255', '300.0.0.0', '1.2.3.4/24'];
    let x = 7;
    const next = () => ((x = (x * 1103515245 + 12345) & 0x7fffffff) % 1000) / 1000;
    const alphabet = '0123456789..........a:';
    for (let i = 0; i < 100_000; i++) {
      let s = '';
      const n = Math.floor(next() * 18);
      for (let k = 0; k < n; k++) s += alphabet[Math.floor(next() * alphabet.length)];
      cases.push(s);
    }
    for (const c of cases) {
      assert.equal(isCanonicalIpv4(c), DOTTED_QUAD.test(c), JSON.stringify(c));
      // normalizeIp returns such text as it is; the slow path gives the same answer for it.
      if (isCanonicalIpv4(c)) assert.equal(normalizeIp(c), c);
    }
  });
});
