// The engine keeps copies of what it cuts from log lines, not views that pin the whole line.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { configSchema } from '../../config/schema.ts';
import { FakeClock } from '../../core/clock.ts';
import { DetectionEngine } from '../engine.ts';
import { engineConfigFrom } from './config.ts';
import { detached } from './detached.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

test('20,000 tracked sources cut from 4 KB lines do not keep the lines alive', () => {
  const engine = new DetectionEngine(engineConfigFrom(configSchema.parse({})), { clock: new FakeClock() });
  const pad = 'x'.repeat(4000);
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < 20_000; i++) {
    const line = `${pad} RemoteAddress="IPV4/UDP/203.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/5060" AccountID="account-number-${i}" SessionID="session-id-of-the-call-${i}"`;
    const cut = (key: string) => line.slice(line.indexOf(`${key}="`) + key.length + 2, line.indexOf('"', line.indexOf(`${key}="`) + key.length + 2));
    const ip = cut('RemoteAddress').split('/')[2];
    engine.offense({ ip, kind: 'auth-failure', signature: 'asterisk-security', at: 0, detail: 'InvalidAccountID', account: cut('AccountID'), attempt: cut('SessionID') });
  }
  gc();
  const perSource = (process.memoryUsage().heapUsed - before) / 20_000;
  assert.equal(engine.trackedSources, 20_000);
  assert.ok(perSource < 2000, `${perSource.toFixed(0)} bytes of heap per tracked source: the 4 KB lines are still referenced`);
});

test('detached copies are equal strings', () => {
  for (const s of ['', '10.0.0.1', '203.0.113.100', 'a-much-longer-session-id@host']) assert.equal(detached(s), s);
});
