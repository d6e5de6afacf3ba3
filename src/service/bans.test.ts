import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configSchema } from '../config/schema.ts';
import { FakeClock } from '../core/clock.ts';
import { silentLogger } from '../core/log.ts';
import { DryRunBackend } from '../enforce/dry-run/backend.ts';
import { compilePolicy } from '../enforce/policy.ts';
import { Store } from '../store/store.ts';
import { BanService } from './bans.ts';

test("banMany counts a rule's bans toward escalation, in its own transaction, and nobody else's", async () => {
  const clock = new FakeClock(Date.UTC(2026, 10, 27, 5));
  const store = new Store(':memory:', clock);
  const bans = new BanService(store, new DryRunBackend(silentLogger), compilePolicy(configSchema.parse({}), { builtinUserAgents: [], hostAddresses: [] }), clock);
  try {
    const r = await bans.banMany([
      { target: '203.0.113.7', duration: 3600, origin: 'rule:brute-force', reason: 'x' },
      { target: '203.0.113.8', duration: 3600, origin: 'cli', reason: 'by hand' },
      { target: '127.0.0.1', duration: 3600, origin: 'rule:scanner', reason: 'refused: loopback' },
    ]);
    assert.deepEqual(r.banned.map((b) => b.target), ['203.0.113.7', '203.0.113.8']);
    assert.equal(r.refused.length, 1);
    assert.equal(store.offenderBans('203.0.113.7'), 1);
    assert.equal(store.offenderBans('203.0.113.8'), 0, 'a ban by hand is not an offense count');
    assert.equal(store.offenderBans('127.0.0.1'), 0, 'a refused ban counts nothing');
    await bans.banMany([{ target: '203.0.113.7', duration: 3600, origin: 'rule:brute-force', reason: 'again' }]);
    assert.equal(store.offenderBans('203.0.113.7'), 2);
  } finally {
    store.close();
  }
});
