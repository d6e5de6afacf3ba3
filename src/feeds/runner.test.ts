import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { FakeClock } from '../core/clock.ts';
import type { Ban, Target } from '../core/types.ts';
import { publicIps } from '../../test/helpers/apiban-server.ts';
import { feedTargets, harness } from '../../test/helpers/feed-harness.ts';
import { acceptHeld, createListFeed, createStoreSink, dropHeld, listFeedStates, MemorySink, runFeedSync, type FeedSetWriter } from './index.ts';

const dir = mkdtempSync(join(tmpdir(), 'sipwarden-held-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function listSetup(name: string, lines: string[]) {
  const file = join(dir, `${name}.txt`);
  writeFileSync(file, lines.join('\n'));
  const h = harness({ lists: [{ name, file }], max_change_ratio: 0.5, hold_min_entries: 100 });
  const feed = createListFeed(h.config.feeds.lists[0]);
  const write = (next: string[]) => writeFileSync(file, `${next.join('\n')}\n# ${next.length}\n`);
  return { ...h, feed, write, sync: () => runFeedSync(feed, h.deps) };
}

describe('held feed syncs', () => {
  test('a sync that grows the feed by more than max_change_ratio is held, reported, and applied when accepted', async () => {
    const s = listSetup('growing', publicIps(200));
    assert.equal((await s.sync()).added, 200);
    s.write(publicIps(450));
    const r = await s.sync();
    assert.equal(r.status, 'held');
    assert.equal(r.error!.code, 'ERR_FEED_HELD');
    assert.match(r.error!.message, /from 200 to 450 entries/);
    assert.equal(feedTargets(s.store, 'growing').length, 200, 'nothing of the held sync is applied');
    const status = listFeedStates(s.store, s.config)[0];
    assert.equal(status.held!.after, 450);
    assert.equal(status.held!.add.length, 450);
    // While held, syncs report it and do not fetch again.
    const again = await s.sync();
    assert.equal(again.status, 'held');
    assert.equal(await acceptHeld('growing', s.deps), true);
    assert.equal(feedTargets(s.store, 'growing').length, 450);
    const st = s.store.feedState('growing')!;
    assert.equal(st.held, null);
    assert.equal(st.entries, 450);
    assert.notEqual(st.modified, null, 'the held sync brought its file position with it');
    assert.equal((await s.sync()).status, 'unchanged');
    assert.equal(await acceptHeld('growing', s.deps), false);
  });

  test('a sync that shrinks the feed too much is held; dropping it lets the next sync check again', async () => {
    const s = listSetup('shrinking', publicIps(300));
    await s.sync();
    s.write(publicIps(100));
    assert.equal((await s.sync()).status, 'held');
    assert.equal(feedTargets(s.store, 'shrinking').length, 300);
    assert.equal(dropHeld('shrinking', s.store), true);
    assert.equal((await s.sync()).status, 'held');
    await acceptHeld('shrinking', s.deps);
    assert.equal(feedTargets(s.store, 'shrinking').length, 100);
  });

  test('small feeds (below hold_min_entries) and changes within the ratio are never held', async () => {
    const small = listSetup('small', publicIps(50));
    await small.sync();
    small.write(publicIps(5));
    assert.equal((await small.sync()).status, 'ok');
    const big = listSetup('steady', publicIps(200));
    await big.sync();
    big.write(publicIps(290));
    assert.equal((await big.sync()).status, 'ok');
  });
});

describe('store sink', () => {
  class FakeBackend implements FeedSetWriter {
    buffer: string[] = [];
    commits: string[][] = [];
    add(ban: Ban, set: `feed:${string}`): void {
      this.buffer.push(`add ${set} ${ban.target} ${ban.expires}`);
    }
    remove(target: Target, set: `feed:${string}`): void {
      this.buffer.push(`del ${set} ${target}`);
    }
    async commit() {
      this.commits.push(this.buffer);
      this.buffer = [];
      return { failed: [] };
    }
  }

  test('rows get origin feed:<name>; the kernel set feed:<name> gets one commit per batch', async () => {
    const backend = new FakeBackend();
    const clock = new FakeClock();
    const h = harness({}, { clock });
    const sink = createStoreSink(h.store, backend, clock);
    await sink.apply('apiban', [{ target: '45.1.1.1', expires: 5000 }, { target: '2a02:1::1', expires: 5000 }], []);
    assert.equal(h.store.getBan('45.1.1.1')!.origin, 'feed:apiban');
    assert.equal(h.store.getBan('2a02:1::1')!.family, 6);
    assert.deepEqual(backend.commits, [['add feed:apiban 45.1.1.1 5000', 'add feed:apiban 2a02:1::1 5000']]);
    await sink.apply('apiban', [], ['45.1.1.1']);
    assert.equal(h.store.getBan('45.1.1.1'), undefined);
    assert.deepEqual(backend.commits[1], ['del feed:apiban 45.1.1.1']);
  });

  test('a feed takes over a shorter ban of another origin, never a longer or permanent one, and deletes only its own rows', async () => {
    const clock = new FakeClock();
    const h = harness({}, { clock });
    h.store.upsertBan({ target: '45.7.7.1', family: 4, origin: 'rule:brute-force', reason: 'r', expires: clock.now() + 1000 });
    h.store.upsertBan({ target: '45.7.7.2', family: 4, origin: 'rule:brute-force', reason: 'r', expires: clock.now() + 30 * 86_400_000 });
    h.store.upsertBan({ target: '45.7.7.3', family: 4, origin: 'cli', reason: 'r', expires: null });
    const sink = createStoreSink(h.store, undefined, clock);
    const week = clock.now() + 7 * 86_400_000;
    await sink.apply('voipbl', ['45.7.7.1', '45.7.7.2', '45.7.7.3'].map((target) => ({ target, expires: week })), []);
    assert.deepEqual(['45.7.7.1', '45.7.7.2', '45.7.7.3'].map((t) => h.store.getBan(t)!.origin), ['feed:voipbl', 'rule:brute-force', 'cli']);
    assert.equal(h.store.getBan('45.7.7.1')!.expires, week);
    await sink.apply('voipbl', [], ['45.7.7.2', '45.7.7.3']);
    assert.ok(h.store.getBan('45.7.7.2'));
    assert.ok(h.store.getBan('45.7.7.3'));
  });

  test('the memory sink drops expired entries from current() by its clock', async () => {
    const clock = new FakeClock();
    const sink = new MemorySink(clock);
    await sink.apply('x', [{ target: '45.1.1.1', expires: clock.now() + 10 }, { target: '45.1.1.2', expires: null }], []);
    clock.advance(11);
    assert.deepEqual([...(await sink.current('x')).keys()], ['45.1.1.2']);
  });

  test('a sink failure mid-sync is an error result and saves no position', async () => {
    const sink = new MemorySink();
    const s = harness({ lists: [{ name: 'l', file: join(dir, 'x.txt') }] }, { sink });
    writeFileSync(join(dir, 'x.txt'), '45.1.1.1\n');
    sink.failNext = new Error('disk full');
    const r = await runFeedSync(createListFeed(s.config.feeds.lists[0]), s.deps);
    assert.equal(r.status, 'error');
    assert.match(r.error!.message, /disk full/);
    assert.equal(s.store.feedState('l')!.modified, null);
  });
});
