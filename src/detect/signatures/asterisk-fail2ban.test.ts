// fail2ban's own Asterisk test log (shipped by Debian's fail2ban package) as an expected-output
// fixture: every `# failJSON` case must be found by our signatures with the same host and time, and
// the SessionID-injection case must never yield the injected address 5.6.7.8.
import { existsSync, readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Offense, RawEvent } from '../../core/types.ts';
import { AsteriskSignatureStats } from './asterisk-common.ts';
import { asteriskSignatures } from './asterisk-all.ts';

const LOG = '/usr/lib/python3/dist-packages/fail2ban/tests/files/logs/asterisk';

interface Case {
  lineNo: number;
  line: string;
  host: string;
  time?: string;
  /** The journal cases are also checked behind the prefix fail2ban's test adds for them. */
  prefix?: string;
}

function readCases(text: string): Case[] {
  const lines = text.split('\n');
  const cases: Case[] = [];
  let prefix: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const opts = /^# filterOptions: (.*)$/.exec(lines[i]);
    if (opts) prefix = JSON.parse(opts[1])[0]['test.prefix-line'];
    const m = /^# failJSON: (.*)$/.exec(lines[i]);
    if (!m) continue;
    const expect = JSON.parse(m[1]);
    assert.equal(expect.match, true, `line ${i + 1}: only matching cases are expected in this log`);
    cases.push({ lineNo: i + 2, line: lines[i + 1], host: expect.host, time: expect.time, prefix });
  }
  return cases;
}

/** Local time as fail2ban's failJSON writes it: 2012-02-13T17:21:54. */
function localIso(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

function matchAll(line: string, at: number, stats: AsteriskSignatureStats): Offense[] {
  const ev: RawEvent = { type: 'log-line', source: 'fail2ban-test', at, line };
  return asteriskSignatures(stats).map((s) => s.match(ev)).filter((o): o is Offense => o !== null);
}

test('fail2ban asterisk test log: every case found with its host and time', (t) => {
  if (!existsSync(LOG)) {
    console.log(`# skipped: ${LOG} is absent (install fail2ban: scripts/setup.sh --test)`);
    t.skip('fail2ban test log absent');
    return;
  }
  const cases = readCases(readFileSync(LOG, 'utf8'));
  assert.equal(cases.length, 46, 'the log holds 46 active cases');
  const stats = new AsteriskSignatureStats();
  for (const c of cases) {
    // A stamp without a year takes the year of the event time; give the end of the expected year.
    const year = c.time ? Number(c.time.slice(0, 4)) : 2026;
    const at = new Date(year, 11, 31, 12).getTime();
    const variants = c.prefix ? [c.line, c.prefix + c.line] : [c.line];
    for (const line of variants) {
      const found = matchAll(line, at, stats);
      assert.equal(found.length, 1, `line ${c.lineNo}: expected one offense, got ${JSON.stringify(found)}\n${line}`);
      assert.equal(found[0].ip, c.host, `line ${c.lineNo}: host`);
      if (c.time) assert.equal(localIso(found[0].at), c.time, `line ${c.lineNo}: time`);
      else if (!line.includes('] NOTICE')) assert.equal(found[0].at, at, `line ${c.lineNo}: no stamp, so the event time`);
    }
  }
});

test('fail2ban asterisk test log: the SessionID injection never yields 5.6.7.8', (t) => {
  if (!existsSync(LOG)) {
    console.log(`# skipped: ${LOG} is absent (install fail2ban: scripts/setup.sh --test)`);
    t.skip('fail2ban test log absent');
    return;
  }
  const text = readFileSync(LOG, 'utf8');
  const injected = text.split('\n').filter((l) => !l.startsWith('#') && l.includes('5.6.7.8/1111'));
  assert.equal(injected.length, 1, 'the log has its injection case');
  const found = matchAll(injected[0], Date.now(), new AsteriskSignatureStats());
  assert.deepEqual(found.map((o) => o.ip), ['10.250.251.252']);
  for (const l of text.split('\n')) {
    for (const o of matchAll(l, Date.now(), new AsteriskSignatureStats())) assert.notEqual(o.ip, '5.6.7.8', l);
  }
});
