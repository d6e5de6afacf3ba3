import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { startApibanServer, publicIps, type ApibanTestServer } from '../../test/helpers/apiban-server.ts';
import { harness } from '../../test/helpers/feed-harness.ts';
import { createApibanFeed, FeedError, type Feed, type FeedRunReport } from './index.ts';
import { backoffDelay, FeedScheduler, RATE_LIMIT_BACKOFF_MS, TRANSIENT_MAX_MS, UNAUTHORIZED_BACKOFF_MS } from './scheduler.ts';

class CountingFeed implements Feed {
  runs = 0;
  constructor(readonly id: string, private readonly intervalMs: number, public fail: FeedError | null = null) {}
  nextInterval(): number {
    return this.intervalMs;
  }
  async sync(): Promise<FeedRunReport> {
    this.runs++;
    if (this.fail) throw this.fail;
    return { status: 'ok', pages: 0, full: false };
  }
}

let server: ApibanTestServer;
before(async () => {
  server = await startApibanServer();
});
after(() => server.close());

describe('feed scheduler', () => {
  test('runs each feed on its own interval, saves next_run, and stops on abort', async () => {
    const h = harness({});
    const a = new CountingFeed('a', 15);
    const b = new CountingFeed('b', 40);
    const sched = new FeedScheduler({ feeds: [a, b], deps: h.deps });
    const stop = new AbortController();
    sched.start(stop.signal);
    for (let i = 0; i < 100 && (a.runs < 6 || b.runs < 2); i++) await sleep(50);
    stop.abort();
    await sched.stop();
    assert.ok(a.runs >= 6, `a ran ${a.runs} times`);
    assert.ok(b.runs >= 2 && b.runs < a.runs, `b ran ${b.runs} times`);
    assert.equal(h.store.feedState('a')!.next_run, h.clock.now() + 15);
    const frozen = a.runs + b.runs;
    await sleep(60);
    assert.equal(a.runs + b.runs, frozen, 'no run after stop');
  });

  test('a next_run saved in the future is honoured after a restart', async () => {
    const h = harness({});
    h.store.updateFeedState('later', { next_run: h.clock.now() + 3_600_000 });
    const feed = new CountingFeed('later', 10);
    const sched = new FeedScheduler({ feeds: [feed], deps: h.deps });
    const stop = new AbortController();
    sched.start(stop.signal);
    await sleep(60);
    stop.abort();
    await sched.stop();
    assert.equal(feed.runs, 0);
  });

  test('403 from APIBAN: one request, then hours of back-off instead of a retry storm', async () => {
    server.add(publicIps(3));
    const h = harness({ apiban: { key: 'revoked', url: server.url } });
    const real = createApibanFeed(h.config.feeds.apiban!, { timeoutMs: 2000 });
    const fast: Feed = { id: real.id, sync: real.sync, nextInterval: () => 5 }; // would poll every 5 ms if healthy
    const results: string[] = [];
    const sched = new FeedScheduler({ feeds: [fast], deps: h.deps, onResult: (r) => results.push(r.error?.code ?? r.status) });
    const from = server.requestCount;
    const stop = new AbortController();
    sched.start(stop.signal);
    for (let i = 0; i < 100 && results.length === 0; i++) await sleep(50); // the first sync, however slow the machine
    await sleep(150); // 30 healthy intervals
    stop.abort();
    await sched.stop();
    assert.deepEqual(results, ['ERR_FEED_UNAUTHORIZED']);
    assert.equal(server.requestCount - from, 1);
    assert.equal(h.store.feedState('apiban')!.next_run, h.clock.now() + UNAUTHORIZED_BACKOFF_MS);
  });

  test('syncNow runs a feed at once, one sync per feed at a time', async () => {
    const h = harness({});
    const feed = new CountingFeed('now', 3_600_000);
    const sched = new FeedScheduler({ feeds: [feed], deps: h.deps });
    const [r1, r2] = await Promise.all([sched.syncNow('now'), sched.syncNow('now')]);
    assert.equal(r1[0].status, 'ok');
    assert.equal(r2[0].status, 'ok');
    assert.equal(feed.runs, 2);
    assert.deepEqual(await sched.syncNow('missing'), []);
  });

  test('back-off: exponential with jitter for transient failures, capped; rate limits wait it out', () => {
    const err = (kind: 'transient' | 'rate-limited', retryAfterMs?: number) => ({ code: 'ERR_FEED' as const, kind, message: '', retryAfterMs });
    const hi = () => 1;
    const lo = () => 0;
    assert.equal(backoffDelay(err('transient'), 1, hi), 30_000);
    assert.equal(backoffDelay(err('transient'), 2, hi), 60_000);
    assert.equal(backoffDelay(err('transient'), 2, lo), 30_000);
    assert.equal(backoffDelay(err('transient'), 40, hi), TRANSIENT_MAX_MS);
    assert.equal(backoffDelay(err('rate-limited'), 1, lo), RATE_LIMIT_BACKOFF_MS);
    assert.equal(backoffDelay(err('rate-limited', 600_000), 1, lo), 600_000);
  });

  test('a 429 from APIBAN backs off for minutes and the next sync resumes where it stopped', async () => {
    server.expire(server.active());
    server.add(publicIps(600));
    const h = harness({ apiban: { key: 'testkey', url: server.url } });
    const feed = createApibanFeed(h.config.feeds.apiban!, { timeoutMs: 2000 });
    const sched = new FeedScheduler({ feeds: [feed], deps: h.deps, random: () => 0 });
    h.store.updateFeedState('apiban', { next_run: h.clock.now() + 3_600_000 }); // only syncNow runs here
    const stop = new AbortController();
    sched.start(stop.signal);
    server.failOn(server.requestCount + 2, 429);
    const r = await sched.syncNow('apiban');
    assert.equal(r[0].error?.kind, 'rate-limited');
    assert.equal(h.store.feedState('apiban')!.next_run, h.clock.now() + RATE_LIMIT_BACKOFF_MS);
    const resumed = await sched.syncNow('apiban');
    assert.equal(resumed[0].added, 350);
    stop.abort();
    await sched.stop();
  });
});
