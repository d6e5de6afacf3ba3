// The rules engine with a FakeClock: brute force per (IP, account) with the per-IP cap, attempts
// spread over several lines, enumeration, floods, instant bans, learned and configured friends,
// escalation, and bounded state.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../core/clock.ts';
import type { Decision, Offense, OffenseKind } from '../core/types.ts';
import { configSchema } from '../config/schema.ts';
import { DetectionEngine, type EngineDeps } from './engine.ts';
import { engineConfigFrom, type EngineConfig } from './rules/config.ts';

const SIG = 'asterisk-security';

function setup(overrides: Record<string, unknown> = {}, deps: Partial<EngineDeps> = {}) {
  const clock = new FakeClock();
  const config: EngineConfig = engineConfigFrom(configSchema.parse(overrides));
  const engine = new DetectionEngine(config, { clock, ...deps });
  const off = (ip: string, kind: OffenseKind, extra: Partial<Offense> = {}): Decision[] =>
    engine.offense({ ip, kind, signature: SIG, at: clock.now(), detail: 'InvalidPassword PJSIP/UDP', ...extra });
  return { clock, engine, off };
}

test('brute force: the defaults ban after 5 failures on one account within 10 minutes', () => {
  const { clock, off } = setup();
  for (let i = 0; i < 4; i++) {
    assert.deepEqual(off('203.0.113.7', 'auth-failure', { account: '100' }), []);
    clock.advance(60_000);
  }
  assert.deepEqual(off('203.0.113.7', 'auth-failure', { account: '100' }), [{
    action: 'ban', target: '203.0.113.7', duration: 3600, origin: 'rule:brute-force',
    reason: '5 failed auths for account 100 within 10m (asterisk-security)',
  }]);
});

test('brute force: failures older than find_time drop out of the window', () => {
  const { clock, off } = setup();
  for (let i = 0; i < 4; i++) off('203.0.113.7', 'auth-failure', { account: '100' });
  clock.advance(601_000);
  for (let i = 0; i < 4; i++) assert.deepEqual(off('203.0.113.7', 'auth-failure', { account: '100' }), []);
  assert.equal(off('203.0.113.7', 'auth-failure', { account: '100' })[0]?.origin, 'rule:brute-force');
});

test('office NAT: scattered failures over a few accounts wait for the per-IP cap', () => {
  const { off } = setup();
  const accounts = ['101', '102', '103', '104'];
  for (let round = 0; round < 4; round++) {
    for (const a of accounts) assert.deepEqual(off('198.51.100.1', 'auth-failure', { account: a }), [], `${round} ${a}`);
  }
  for (let i = 0; i < 3; i++) assert.deepEqual(off('198.51.100.1', 'acl', { account: '' }), []);
  const d = off('198.51.100.1', 'acl');
  assert.equal(d[0]?.reason, '20 failed auths across 5 accounts within 10m (asterisk-security)');
});

test('office NAT: a phone with a stale password (proven account) bans only at the per-IP cap', () => {
  const { off } = setup();
  off('198.51.100.2', 'auth-success', { account: '100' });
  for (let i = 0; i < 19; i++) assert.deepEqual(off('198.51.100.2', 'auth-failure', { account: '100' }), [], `failure ${i + 1}`);
  assert.match(off('198.51.100.2', 'auth-failure', { account: '100' })[0]?.reason ?? '', /^20 failed auths across 1 account /);
});

test('a learned friend is not exempt from brute force on another account', () => {
  const { off } = setup();
  off('198.51.100.3', 'auth-success', { account: '100' });
  for (let i = 0; i < 4; i++) assert.deepEqual(off('198.51.100.3', 'auth-failure', { account: '101' }), []);
  assert.equal(off('198.51.100.3', 'auth-failure', { account: '101' })[0]?.origin, 'rule:brute-force');
});

test('the lines of one attempt count once; one Call-ID with a repeated event counts each guess', () => {
  const { clock, off } = setup();
  // PJSIP writes a NOTICE and a security event for one failed REGISTER, with the same Call-ID.
  for (let i = 0; i < 4; i++) {
    assert.deepEqual(off('203.0.113.9', 'auth-failure', { account: '100', attempt: `c${i}`, signature: 'asterisk-pjsip-request', detail: 'REGISTER failed: Failed to authenticate' }), []);
    assert.deepEqual(off('203.0.113.9', 'auth-failure', { account: '100', attempt: `c${i}`, detail: 'ChallengeResponseFailed PJSIP/UDP' }), []);
    clock.advance(1000);
  }
  assert.equal(off('203.0.113.9', 'auth-failure', { account: '100', attempt: 'c4' })[0]?.origin, 'rule:brute-force');

  // The Avaya-UA brute-forcer: one Call-ID, CSeq 1→N, the same event each time.
  const b = setup();
  for (let i = 0; i < 4; i++) {
    assert.deepEqual(b.off('203.0.113.10', 'auth-failure', { account: '100', attempt: 'same', detail: 'ChallengeResponseFailed x' }), []);
    b.clock.advance(200);
  }
  assert.equal(b.off('203.0.113.10', 'auth-failure', { account: '100', attempt: 'same', detail: 'ChallengeResponseFailed x' }).length, 1);
  assert.equal(b.engine.stats.joinedAttempts, 0);
});

test('enumeration: 5 distinct accounts within find_time', () => {
  const { clock, off, engine } = setup();
  for (const a of ['100', '101', '102', '103']) {
    assert.deepEqual(off('203.0.113.11', 'auth-failure', { account: a }), []);
    clock.advance(30_000);
  }
  const d = off('203.0.113.11', 'auth-failure', { account: '104' });
  assert.equal(d[0]?.origin, 'rule:enumeration');
  assert.equal(d[0]?.reason, '5 accounts tried within 10m: 100, 101, 102, 103, 104 (asterisk-security)');
  assert.equal(engine.stats.decisions.enumeration, 1);
});

test('flood: more than max_rate requests per second, sliding over the second boundary', () => {
  const { clock, off } = setup();
  for (let i = 0; i < 50; i++) assert.deepEqual(off('203.0.113.12', 'request'), []);
  assert.equal(off('203.0.113.12', 'request')[0]?.reason, '51 requests/s, more than 50 (asterisk-security)');

  const slow = setup();
  for (let s = 0; s < 10; s++) {
    for (let i = 0; i < 40; i++) {
      assert.deepEqual(slow.off('203.0.113.13', 'request', { attempt: 'one-call-id' }), []);
      slow.clock.advance(25);
    }
  }
  // 30 late in one second and 30 early in the next: 57 within the last 1000 ms.
  const edge = setup();
  edge.clock.set(Date.UTC(2026, 10, 27, 12, 0, 0, 900));
  for (let i = 0; i < 30; i++) edge.off('203.0.113.14', 'request');
  edge.clock.advance(200);
  const hits = Array.from({ length: 30 }, () => edge.off('203.0.113.14', 'request')).flat();
  assert.equal(hits.length, 1);
  assert.equal(hits[0].origin, 'rule:flood');
});

test('learned friends are spared floods and scanner noise, never injection, and expire', () => {
  const { clock, off } = setup();
  off('198.51.100.20', 'auth-success', { account: '100' });
  for (let i = 0; i < 200; i++) assert.deepEqual(off('198.51.100.20', 'request'), []);
  assert.deepEqual(off('198.51.100.20', 'scanner', { signature: 'sip-scanner-ua', detail: 'User-Agent friendly-scanner' }), []);
  assert.deepEqual(off('198.51.100.20', 'foreign-domain'), []);
  assert.equal(off('198.51.100.20', 'injection', { detail: "From user 'or''='" })[0]?.origin, 'rule:injection');
  const later = setup();
  later.off('198.51.100.21', 'auth-success', { account: '100' });
  later.clock.advance(3601_000);
  assert.equal(later.off('198.51.100.21', 'scanner', { detail: 'User-Agent sipvicious' })[0]?.origin, 'rule:scanner');
  assert.ok(clock.now() > 0);
});

test('SuccessfulAuth learning can be switched off', () => {
  const { off } = setup({ detect: { learn_friends: { enabled: false } } });
  off('198.51.100.22', 'auth-success', { account: '100' });
  assert.equal(off('198.51.100.22', 'scanner', { detail: 'x' }).length, 1);
});

test('instant bans and configured friends', () => {
  const friends = new Set(['192.0.2.50']);
  const { off, engine } = setup({}, { isFriend: (ip) => friends.has(ip) });
  const d = off('203.0.113.15', 'scanner', { signature: 'sip-scanner-ua', detail: 'User-Agent friendly-scanner' });
  assert.deepEqual(d, [{
    action: 'ban', target: '203.0.113.15', duration: 3600, origin: 'rule:scanner',
    reason: 'scanner: User-Agent friendly-scanner (sip-scanner-ua)',
  }]);
  for (const kind of ['scanner', 'injection', 'foreign-domain', 'auth-failure', 'request'] as const) {
    for (let i = 0; i < 100; i++) assert.deepEqual(off('192.0.2.50', kind, { account: `a${i}` }), []);
  }
  assert.equal(engine.stats.friendOffenses, 500);
  assert.equal(engine.trackedSources, 1, 'friends are not even tracked');
});

test('escalation: ban time × factor^prior bans, capped at ban.max_time', () => {
  const prior = new Map([['203.0.113.16', 2], ['203.0.113.17', 20]]);
  const { off } = setup({ detect: { brute_force: { ban_time: '10m' } } }, { priorBans: (ip) => prior.get(ip) ?? 0 });
  const ban = (ip: string) => {
    for (let i = 0; i < 4; i++) off(ip, 'auth-failure', { account: '1' });
    return off(ip, 'auth-failure', { account: '1' })[0];
  };
  assert.equal(ban('203.0.113.18').duration, 600);
  const twice = ban('203.0.113.16');
  assert.equal(twice.duration, 2400);
  assert.match(twice.reason, /; repeat offender \(2 earlier bans\): 40m$/);
  assert.equal(ban('203.0.113.17').duration, 7 * 86400);
  assert.equal(off('203.0.113.19', 'scanner', { detail: 'x' })[0].duration, 3600, 'instant bans use ban.time');
});

test('one decision per ban: later offenses from a banned source are suppressed until it expires', () => {
  const { clock, off, engine } = setup();
  assert.equal(off('203.0.113.20', 'scanner', { detail: 'x' }).length, 1);
  for (let i = 0; i < 10; i++) assert.deepEqual(off('203.0.113.20', 'scanner', { detail: 'x' }), []);
  assert.equal(engine.stats.alreadyBanned, 10);
  clock.advance(3600_000);
  assert.equal(off('203.0.113.20', 'scanner', { detail: 'x' }).length, 1);
});

test('a malformed address from a signature never becomes a decision', () => {
  const { off } = setup();
  assert.deepEqual(off('not-an-ip', 'scanner', { detail: 'x' }), []);
});

test('bounded state: 1.2M distinct sources never exceed limits.max_sources, and idle ones expire', () => {
  const { clock, engine } = setup({ detect: { limits: { max_sources: 100_000 } } });
  const at = clock.now();
  for (let i = 0; i < 1_200_000; i++) {
    const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    engine.offense({ ip, kind: 'auth-failure', signature: SIG, at, detail: 'InvalidAccountID x', account: '100', attempt: `c${i}` });
    if (i % 100_000 === 0) assert.ok(engine.trackedSources <= 100_000);
  }
  assert.equal(engine.trackedSources, 100_000);
  assert.equal(engine.evictedSources, 1_100_000);
  clock.advance(601_000);
  engine.tick();
  assert.equal(engine.trackedSources, 0);
});

test('interleaved attempts (two Call-IDs, their lines mixed) still count once each', () => {
  const { off } = setup();
  const line = (callId: string, detail: string) =>
    off('203.0.113.30', 'auth-failure', { account: '100', attempt: callId, detail, signature: detail.startsWith('REGISTER') ? 'asterisk-pjsip-request' : SIG });
  for (let i = 0; i < 2; i++) {
    const [a, b] = [`a${i}`, `b${i}`];
    assert.deepEqual([...line(a, 'REGISTER failed'), ...line(b, 'REGISTER failed'), ...line(a, 'ChallengeResponseFailed x'), ...line(b, 'ChallengeResponseFailed x')], []);
  }
  // 4 attempts so far (8 lines); the fifth bans.
  assert.equal(line('c', 'REGISTER failed').length, 1);
});

test('tick() forgets learned friends after learn_friends.time, and idle sources after find_time', () => {
  const { clock, off, engine } = setup();
  off('198.51.100.40', 'auth-success', { account: '100' });
  off('203.0.113.41', 'auth-failure', { account: '1' });
  assert.equal(engine.learnedFriends, 1);
  assert.equal(engine.trackedSources, 1);
  clock.advance(601_000);
  engine.tick();
  assert.equal(engine.trackedSources, 0);
  assert.equal(engine.learnedFriends, 1);
  clock.advance(3000_000);
  engine.tick();
  assert.equal(engine.learnedFriends, 0);
});

test('a stale phone stays spared while its office keeps authenticating, not after the office goes quiet', () => {
  const { clock, off } = setup();
  off('198.51.100.50', 'auth-success', { account: '100' });
  // Two hours later account 100 still fails every 2 minutes; account 101 keeps registering.
  for (let minute = 0; minute < 120; minute += 2) {
    clock.advance(120_000);
    off('198.51.100.50', 'auth-success', { account: '101' });
    assert.deepEqual(off('198.51.100.50', 'auth-failure', { account: '100' }), [], `minute ${minute}`);
  }
  // The office stops authenticating: an hour later the friendship (and the proof) has lapsed.
  clock.advance(3601_000);
  for (let i = 0; i < 4; i++) assert.deepEqual(off('198.51.100.50', 'auth-failure', { account: '100' }), []);
  assert.equal(off('198.51.100.50', 'auth-failure', { account: '100' })[0]?.origin, 'rule:brute-force');
});
