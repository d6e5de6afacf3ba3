// The CLI as a user meets it, without root: config errors with file:line:col and exit code 2,
// bans in the dry-run backend, check's JSON, replay's JSON, and bad input that changes nothing.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const dir = mkdtempSync(path.join(tmpdir(), 'sw-cli-'));
const config = path.join(dir, 'sipwarden.yaml');
writeFileSync(config, `firewall:\n  backend: none\nstore:\n  path: ${dir}/s.db\nallow: [198.51.100.0/24]\n`);

// The built CLI (scripts/test.sh builds it first); tsx on the sources would cost seconds per call.
const BUNDLE = path.join(REPO, 'dist/sipwarden.js');

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BUNDLE, ...args, '--config', config], { cwd: REPO }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

test('a bad config is refused with file, line, column, key and exit code 2', async () => {
  const bad = path.join(dir, 'bad.yaml');
  writeFileSync(bad, 'sip:\n  ports: 5060\nfirewall:\n  backend: pf\n');
  const r = await new Promise<{ code: number; stderr: string }>((resolve) =>
    execFile(process.execPath, [BUNDLE, 'test-config', bad], (err, _o, stderr) => resolve({ code: (err as { code?: number } | null)?.code ?? 0, stderr })),
  );
  assert.equal(r.code, 2);
  assert.match(r.stderr, new RegExp(`${bad}:4:12: firewall\\.backend: must be one of "iptables", "nftables", "none"`));
});

test('ban, check --json, bans --json and unban with the dry-run backend', async () => {
  const ban = await cli(['ban', '203.0.113.7', '--for', '2h', '--reason', 'toll fraud']);
  assert.equal(ban.code, 0, ban.stderr);
  const check = JSON.parse((await cli(['check', '203.0.113.7', '--json'])).stdout);
  assert.equal(check.ip, '203.0.113.7');
  assert.equal(check.blocked, true);
  assert.equal(check.friend, false);
  assert.deepEqual(Object.keys(check.reasons[0]).sort(), ['expires', 'origin', 'reason', 'target']);
  assert.equal(check.reasons[0].origin, 'cli');
  assert.equal(check.reasons[0].reason, 'toll fraud');
  const bans = JSON.parse((await cli(['bans', '--json'])).stdout);
  assert.deepEqual(bans.map((b: { target: string }) => b.target), ['203.0.113.7']);
  assert.equal((await cli(['unban', '203.0.113.7'])).code, 0);
  assert.equal(JSON.parse((await cli(['check', '203.0.113.7', '--json'])).stdout).blocked, false);
});

test('a friend is reported as one and cannot be banned; ranges are explained', async () => {
  const friend = JSON.parse((await cli(['check', '198.51.100.9', '--json'])).stdout);
  assert.equal(friend.friend, true);
  assert.equal(friend.blocked, false);
  const refused = await cli(['ban', '198.51.100.9']);
  assert.equal(refused.code, 5);
  assert.match(refused.stderr, /inside the friend 198\.51\.100\.0\/24/);
  const range = JSON.parse((await cli(['check', '62.210.1.1', '--json'])).stdout);
  assert.equal(range.blocked, true);
  assert.equal(range.reasons[0].origin, 'range:ponytelecom');
});

test('malformed addresses and durations are refused with exit code 2 and change nothing', async () => {
  for (const args of [['ban', '1.2.3'], ['ban', '203.0.113.0/33'], ['ban', '203.0.113.8', '--for', '10 minutes'], ['check', 'not-an-ip']]) {
    const r = await cli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^sipwarden: invalid /);
  }
  assert.deepEqual(JSON.parse((await cli(['bans', '--json'])).stdout), []);
});

test('replay --json: offenses and decisions in the documented shape', async () => {
  const log = path.join(dir, 'messages');
  const lines = [1, 2, 3, 4, 5, 6].map((i) => `[Nov 27 05:00:0${i}] NOTICE[1234] chan_sip.c: Registration from '"100" <sip:100@10.0.0.1>' failed for '203.0.113.50:5060' - Wrong password`);
  writeFileSync(log, `${lines.join('\n')}\n`);
  const r = await cli(['replay', log, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.offenses.length, 6);
  assert.deepEqual(Object.keys(out.offenses[0]).sort(), ['account', 'at', 'ip', 'signature']);
  assert.equal(out.offenses[0].ip, '203.0.113.50');
  assert.equal(out.decisions.length, 1, 'banned once, after max_retry failures');
  assert.deepEqual(Object.keys(out.decisions[0]).sort(), ['ban_time', 'origin', 'reason', 'target']);
  assert.equal(out.decisions[0].target, '203.0.113.50');
  assert.equal(out.decisions[0].origin, 'rule:brute-force');
});

test('replay merges the files by time: twelve PJSIP guesses over three accounts are twelve attempts, no ban', async () => {
  // Each guess has its own Call-ID and writes a NOTICE to messages and an event to security. Read
  // one file after the other, the security lines would arrive after their groups were forgotten and
  // count again (account 100 would reach max_retry); merged by time each guess counts once.
  const guesses = Array.from({ length: 12 }, (_, i) => ({ s: String(i + 10), account: String(100 + (i % 3)), callid: `g${i}-7d1c` }));
  const messages = path.join(dir, 'pjsip-messages');
  const security = path.join(dir, 'pjsip-security');
  writeFileSync(messages, guesses.map((g) => `[Nov 27 05:00:${g.s}] NOTICE[1234] res_pjsip/pjsip_distributor.c: Request 'REGISTER' from '<sip:${g.account}@10.0.0.1>' failed for '203.0.113.52:5060' (callid: ${g.callid}) - Failed to authenticate\n`).join(''));
  writeFileSync(security, guesses.map((g) => `[Nov 27 05:00:${g.s}] SECURITY[1230] res_security_log.c: SecurityEvent="ChallengeResponseFailed",EventTV="x",Severity="Error",Service="PJSIP",EventVersion="1",AccountID="${g.account}",SessionID="${g.callid}",LocalAddress="IPV4/UDP/10.0.0.1/5060",RemoteAddress="IPV4/UDP/203.0.113.52/5060",Challenge="1",Response="2",ExpectedResponse=""\n`).join(''));
  const out = JSON.parse((await cli(['replay', messages, security, '--json'])).stdout);
  assert.equal(out.offenses.length, 24);
  assert.deepEqual(out.decisions, []);
});

test('replay of both the messages and the security log counts each chan_sip guess once', async () => {
  const write = (guesses: number) => {
    const range = Array.from({ length: guesses }, (_, i) => i + 1);
    const messages = path.join(dir, `messages-${guesses}`);
    const security = path.join(dir, `security-${guesses}`);
    writeFileSync(messages, range.map((i) => `[Nov 27 05:00:0${i}] NOTICE[1234] chan_sip.c: Registration from '"100" <sip:100@10.0.0.1>' failed for '203.0.113.51:5060' - Wrong password\n`).join(''));
    writeFileSync(security, range.map((i) => `[Nov 27 05:00:0${i}] SECURITY[1230] res_security_log.c: SecurityEvent="ChallengeResponseFailed",EventTV="2026-11-27T05:00:0${i}.000+0000",Severity="Error",Service="SIP",EventVersion="1",AccountID="100",SessionID="0x7f00${i}",LocalAddress="IPV4/UDP/10.0.0.1/5060",RemoteAddress="IPV4/UDP/203.0.113.51/5060",Challenge="1",Response="2",ExpectedResponse=""\n`).join(''));
    return [messages, security];
  };
  const four = JSON.parse((await cli(['replay', ...write(4), '--json'])).stdout);
  assert.equal(four.offenses.length, 8, 'every line is an offense');
  assert.deepEqual(four.decisions, [], 'four guesses written to two logs are four attempts, not eight');
  const five = JSON.parse((await cli(['replay', ...write(5), '--json'])).stdout);
  assert.equal(five.decisions.length, 1, 'the fifth guess bans');
  assert.equal(five.decisions[0].target, '203.0.113.51');
});
