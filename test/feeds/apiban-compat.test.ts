// Compatibility: a real third-party APIBAN client (npm drachtio-mw-apiban, a devDependency) against
// our local APIBAN-compatible server. Its base URL is hard-coded to https://apiban.org/api/, so the
// test swaps https.request (bent calls it at request time) for a wrapper that sends the same request
// to 127.0.0.1 over plain http (reference/apiban.md §4.1). Nothing leaves loopback.
import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { createRequire } from 'node:module';
import { after, before, test } from 'node:test';
import { startApibanServer, publicIps, type ApibanTestServer } from '../helpers/apiban-server.ts';

const require = createRequire(import.meta.url);
type RequestFn = (opts: Record<string, unknown>, cb?: (res: unknown) => void) => unknown;
const https = require('https') as { request: RequestFn };
const http = require('http') as { request: RequestFn };

let server: ApibanTestServer;
let original: RequestFn;
const seenHosts: string[] = [];

before(async () => {
  server = await startApibanServer({ keys: ['compat-key'] });
  original = https.request;
  https.request = (opts, cb) => {
    seenHosts.push(String(opts.hostname));
    return http.request({ ...opts, protocol: 'http:', hostname: '127.0.0.1', port: server.port }, cb);
  };
});
after(async () => {
  https.request = original;
  await server.close();
});

test('drachtio-mw-apiban pages through our server and emits every listed IP', async () => {
  const ips = publicIps(620);
  const lastId = server.add(ips);
  const middleware = require('drachtio-mw-apiban') as (o: { apikey: string; emitter: EventEmitter }) => unknown;
  const emitter = new EventEmitter();
  middleware({ apikey: 'compat-key', emitter });
  const [banned] = (await once(emitter, 'banned', { signal: AbortSignal.timeout(10_000) })) as [string[]];
  assert.deepEqual(banned, ips, 'all IPs, oldest first, none twice');
  assert.ok(seenHosts.every((h) => h === 'apiban.org'), 'the client itself still aims at apiban.org');
  const paths = server.requests.map((r) => `${r.method} ${r.path} ${r.status}`);
  assert.equal(paths.length, 4);
  assert.equal(paths[0], 'GET /api/compat-key/banned 200');
  assert.match(paths[1], /^GET \/api\/compat-key\/banned\/\d{10} 200$/);
  assert.match(paths[2], /^GET \/api\/compat-key\/banned\/\d{10} 200$/);
  assert.equal(paths[3], `GET /api/compat-key/banned/${lastId} 400`);
});
