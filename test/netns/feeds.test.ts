// Feeds into the real kernel (issue 4): a local APIBAN-compatible server and a list file serve
// addresses; after `sipwarden feeds sync` the kernel drops what they listed, spares a friend they
// listed too, and `check` names the feed. The APIBAN server runs inside the receiver namespace,
// where the CLI runs; the listed senders use public addresses that exist only in the lab.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { REPO } from './cli.ts';
import { BACKENDS, FirewallLab, firewallLabUnavailable, probe } from './fixture.ts';
import { must, mustIn } from './harness.ts';

const unavailable = await firewallLabUnavailable();
if (unavailable) console.log(`# skipping the feed kernel tests: ${unavailable}`);

const LISTED = '45.0.0.1'; // served by APIBAN
const FRIEND = '45.0.0.2'; // served by APIBAN, but in allow:
const LIST_ONLY = '45.0.0.3'; // served by the list file
const BYSTANDER = '45.0.0.4';

async function vethOf(ns: string): Promise<string> {
  const links = await mustIn(ns, 'ip', ['-o', 'link', 'show']);
  const m = links.split('\n').map((l) => /^\d+: ([^@:]+)/.exec(l)?.[1]).find((n) => n && n !== 'lo');
  if (!m) throw new Error(`no veth in ${ns}`);
  return m;
}

async function startApiban(ns: string, ips: string[]): Promise<{ url: string; proc: ChildProcess }> {
  const proc = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', path.join(REPO, 'test/helpers/apiban-server-main.ts'), 'testkey', ...ips], {
    cwd: REPO,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).once('line', resolve);
    proc.once('exit', (code) => reject(new Error(`APIBAN test server exited ${code}`)));
  });
  return { url: line.trim(), proc };
}

for (const backend of BACKENDS) {
  describe(`feeds in the kernel (${backend})`, { skip: unavailable ?? false, timeout: 120_000 }, () => {
    let fw: FirewallLab;
    let apiban: { url: string; proc: ChildProcess };
    before(async () => {
      fw = await FirewallLab.open(backend, { senders: 1 });
      const [vs, vr] = [await vethOf(fw.lab.snd), await vethOf(fw.lab.rcv)];
      for (const ip of [LISTED, FRIEND, LIST_ONLY, BYSTANDER]) await must('ip', ['-n', fw.lab.snd, 'addr', 'add', `${ip}/32`, 'dev', vs]);
      await must('ip', ['-n', fw.lab.rcv, 'route', 'add', '45.0.0.0/24', 'dev', vr]);
      await must('ip', ['-n', fw.lab.snd, 'route', 'add', '10.201.0.0/16', 'dev', vs]).catch(() => {});
      apiban = await startApiban(fw.lab.rcv, [LISTED, FRIEND]);
    });
    after(async () => {
      apiban?.proc.kill('SIGTERM');
      await fw?.cli(['remove']);
      await fw?.close();
    });

    test('feeds sync puts listed addresses into the kernel; a listed friend still gets through', async () => {
      const list = path.join(fw.cfg.dir, 'blocklist.txt');
      writeFileSync(list, `# local list\n${LIST_ONLY}\n10.1.2.3\n0.0.0.0/0\n`);
      await fw.apply({
        allow: [FRIEND],
        feeds: { apiban: { key: 'testkey', url: apiban.url, api: 'v2' }, lists: [{ name: 'local', file: list }] },
      });
      await fw.expectExactly([probe('listed, before the sync', 'pass', 'udp', LISTED)]);

      const sync = await fw.cli(['feeds', 'sync']);
      assert.equal(sync.code, 0, sync.stderr);
      assert.match(sync.stderr, /apiban: page 1: 2 entries/, 'a progress line per page');
      assert.match(sync.stdout, /apiban: ok: 1 entries in force/, 'the friend was refused, one entry stays');
      assert.match(sync.stdout, /local: ok: 1 entries in force.*refused .*1 private/);

      await fw.expectExactly([
        probe('listed by APIBAN', 'drop', 'udp', LISTED),
        probe('listed by APIBAN, but a friend', 'pass', 'udp', FRIEND),
        probe('listed by the list file', 'drop', 'udp', LIST_ONLY),
        probe('listed nowhere', 'pass', 'udp', BYSTANDER),
      ]);
      const check = JSON.parse(await fw.cliOk(['check', LISTED, '--json']));
      assert.equal(check.blocked, true);
      assert.equal(check.reasons[0].origin, 'feed:apiban');
      assert.ok(check.reasons[0].expires, 'a feed entry carries its 7-day expiry');
      assert.equal(JSON.parse(await fw.cliOk(['check', FRIEND, '--json'])).friend, true);

      const feeds = JSON.parse(await fw.cliOk(['feeds', '--json']));
      assert.deepEqual(feeds.map((f: { feed: string; entries: number }) => [f.feed, f.entries]), [['apiban', 1], ['local', 1]]);
    });

    test('a second sync asks only for what is new, and the kernel set is applied again after remove + apply', async () => {
      const again = await fw.cli(['feeds', 'sync', 'apiban']);
      assert.equal(again.code, 0, again.stderr);
      await fw.cliOk(['remove']);
      await fw.cliOk(['apply']);
      await fw.expectExactly([probe('restored from the store', 'drop', 'udp', LISTED)]);
    });

    test('a wrong key fails clearly with exit 1 and keeps the last good list', async () => {
      fw.writeConfig({ allow: [FRIEND], feeds: { apiban: { key: 'wrongkey', url: apiban.url } } });
      const r = await fw.cli(['feeds', 'sync', 'apiban']);
      assert.equal(r.code, 1);
      assert.match(r.stdout + r.stderr, /unauthorized|refused the API key|403/i);
      await fw.expectExactly([probe('still listed', 'drop', 'udp', LISTED)]);
    });

    test('install --apiban-key: writes the key into the config, applies, and runs the first sync', async () => {
      await fw.cliOk(['remove']);
      writeFileSync(path.join(fw.cfg.dir, 'sipwarden.db'), ''); // a fresh store: nothing synced yet
      fw.cfg.writeRaw(`# my PBX\nfirewall:\n  backend: ${backend}\nstore:\n  path: ${fw.cfg.dir}/sipwarden.db\nfeeds:\n  apiban:\n    url: ${apiban.url}\n`);
      const r = await fw.cli(['install', '--apiban-key', 'testkey', '--no-start']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /config .*: updated/);
      assert.match(r.stderr, /apiban: page 1: 2 entries/);
      assert.match(r.stdout, /apiban: ok: 2 entries in force/);
      assert.match(readFileSync(fw.cfg.file, 'utf8'), /^# my PBX\n[\s\S]*key: testkey/, 'the key is added and the comment kept');
      await fw.expectExactly([probe('listed after install', 'drop', 'udp', LISTED), probe('listed nowhere', 'pass', 'udp', BYSTANDER)]);
    });
  });
}
