import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FakeClock } from '../core/clock.ts';
import { MIGRATIONS } from './migrations.ts';
import { Store } from './store.ts';

const HOUR = 3600_000;

test('migrations run once, in order, and the version is recorded', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'sw-store-')), 'a.db');
  const clock = new FakeClock();
  const a = new Store(path, clock);
  assert.equal(a.schemaVersion, MIGRATIONS.length);
  a.close();
  const b = new Store(path, clock); // reopening applies nothing twice
  assert.equal(b.schemaVersion, MIGRATIONS.length);
  b.close();
});

test('bans survive a restart; expired ones are not active and are expired once', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'sw-store-')), 'b.db');
  const clock = new FakeClock();
  const s = new Store(path, clock);
  s.upsertBan({ target: '203.0.113.7', family: 4, origin: 'cli', reason: 'test', expires: clock.now() + HOUR });
  s.upsertBan({ target: '198.51.100.0/24', family: 4, origin: 'rule:brute-force', reason: 'x', expires: clock.now() + 2 * HOUR });
  s.upsertBan({ target: '2001:db8::/64', family: 6, origin: 'cli', reason: 'forever', expires: null });
  s.close();
  const r = new Store(path, clock);
  assert.deepEqual(r.activeBans().map((b) => b.target).sort(), ['198.51.100.0/24', '2001:db8::/64', '203.0.113.7']);
  clock.advance(HOUR + 1);
  assert.deepEqual(r.activeBans().map((b) => b.target).sort(), ['198.51.100.0/24', '2001:db8::/64']);
  assert.deepEqual(r.expireBans().map((b) => b.target), ['203.0.113.7']);
  assert.deepEqual(r.expireBans(), []);
  r.close();
});

test('a re-ban counts a hit, keeps the first created time and the later expiry', () => {
  const clock = new FakeClock();
  const s = new Store(':memory:', clock);
  s.upsertBan({ target: '203.0.113.7', family: 4, origin: 'cli', reason: 'a', expires: clock.now() + 2 * HOUR });
  const created = s.getBan('203.0.113.7')!.created;
  clock.advance(HOUR);
  s.upsertBan({ target: '203.0.113.7', family: 4, origin: 'rule:x', reason: 'b', expires: clock.now() + 10 });
  const b = s.getBan('203.0.113.7')!;
  assert.equal(b.hits, 2);
  assert.equal(b.created, created);
  assert.equal(b.expires, created + 2 * HOUR);
  assert.equal(b.origin, 'rule:x');
  assert.ok(s.deleteBan('203.0.113.7'));
  assert.equal(s.deleteBan('203.0.113.7'), false);
});

test('offender history (escalation) and feed state persist; events stay bounded', () => {
  const clock = new FakeClock();
  const s = new Store(':memory:', clock);
  s.recordOffenderBan('203.0.113.7');
  s.recordOffenderBan('203.0.113.7');
  assert.equal(s.offenderBans('203.0.113.7'), 2);
  s.updateFeedState('apiban', { last_id: '1700000250', entries: 250 });
  s.updateFeedState('apiban', { last_error: null, last_ok: clock.now() });
  assert.equal(s.feedState('apiban')?.last_id, '1700000250');
  for (let i = 0; i < 50; i++) s.addEvent({ at: clock.now(), ip: '203.0.113.7', kind: 'ban', origin: 'cli', detail: String(i) });
  s.pruneEvents(10);
  assert.equal(s.eventsFor('203.0.113.7', 100).length, 10);
});
