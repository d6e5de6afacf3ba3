// Every Asterisk signature against its annotated samples (test/fixtures/signatures/<id>.log|.ami),
// plus the refusal counters the hostile samples must move.
import { existsSync, readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testSignatureText } from '../test-signature.ts';
import { AsteriskSignatureStats } from './asterisk-common.ts';
import { asteriskSignatures } from './asterisk-all.ts';

const DIR = new URL('../../../test/fixtures/signatures/', import.meta.url);
const AT = new Date(2026, 10, 27, 12).getTime();

for (const sig of asteriskSignatures(new AsteriskSignatureStats())) {
  test(`${sig.id}: annotated samples`, () => {
    const log = new URL(`${sig.id}.log`, DIR);
    const ami = new URL(`${sig.id}.ami`, DIR);
    const file = existsSync(log) ? log : ami;
    assert.ok(existsSync(file), `${sig.id} has no sample file in test/fixtures/signatures/`);
    const report = testSignatureText(readFileSync(file, 'utf8'), [sig], { format: file === ami ? 'ami' : 'log', at: AT });
    const failures = report.results.filter((r) => r.ok === false).map((r) => `line ${r.lineNo}: ${r.problem}\n  ${r.text}`);
    assert.deepEqual(failures, []);
    assert.equal(report.summary.expectations, report.summary.lines, 'every sample carries an expectation');
    assert.ok(report.results.some((r) => r.expect), 'at least one sample that must match');
    assert.ok(report.results.some((r) => r.expect === null), 'at least one sample that must not match');
  });
}

test('every sample across all Asterisk signatures: at most one offense, never a framed address', () => {
  const stats = new AsteriskSignatureStats();
  const sigs = asteriskSignatures(stats);
  for (const name of ['asterisk-security', 'asterisk-sip-register', 'asterisk-call-rejected', 'asterisk-pjsip-request', 'asterisk-iax2']) {
    const report = testSignatureText(readFileSync(new URL(`${name}.log`, DIR), 'utf8'), sigs, { at: AT });
    for (const r of report.results) {
      assert.ok(r.offenses.length <= 1, `line ${r.lineNo} of ${name}: ${r.offenses.length} offenses`);
      for (const o of r.offenses) assert.notEqual(o.ip, '192.0.2.200', `framed address in ${name} line ${r.lineNo}`);
    }
  }
  // The hostile samples were refused and counted, not silently dropped.
  assert.equal(stats.count('ambiguous RemoteAddress'), 3);
  assert.equal(stats.count('ambiguous marker'), 4);
  assert.equal(stats.count('bad address'), 1);
});
