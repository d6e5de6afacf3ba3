import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '../core/log.ts';
import type { RawEvent } from '../core/types.ts';
import { collect } from '../../test/helpers/collect-events.ts';
import { withRestart } from './restart.ts';
import { createStats, type EventSource, SourceSetupError } from './source.ts';

const line = (n: number): RawEvent => ({ type: 'log-line', source: 'flaky', at: n, line: `line ${n}` });

/** A source that yields one event then fails, `failures` times, then yields forever-ish. */
function flaky(failures: number, error: () => Error): EventSource & { starts: number[] } {
  let attempt = 0;
  const starts: number[] = [];
  return {
    id: 'flaky',
    stats: createStats(),
    starts,
    async *events(signal) {
      starts.push(Date.now());
      const n = attempt++;
      yield line(n);
      if (n < failures) throw error();
      while (!signal.aborted) await new Promise((r) => setTimeout(r, 5));
    },
  };
}

describe('withRestart', () => {
  it('retries with doubling delays and keeps the last error', async () => {
    const inner = flaky(3, () => new Error('connection reset'));
    const src = withRestart(inner, { min: 40, max: 1000 }, silentLogger);
    const c = collect(src);
    await c.until((ev) => ev.length >= 4);
    await c.stop();
    assert.equal(src.stats.restarts, 3);
    assert.equal(src.stats.lastError, 'connection reset');
    const gaps = inner.starts.slice(1).map((t, i) => t - inner.starts[i]);
    assert.ok(gaps[0] >= 35 && gaps[1] >= 75 && gaps[2] >= 155, `delays double: ${gaps}`);
  });

  it('passes a setup error through on the first attempt only', async () => {
    const first = withRestart(flaky(1, () => new SourceSetupError('ERR_SOURCE', 'port busy')), { min: 10, max: 100 }, silentLogger);
    // The first attempt yields one event before failing, so the error is still from attempt 0.
    const err = await collect(first).done;
    assert.ok(err instanceof SourceSetupError);

    let attempt = 0;
    const later: EventSource = {
      id: 'later',
      stats: createStats(),
      async *events(signal) {
        if (attempt++ === 1) throw new SourceSetupError('ERR_SOURCE', 'port busy');
        yield line(attempt);
        if (attempt === 1) throw new Error('dropped');
        while (!signal.aborted) await new Promise((r) => setTimeout(r, 5));
      },
    };
    const src = withRestart(later, { min: 10, max: 100 }, silentLogger);
    const c = collect(src);
    await c.until((ev) => ev.length >= 2);
    await c.stop();
    assert.equal(src.stats.restarts, 2);
  });

  it('stops at once on abort, even while waiting to retry', async () => {
    const src = withRestart(flaky(100, () => new Error('down')), { min: 60_000, max: 60_000 }, silentLogger);
    const c = collect(src);
    await c.until((ev) => ev.length >= 1);
    const t0 = Date.now();
    await c.stop();
    assert.ok(Date.now() - t0 < 500);
  });

  it('forwards batches() and restarts it as it restarts events()', { timeout: 10_000 }, async () => {
    let attempt = 0;
    const inner: EventSource = {
      id: 'batched',
      stats: createStats(),
      events: () => {
        throw new Error('events() must not be called when batches() is used');
      },
      async *batches(signal) {
        const n = attempt++;
        yield [line(n), line(n + 100)];
        if (n === 0) throw new Error('dropped');
        while (!signal.aborted) await new Promise((r) => setTimeout(r, 5));
      },
    };
    const src = withRestart(inner, { min: 10, max: 100 }, silentLogger);
    const ac = new AbortController();
    const seen: number[] = [];
    for await (const batch of src.batches!(ac.signal)) {
      seen.push(...batch.map((ev) => ev.at));
      if (seen.length === 4) ac.abort();
    }
    assert.deepEqual(seen, [0, 100, 1, 101]);
    assert.equal(src.stats.restarts, 1);
    assert.equal(src.stats.lastError, 'dropped');
    assert.equal(withRestart(flaky(0, () => new Error('x')), { min: 10, max: 100 }, silentLogger).batches, undefined);
  });
});
