import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createSanityFilter, friendMatcher } from './sanity.ts';

const filter = createSanityFilter({
  minPrefixV4: 16,
  minPrefixV6: 32,
  ownAddresses: ['198.18.0.1', '45.10.10.10', '2a01:4f8::10'],
  isFriend: friendMatcher(['45.20.20.20', '45.30.0.0/24', '2a01:4f9::/48']),
});

/** The single reason an entry is refused, or 'accepted'. */
function verdict(entry: string, f = filter): string {
  const r = f([entry]);
  if (r.accepted.length === 1) return 'accepted';
  const reasons = Object.keys(r.refused);
  assert.equal(reasons.length, 1, `${entry}: ${JSON.stringify(r.refused)}`);
  return reasons[0];
}

describe('feed sanity filter', () => {
  const cases: [string, string][] = [
    ['45.1.2.3', 'accepted'],
    ['45.1.0.0/16', 'accepted'],
    ['2a02:1::7', 'accepted'],
    ['45.0.0.0/8', 'too-broad'],
    ['2a00::/16', 'too-broad'],
    ['0.0.0.0/0', 'too-broad'],
    ['::/0', 'too-broad'],
    ['127.0.0.1', 'loopback'],
    ['::1', 'loopback'],
    ['169.254.10.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['10.1.2.3', 'private'],
    ['172.16.5.0/24', 'private'],
    ['192.168.0.0/16', 'private'],
    ['100.64.1.1', 'private'],
    ['fd00::1', 'private'],
    ['224.0.0.5', 'multicast'],
    ['ff02::1', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['0.0.0.0', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['2001:db8::1', 'reserved'],
    ['45.10.10.10', 'own-address'],
    ['45.10.0.0/16', 'own-address'],
    ['2a01:4f8::10', 'own-address'],
    ['45.20.20.20', 'friend'],
    ['45.30.0.9', 'friend'], // inside a friend's prefix
    ['45.20.0.0/16', 'friend'], // a CIDR that contains a friend
    ['2a01:4f9:0:1::/64', 'friend'],
    ['2a01:4f9::/32', 'friend'], // contains the friend 2a01:4f9::/48
    ['not-an-ip', 'malformed'],
    ['45.1.2.3/33', 'malformed'],
    ['1.2.3', 'malformed'],
  ];
  for (const [entry, expected] of cases) {
    test(`${entry} → ${expected}`, () => assert.equal(verdict(entry), expected));
  }

  test('a broad entry with a public network address that swallows a special range is refused', () => {
    const loose = createSanityFilter({ minPrefixV4: 4, minPrefixV6: 8, ownAddresses: [] });
    assert.equal(verdict('8.0.0.0/6', loose), 'private'); // 8.0.0.0-11.255.255.255 holds 10/8
    assert.equal(verdict('96.0.0.0/4', loose), 'private'); // holds 100.64/10 (CGN)
    assert.equal(verdict('45.0.0.0/8', loose), 'accepted');
  });

  test('counts per reason, dedupes, and canonicalises', () => {
    const r = filter(['45.1.2.3', '45.1.2.3', '::ffff:45.1.2.4', '45.5.5.7/24', '10.0.0.1', '10.0.0.2', 'x']);
    assert.deepEqual(r.accepted.map((p) => p.text), ['45.1.2.3', '45.1.2.4', '45.5.5.0/24']);
    assert.deepEqual(r.refused, { private: 2, malformed: 1 });
  });

  test('non-string entries from a hostile JSON answer are counted as malformed, never thrown', () => {
    const r = filter([42, null, { ip: '1.2.3.4' }] as unknown as string[]);
    assert.deepEqual(r.refused, { malformed: 3 });
  });
});
