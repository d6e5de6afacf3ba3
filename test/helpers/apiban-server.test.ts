// The local APIBAN server keeps the compatibility contract of reference/apiban.md §1.4; clients
// other than ours (bench, fleet tests) rely on it, so it is checked on its own, over raw HTTP.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, test } from 'node:test';
import { startApibanServer, publicIps, type ApibanTestServer } from './apiban-server.ts';

let server: ApibanTestServer;
before(async () => {
  server = await startApibanServer();
});
after(() => server.close());

/** A raw request; `body` is sent with no Content-Type, as the Go v2 client does. */
function call(method: string, path: string, opts: { body?: string; auth?: string } = {}): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (opts.auth) headers.authorization = opts.auth;
    if (opts.body) headers['content-length'] = String(Buffer.byteLength(opts.body));
    const req = request({ host: '127.0.0.1', port: server.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, json: JSON.parse(Buffer.concat(chunks).toString()) }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

test('the APIBAN contract: paging, IDs, end of list, errors, v1 and v2, sets, check', async () => {
  const ips = publicIps(260);
  server.add(ips);
  server.add(['45.250.0.1'], 'http');

  const first = await call('GET', '/api/testkey/banned');
  assert.equal(first.status, 200);
  assert.equal(first.json.ipaddress.length, 250);
  assert.deepEqual(first.json.ipaddress, ips.slice(0, 250), 'oldest first');
  assert.match(first.json.ID, /^\d{10,}$/, 'a numeric string ID >= 10^9');
  assert.ok(Number(first.json.ID) >= 1e9);

  const sentinel = await call('GET', '/api/testkey/banned/100');
  assert.deepEqual(sentinel.json, first.json, 'an ID older than the oldest entry means from the start');

  const second = await call('GET', `/api/testkey/banned/${first.json.ID}`);
  assert.deepEqual(second.json.ipaddress, ips.slice(250), 'strictly newer than the ID');
  const end = await call('GET', `/api/testkey/banned/${second.json.ID}`);
  assert.equal(end.status, 400);
  assert.deepEqual(end.json, { ipaddress: ['no new bans'], ID: 'none' });

  assert.deepEqual(await call('GET', '/api/badkey/banned/100'), { status: 403, json: { ipaddress: 'none', ID: 'unauthorized' } });
  server.failNext(429);
  assert.deepEqual(await call('GET', '/api/testkey/banned/100'), { status: 429, json: { ipaddress: 'rate limit exceeded', ID: 'unauthorized' } });

  // v2: Bearer key, JSON body without Content-Type, set defaults to sip.
  const v2 = await call('POST', '/api/get', { auth: 'Bearer testkey', body: JSON.stringify({ id: second.json.ID }) });
  assert.equal(v2.status, 400);
  const http = await call('POST', '/api/get', { auth: 'Bearer testkey', body: '{"set":"http","id":"100"}' });
  assert.deepEqual(http.json.ipaddress, ['45.250.0.1']);
  const all = await call('POST', '/api/get', { auth: 'Bearer testkey', body: `{"set":"all","id":"${second.json.ID}"}` });
  assert.deepEqual(all.json.ipaddress, ['45.250.0.1']);
  assert.equal((await call('POST', '/api/get', { auth: 'Bearer nope', body: '{}' })).status, 403);
  assert.equal((await call('POST', '/api/get', { body: '{}' })).status, 403);

  // Re-listing moves an address to a new, higher ID.
  const relisted = server.add([ips[0]]);
  const after = await call('GET', `/api/testkey/banned/${second.json.ID}`);
  assert.deepEqual(after.json, { ipaddress: [ips[0]], ID: relisted });

  const check = await call('GET', `/api/testkey/check/${ips[5]}`);
  assert.equal(check.status, 200);
  assert.deepEqual(check.json.ipaddress, [ips[5]]);
  assert.match(check.json.ID, /^\d+$/);
  assert.deepEqual(await call('GET', '/api/testkey/check/45.200.0.9'), { status: 400, json: { ipaddress: ['not blocked'], ID: 'none' } });
  const v2check = await call('POST', '/api/check', { auth: 'Bearer testkey', body: `{"ipaddress":"${ips[7]}"}` });
  assert.equal(v2check.status, 200);
  assert.deepEqual(v2check.json.ipaddress, [ips[7]]);

  server.expire(ips);
  const gone = await call('GET', '/api/testkey/banned/100');
  assert.equal(gone.status, 400, 'expired entries are gone (only an http entry remains)');
  assert.deepEqual(gone.json, { ipaddress: ['no new bans'], ID: 'none' });
  assert.ok(server.requestCount > 10);
});
