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

test('20,000 tracked sources and 20,000 learned friends cut from 4 KB lines do not keep the lines alive', () => {
  const engine = new DetectionEngine(engineConfigFrom(configSchema.parse({})), { clock: new FakeClock() });
  const pad = 'x'.repeat(4000);
  // Every kept string is 13+ characters, the length from which V8 makes a cut a view.
  const address = (net: number, i: number) => `198.${net}.${(i >> 7) & 255}.${100 + (i & 127)}`;
  const cutter = (line: string) => (key: string) => {
    const from = line.indexOf(`${key}="`) + key.length + 2;
    return line.slice(from, line.indexOf('"', from));
  };
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < 20_000; i++) {
    const fail = cutter(`${pad} RemoteAddress="${address(151, i)}" AccountID="account-number-${i}" SessionID="session-id-of-the-call-${i}"`);
    engine.offense({ ip: fail('RemoteAddress'), kind: 'auth-failure', signature: 'asterisk-security', at: 0, detail: 'InvalidAccountID', account: fail('AccountID'), attempt: fail('SessionID') });
    const ok = cutter(`${pad} RemoteAddress="${address(152, i)}" AccountID="phone-account-${i}"`);
    engine.offense({ ip: ok('RemoteAddress'), kind: 'auth-success', signature: 'asterisk-security', at: 0, detail: 'SuccessfulAuth', account: ok('AccountID') });
  }
  gc();
  const perEntry = (process.memoryUsage().heapUsed - before) / 40_000;
  assert.equal(engine.trackedSources, 20_000);
  assert.equal(engine.learnedFriends, 20_000);
  assert.ok(perEntry < 1500, `${perEntry.toFixed(0)} bytes of heap per tracked source or friend: the 4 KB lines are still referenced`);
});

test('detached copies are equal strings', () => {
  for (const s of ['', '10.0.0.1', '203.0.113.100', 'a-much-longer-session-id@host']) assert.equal(detached(s), s);
});
