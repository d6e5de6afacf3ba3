// The daemon's dispatcher must give exactly what the Asterisk log signatures give one by one: on
// every sample line, fail2ban's own Asterisk test log, and variants of each sample at every level,
// with other source files and with the message's first word changed (to test the routing itself).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { Offense, RawEvent } from '../../core/types.ts';
import { AsteriskSignatureStats } from './asterisk-common.ts';
import { asteriskDaemonSignatures, asteriskSignatures } from './asterisk-all.ts';
import { DISPATCH_ID } from './asterisk-dispatch.ts';

const DIR = new URL('../../../test/fixtures/signatures/', import.meta.url);
const F2B_LOG = '/usr/lib/python3/dist-packages/fail2ban/tests/files/logs/asterisk';

function sampleLines(): string[] {
  const files = readdirSync(DIR).filter((f) => f.startsWith('asterisk-') && f.endsWith('.log'));
  const lines = files.flatMap((f) => readFileSync(new URL(f, DIR), 'utf8').split('\n'));
  if (existsSync(F2B_LOG)) lines.push(...readFileSync(F2B_LOG, 'utf8').split('\n'));
  else console.log(`# ${F2B_LOG} missing (Debian fail2ban not installed): samples only`);
  return lines.filter((l) => l !== '' && !l.startsWith('#'));
}

/** Each line at every level, from other files, and with its message's start altered. */
function variants(line: string): string[] {
  const out = [line];
  for (const level of ['SECURITY', 'NOTICE', 'WARNING', 'VERBOSE', 'ERROR']) out.push(line.replace(/\b(SECURITY|NOTICE|WARNING)\b/, level));
  for (const file of ['chan_sip.c', 'chan_iax2.c', 'manager.c', 'res_pjsip/pjsip_distributor.c', 'pbx.c']) out.push(line.replace(/[\w/.-]+\.c\b/, file));
  out.push(line.replace(/(\.c(?::\d+)?(?: \w+)?: +)(\S)/, '$1x$2'), line.replace(/(\.c(?::\d+)?(?: \w+)?: +)\S/, '$1'));
  return out;
}

test('the dispatcher yields the same offense and refusal counts as the signatures one by one', () => {
  const oneStats = new AsteriskSignatureStats();
  const dispStats = new AsteriskSignatureStats();
  const one = asteriskSignatures(oneStats);
  const [dispatch] = asteriskDaemonSignatures(dispStats);
  assert.equal(dispatch.id, DISPATCH_ID);
  let matched = 0;
  let checked = 0;
  for (const line of sampleLines().flatMap(variants)) {
    const ev: RawEvent = { type: 'log-line', source: 'test', at: Date.UTC(2026, 10, 27), line };
    const each = one.map((s) => s.match(ev)).filter((o): o is Offense => o !== null);
    assert.ok(each.length <= 1, `two signatures matched: ${line}`);
    // A fresh event: the dispatcher must not lean on the members' parse of the same object.
    const got = dispatch.match({ ...ev });
    assert.deepEqual(got, each[0] ?? null, line);
    checked++;
    if (got) matched++;
  }
  assert.deepEqual([...dispStats.refused], [...oneStats.refused]);
  assert.ok(matched > 50 && checked > 1000, `${matched} of ${checked} lines matched`);
});

test('the daemon list keeps the AMI signature and offers the dispatcher log lines only', () => {
  const sigs = asteriskDaemonSignatures(new AsteriskSignatureStats());
  assert.deepEqual(sigs.map((s) => [s.id, s.eventTypes]), [[DISPATCH_ID, ['log-line']], ['asterisk-ami-security', ['ami']]]);
});
