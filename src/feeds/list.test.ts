import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { publicIps } from '../../test/helpers/apiban-server.ts';
import { feedTargets, harness } from '../../test/helpers/feed-harness.ts';
import { ListTestServer } from '../../test/helpers/list-server.ts';
import { silentLogger } from '../core/log.ts';
import { createFeedDeps } from './index.ts';
import { createListFeed, parseList } from './list.ts';
import { runFeedSync } from './runner.ts';

const DAY = 86_400_000;
let server: ListTestServer;
let dir: string;
before(async () => {
  server = await new ListTestServer().listen();
  dir = mkdtempSync(join(tmpdir(), 'sipwarden-list-'));
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

function setup(list: Record<string, unknown>) {
  const h = harness({ lists: [{ name: 'voipbl', ...list }] });
  const feed = createListFeed(h.config.feeds.lists[0], { timeoutMs: 5000 });
  return { ...h, feed, sync: () => runFeedSync(feed, h.deps) };
}

describe('list feeds', () => {
  test('parses one entry per line with # and ; comments, blank lines and trailing comments', () => {
    const p = parseList('# VoIPBL\n\n45.1.2.3\n45.1.3.0/24 # trailing\n; semicolon comment\n45.1.4.4 ; another\r\n  45.1.5.5/32  \nbogus\n');
    assert.deepEqual([...p.valid], ['45.1.2.3', '45.1.3.0/24', '45.1.4.4', '45.1.5.5']);
    assert.equal(p.malformed, 1);
  });

  test('a fetched list replaces the previous one; entries the list dropped are removed', async () => {
    const url = server.set('/replace.txt', '45.1.1.1\n45.1.1.2\n45.1.1.3\n');
    const s = setup({ url });
    assert.equal((await s.sync()).added, 3);
    server.set('/replace.txt', '45.1.1.2\n45.1.1.3\n45.1.1.4\n');
    const r = await s.sync();
    assert.deepEqual([r.added, r.refreshed, r.removed], [1, 2, 1]);
    assert.deepEqual(feedTargets(s.store, 'voipbl'), ['45.1.1.2', '45.1.1.3', '45.1.1.4']);
    assert.equal(s.store.getBan('45.1.1.4')!.expires, s.clock.now() + 2 * DAY);
  });

  test('ETag: If-None-Match is sent, a 304 changes nothing but keeps the entries alive', async () => {
    const url = server.set('/etag.txt', '45.2.0.1\n45.2.0.2\n', { etag: '"v1"' });
    const s = setup({ url });
    await s.sync();
    s.clock.advance(1.5 * DAY);
    const r = await s.sync();
    assert.equal(r.status, 'unchanged');
    assert.deepEqual([r.added, r.removed], [0, 0]);
    const last = server.requests.at(-1)!;
    assert.equal(last.headers['if-none-match'], '"v1"');
    assert.equal(last.status, 304);
    s.clock.advance(1 * DAY); // past the first expiry: the 304 confirmed the list still has them
    assert.deepEqual(feedTargets(s.store, 'voipbl'), ['45.2.0.1', '45.2.0.2']);
  });

  test('If-Modified-Since: the saved Last-Modified is sent and a 304 changes nothing', async () => {
    const modified = 'Wed, 25 Nov 2026 10:00:00 GMT';
    const url = server.set('/modified.txt', '45.3.0.1\n', { modified });
    const s = setup({ url });
    await s.sync();
    assert.equal(s.store.feedState('voipbl')!.modified, modified);
    const r = await s.sync();
    assert.equal(r.status, 'unchanged');
    assert.equal(server.requests.at(-1)!.headers['if-modified-since'], modified);
  });

  test('gzip: Content-Encoding and a .gz body both decode', async () => {
    const text = publicIps(50).join('\n');
    const enc = setup({ url: server.set('/enc.txt', text, { encode: true }) });
    assert.equal((await enc.sync()).added, 50);
    assert.equal(server.requests.at(-1)!.status, 200);
    const gz = setup({ url: server.set('/list.txt.gz', gzipSync(text)) });
    assert.equal((await gz.sync()).added, 50);
    const file = join(dir, 'list.gz');
    writeFileSync(file, gzipSync(text));
    assert.equal((await setup({ file }).sync()).added, 50);
  });

  test('size limit: a body or a gzip that unpacks past max_bytes is refused and the last list stays', async () => {
    const small = publicIps(10).join('\n');
    const url = server.set('/big.txt', small);
    const s = setup({ url, max_bytes: 2048 });
    await s.sync();
    server.set('/big.txt', publicIps(500).join('\n'));
    const r = await s.sync();
    assert.equal(r.status, 'error');
    assert.match(r.error!.message, /more than the limit of 2048/);
    server.set('/big.txt', gzipSync('45.9.9.9\n'.repeat(10_000)));
    assert.match((await s.sync()).error!.message, /unpacks to more than the limit of 2048/);
    assert.equal(feedTargets(s.store, 'voipbl').length, 10);
  });

  test('a malformed answer (an HTML error page, a 500) keeps the last good list', async () => {
    const url = server.set('/flaky.txt', '45.4.0.1\n45.4.0.2\n');
    const s = setup({ url });
    await s.sync();
    server.set('/flaky.txt', '<html>\n<body>Service temporarily unavailable</body>\n</html>\n');
    const r = await s.sync();
    assert.equal(r.error!.kind, 'malformed');
    server.set('/flaky.txt', 'oops', { status: 500 });
    assert.equal((await s.sync()).error!.kind, 'transient');
    assert.deepEqual(feedTargets(s.store, 'voipbl'), ['45.4.0.1', '45.4.0.2']);
  });

  test('a list file is re-read only when it changes', async () => {
    const file = join(dir, 'local.txt');
    writeFileSync(file, '45.5.0.1\n');
    const s = setup({ file });
    assert.equal((await s.sync()).added, 1);
    assert.equal((await s.sync()).status, 'unchanged');
    writeFileSync(file, '45.5.0.1\n45.5.0.2\n# more\n');
    assert.equal((await s.sync()).added, 1);
  });

  test('poisoned entries in a list are refused and counted; the rest applies', async () => {
    const url = server.set('/poison.txt', '0.0.0.0/0\n127.0.0.1\n10.1.0.0/16\n45.99.99.99\n45.6.0.1\n');
    const s = setup({ url });
    const r = await s.sync();
    assert.equal(r.added, 1);
    assert.deepEqual(r.refused, { 'too-broad': 1, loopback: 1, private: 1, 'own-address': 1 });
    assert.deepEqual(feedTargets(s.store, 'voipbl'), ['45.6.0.1']);
  });

  test('an entry that became a friend since the last sync is dropped, even on a 304', async () => {
    const url = server.set('/friendly.txt', '45.8.0.1\n45.8.0.2\n', { etag: '"f1"' });
    const s = setup({ url });
    await s.sync();
    const deps = createFeedDeps(s.config, { store: s.store, sink: s.sink, clock: s.clock, log: silentLogger, ownAddresses: [], friends: ['45.8.0.2'] });
    const r = await runFeedSync(s.feed, deps);
    assert.equal(r.status, 'unchanged');
    assert.deepEqual([r.removed, r.refused.friend], [1, 1]);
    assert.deepEqual(feedTargets(s.store, 'voipbl'), ['45.8.0.1']);
  });

  test('config needs exactly one of url or file', () => {
    assert.throws(() => harness({ lists: [{ name: 'x' }] }), /exactly one of url or file/);
  });
});
