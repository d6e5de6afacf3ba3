// The pipeline's event loop: batches preferred over single events, and each event offered only to
// the signatures of its type.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configSchema } from './config/schema.ts';
import { FakeClock } from './core/clock.ts';
import { silentLogger } from './core/log.ts';
import type { RawEvent } from './core/types.ts';
import type { Signature } from './detect/signature.ts';
import { Detection } from './detection.ts';
import { createStats, type EventSource } from './sources/source.ts';
import type { Store } from './store/store.ts';

const line = (n: number): RawEvent => ({ type: 'log-line', source: 'log', at: n, line: `line ${n}` });

test('Detection reads batches when a source has them, and offers events only to signatures of their type', async () => {
  const offered: string[] = [];
  const spy = (id: string, eventTypes?: RawEvent['type'][]): Signature => ({
    id,
    eventTypes,
    match(ev) {
      offered.push(`${id}:${ev.type}`);
      return null;
    },
  });
  const source: EventSource = {
    id: 'log',
    stats: createStats(),
    events: () => {
      throw new Error('events() must not be called when batches() exists');
    },
    async *batches(signal) {
      yield [line(1), line(2)];
      yield [line(3)];
      while (!signal.aborted) await new Promise((r) => setTimeout(r, 5));
    },
  };
  const detection = new Detection({
    config: configSchema.parse({}),
    sources: [source],
    signatures: [spy('log', ['log-line']), spy('sip', ['sip']), spy('any')],
    bans: () => assert.fail('no decision expected'),
    store: {} as Store,
    clock: new FakeClock(),
    log: silentLogger,
    isFriend: () => false,
  });
  await detection.start();
  await detection.stop();
  assert.equal(detection.counts.events, 3);
  assert.equal(detection.counts.errors, 0);
  assert.deepEqual(offered, ['log:log-line', 'any:log-line', 'log:log-line', 'any:log-line', 'log:log-line', 'any:log-line']);
});
