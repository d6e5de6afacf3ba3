import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { startApibanServer, publicIps, type ApibanTestServer } from '../../test/helpers/apiban-server.ts';
import { feedTargets, harness } from '../../test/helpers/feed-harness.ts';
import { acceptHeld, createApibanFeed, purgeFeed, type FeedProgress } from './index.ts';
import { runFeedSync } from './runner.ts';

const DAY = 86_400_000;
let server: ApibanTestServer;

before(async () => {
  server = await startApibanServer();
});
after(() => server.close());

function setup(extra: Record<string, unknown> = {}, opts: Parameters<typeof harness>[1] = {}) {
  const h = harness({ apiban: { key: 'testkey', url: server.url, ...extra } }, opts);
  const feed = createApibanFeed(h.config.feeds.apiban!, { timeoutMs: 5000 });
  return { ...h, feed, sync: (onProgress?: (p: FeedProgress) => void) => runFeedSync(feed, { ...h.deps, onProgress }) };
}

/** The IDs the client asked for, in order, from the requests since `from`. */
function askedIds(from: number): string[] {
  return server.requests.slice(from).map((r) => (r.method === 'POST' ? JSON.parse(r.body).id : r.path.split('/').pop()));
}

describe('APIBAN feed', () => {
  let fresh: ReturnType<typeof setup>;
  beforeEach(() => {
    server.expire(server.active());
  });

  for (const api of ['v1', 'v2'] as const) {
    test(`${api}: pages of 250 until 400 "no new bans", every entry stored with a 7-day expiry`, async () => {
      const ips = publicIps(600);
      const last = server.add(ips);
      fresh = setup({ api });
      const from = server.requestCount;
      const pages: FeedProgress[] = [];
      const r = await fresh.sync((p) => pages.push(p));
      assert.equal(r.status, 'ok');
      assert.equal(r.added, 600);
      assert.deepEqual(pages.map((p) => p.count), [250, 250, 100]);
      assert.equal(pages[2].id, last);
      assert.deepEqual(feedTargets(fresh.store, 'apiban'), [...ips].sort());
      assert.equal(fresh.store.getBan(ips[0])!.expires, fresh.clock.now() + 7 * DAY);
      assert.equal(fresh.store.feedState('apiban')!.last_id, last);
      assert.equal(fresh.store.feedState('apiban')!.entries, 600);
      const asked = askedIds(from);
      assert.equal(asked.length, 4);
      assert.equal(asked[0], '100');
      assert.equal(asked[3], last);
      const req = server.requests[from];
      if (api === 'v2') {
        assert.equal(req.method, 'POST');
        assert.equal(req.path, '/api/get');
        assert.equal(req.auth, 'Bearer testkey');
        assert.deepEqual(JSON.parse(req.body), { set: 'sip', id: '100' });
      } else {
        assert.equal(req.method, 'GET');
        assert.equal(req.path, '/api/testkey/banned/100');
      }
      // Nothing new: one request, nothing changes.
      const again = await fresh.sync();
      assert.equal(again.status, 'unchanged');
      assert.equal(server.requestCount, from + 5);
    });
  }

  test('a 429 mid-sync keeps the pages applied; the next sync resumes from the saved ID, no page lost or repeated', async () => {
    const ips = publicIps(700);
    server.add(ips);
    const s = setup();
    const from = server.requestCount;
    server.failOn(from + 2, 429);
    const first = await s.sync();
    assert.equal(first.status, 'error');
    assert.equal(first.error!.kind, 'rate-limited');
    assert.equal(first.added, 250);
    assert.equal(first.pages, 1);
    const savedId = s.store.feedState('apiban')!.last_id!;
    assert.equal(feedTargets(s.store, 'apiban').length, 250);
    const second = await s.sync();
    assert.equal(second.status, 'ok');
    assert.equal(second.added, 450);
    assert.equal(second.refreshed, 0, 'no page was fetched and applied twice');
    assert.deepEqual(feedTargets(s.store, 'apiban'), [...ips].sort());
    const asked = askedIds(from);
    assert.deepEqual(asked.slice(0, 3), ['100', savedId, savedId]); // the 429'd page asked again, nothing else
    assert.equal(new Set(asked.slice(2)).size, asked.length - 2);
  });

  test('after a restart the sync goes on from the ID kept in the store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sipwarden-feed-'));
    try {
      const path = join(dir, 'store.db');
      server.add(publicIps(300));
      const a = setup({}, { path });
      await a.sync();
      const savedId = a.store.feedState('apiban')!.last_id!;
      a.store.close();
      const more = publicIps(40, 1000);
      server.add(more);
      const b = setup({}, { path, clock: a.clock });
      const from = server.requestCount;
      const r = await b.sync();
      assert.equal(r.status, 'ok');
      assert.equal(r.full, false);
      assert.equal(r.added, 40);
      assert.equal(askedIds(from)[0], savedId);
      assert.equal(feedTargets(b.store, 'apiban').length, 340);
      b.store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an entry expires 7 days after APIBAN last listed it; listing it again refreshes the expiry', async () => {
    const ips = publicIps(5);
    server.add(ips);
    const s = setup({ full_resync: '30d' });
    await s.sync();
    s.clock.advance(6 * DAY);
    server.add([ips[0]]); // reactivated: a new, higher ID
    const r = await s.sync();
    assert.equal(r.refreshed, 1);
    assert.equal(s.store.getBan(ips[0])!.expires, s.clock.now() + 7 * DAY);
    s.clock.advance(1 * DAY + 1);
    const expired = s.store.expireBans().map((b) => b.target).sort();
    assert.deepEqual(expired, ips.slice(1).sort());
    assert.deepEqual(feedTargets(s.store, 'apiban'), [ips[0]]);
  });

  test('a full resync from ID 100 drops what APIBAN no longer lists, even when a 429 cuts it in two', async () => {
    const ips = publicIps(600);
    server.add(ips);
    const s = setup({ full_resync: '1d' });
    await s.sync();
    const gone = ips.slice(100, 160);
    server.expire(gone);
    s.clock.advance(DAY + 1000);
    const from = server.requestCount;
    server.failOn(from + 2, 429);
    const cut = await s.sync();
    assert.equal(cut.status, 'error');
    assert.equal(feedTargets(s.store, 'apiban').length, 600, 'nothing removed before the resync completes');
    const r = await s.sync();
    assert.equal(r.status, 'ok');
    assert.equal(r.full, true);
    assert.equal(r.removed, 60);
    assert.equal(askedIds(from)[0], '100');
    assert.deepEqual(feedTargets(s.store, 'apiban'), ips.filter((ip) => !gone.includes(ip)).sort());
    // The next sync is incremental again.
    const next = await s.sync();
    assert.equal(next.full, false);
  });

  test('403 unauthorized: a clear ERR_FEED_UNAUTHORIZED after one request, nothing changes', async () => {
    server.add(publicIps(10));
    const s = setup({ key: 'wrong-key' });
    const from = server.requestCount;
    const r = await s.sync();
    assert.equal(r.status, 'error');
    assert.equal(r.error!.code, 'ERR_FEED_UNAUTHORIZED');
    assert.match(r.error!.message, /APIBAN refused the API key \(HTTP 403/);
    assert.doesNotMatch(r.error!.message, /wrong-key/, 'the key never appears in messages');
    assert.equal(server.requestCount, from + 1);
    assert.match(s.store.feedState('apiban')!.last_error!, /refused the API key/);
  });

  test('503, bad JSON and a malformed page keep the last good list', async () => {
    const ips = publicIps(20);
    server.add(ips);
    const s = setup();
    await s.sync();
    server.add(publicIps(5, 500));
    for (const [status, body, kind] of [
      [503, undefined, 'transient'],
      [200, '{not json', 'malformed'],
      [200, '{"ipaddress":"1.2.3.4","ID":"5"}', 'malformed'],
      [200, '{"ipaddress":["45.9.9.9"],"ID":"50"}', 'malformed'], // an ID going backwards
    ] as const) {
      server.failNext(status, body);
      const r = await s.sync();
      assert.equal(r.status, 'error', `${status} ${body}`);
      assert.equal(r.error!.kind, kind);
      assert.deepEqual(feedTargets(s.store, 'apiban'), [...ips].sort());
    }
    const ok = await s.sync();
    assert.equal(ok.added, 5);
  });

  test('poisoned APIBAN entries are refused and counted per reason; the rest applies', async () => {
    const good = publicIps(3, 7000);
    server.add(['127.0.0.1', '10.0.0.1', '169.254.0.9', '224.0.0.1', '240.0.0.1', '45.99.99.99', '45.98.0.1', 'no new bans', ...good]);
    const s = setup({}, { friends: ['45.98.0.0/24'] });
    const r = await s.sync();
    assert.equal(r.added, 3);
    assert.deepEqual(r.refused, { loopback: 1, private: 1, 'link-local': 1, multicast: 1, reserved: 1, 'own-address': 1, friend: 1, malformed: 1 });
    assert.deepEqual(feedTargets(s.store, 'apiban'), [...good].sort());
  });

  test('a server that never answers times out as a transient error; the list stays', async () => {
    server.add(publicIps(4, 8000));
    const h = harness({ apiban: { key: 'testkey', url: server.url } });
    const feed = createApibanFeed(h.config.feeds.apiban!, { timeoutMs: 300 });
    await runFeedSync(feed, h.deps);
    server.add(publicIps(1, 8100));
    server.failNext('hang');
    const r = await runFeedSync(feed, h.deps);
    assert.equal(r.error!.kind, 'transient');
    assert.match(r.error!.message, /no answer within 300 ms/);
    assert.equal(feedTargets(h.store, 'apiban').length, 4);
  });

  test('a burst that grows APIBAN by more than max_change_ratio is held at that page; accepting it resumes from there', async () => {
    server.add(publicIps(200, 20_000));
    const s = setup({}, {});
    await s.sync();
    const burst = publicIps(300, 30_000);
    server.add(burst);
    const held = await s.sync();
    assert.equal(held.status, 'held');
    assert.equal(feedTargets(s.store, 'apiban').length, 200);
    const before = server.requestCount;
    assert.equal((await s.sync()).status, 'held');
    assert.equal(server.requestCount, before, 'a held feed asks APIBAN nothing');
    assert.equal(await acceptHeld('apiban', s.deps), true);
    assert.equal(feedTargets(s.store, 'apiban').length, 450);
    const rest = await s.sync();
    assert.deepEqual([rest.status, rest.added], ['ok', 50]);
    assert.equal(feedTargets(s.store, 'apiban').length, 500);
  });

  test('purgeFeed drops every entry and the position, so the next sync starts from ID 100', async () => {
    server.add(publicIps(30, 9500));
    const s = setup();
    await s.sync();
    assert.equal(await purgeFeed('apiban', s.deps), 30);
    assert.deepEqual(feedTargets(s.store, 'apiban'), []);
    assert.equal(s.store.feedState('apiban')!.last_id, null);
    const from = server.requestCount;
    await s.sync();
    assert.equal(askedIds(from)[0], '100');
    assert.equal(feedTargets(s.store, 'apiban').length, 30);
  });

  test('checkOnline over v1 and v2', async () => {
    const [ip] = publicIps(1, 9000);
    server.add([ip]);
    for (const api of ['v1', 'v2'] as const) {
      const s = setup({ api });
      assert.equal((await s.feed.checkOnline(ip)).listed, true);
      assert.equal((await s.feed.checkOnline('45.200.0.1')).listed, false);
    }
    const bad = setup({ key: 'nope' });
    await assert.rejects(bad.feed.checkOnline(ip), { code: 'ERR_FEED_UNAUTHORIZED' });
  });

  test('the interval is fixed when set, else random between min_interval and max_interval', () => {
    const h = harness({ apiban: { key: 'k' } });
    const draws = [0, 0.5, 1];
    const feed = createApibanFeed(h.config.feeds.apiban!, { random: () => draws.shift()! });
    assert.deepEqual([feed.nextInterval(), feed.nextInterval(), feed.nextInterval()], [240_000, 780_000, 1_320_000]);
    const fixed = harness({ apiban: { key: 'k', interval: '5m' } });
    assert.equal(createApibanFeed(fixed.config.feeds.apiban!).nextInterval(), 300_000);
  });
});
