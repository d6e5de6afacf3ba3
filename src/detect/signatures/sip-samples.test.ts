// Every SIP-on-the-wire signature against its annotated samples (test/fixtures/signatures/<id>.txt),
// and every benign sample of every file against all SIP signatures at once (no signature fires on
// a message another file marks as harmless, unless that file expects exactly that offense).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { readSipSamples, testSipSampleText } from '../sip-samples.ts';
import { sipSignatures } from './sip-all.ts';

const DIR = new URL('../../../test/fixtures/signatures/', import.meta.url);
const AT = Date.UTC(2026, 10, 27, 12);
/** The configuration the samples are written for. */
const OPTS = { registerDomains: ['pbx.example.com', 'sip.example.org'], userAgents: { exact: ['Evil Dialer 1.0'] } };

for (const sig of sipSignatures(OPTS)) {
  test(`${sig.id}: annotated samples`, () => {
    const file = new URL(`${sig.id}.txt`, DIR);
    assert.ok(existsSync(file), `${sig.id} has no sample file test/fixtures/signatures/${sig.id}.txt`);
    const report = testSipSampleText(readFileSync(file, 'utf8'), [sig], AT);
    const failures = report.results.filter((r) => r.ok === false).map((r) => `line ${r.lineNo}: ${r.problem}\n  ${r.text.split('\n')[0]}`);
    assert.deepEqual(failures, []);
    assert.equal(report.summary.expectations, report.summary.lines, 'every sample carries an expectation');
    assert.ok(report.results.some((r) => r.expect), 'at least one sample that must match');
    assert.ok(report.results.some((r) => r.expect === null), 'at least one sample that must not match');
    for (const r of report.results) for (const o of r.offenses) assert.equal(o.at, AT);
  });
}

test('no SIP signature fires on a sample any file marks harmless (expect: null)', () => {
  const sigs = sipSignatures(OPTS);
  for (const sig of sigs) {
    for (const s of readSipSamples(readFileSync(new URL(`${sig.id}.txt`, DIR), 'utf8'), AT)) {
      if (s.expect !== null || !s.event) continue;
      const hits = sigs.map((x) => x.match(s.event!)).filter((o) => o !== null);
      assert.deepEqual(hits.map((o) => o.signature), [], `${sig.id}.txt line ${s.lineNo} also matched`);
    }
  }
});

test('the registry follows the config: injection off, empty domain list matches nothing', () => {
  assert.ok(!sipSignatures({ registerDomains: [], injection: false }).some((s) => s.id === 'sip-injection'));
  const foreign = sipSignatures({ registerDomains: [] }).find((s) => s.id === 'sip-foreign-domain')!;
  const ev = readSipSamples(readFileSync(new URL('sip-foreign-domain.txt', DIR), 'utf8')).find((s) => s.expect)!.event!;
  assert.equal(foreign.match(ev), null);
});

test('events of other types and unparsable payloads yield null from every SIP signature', () => {
  const events = [
    { type: 'log-line' as const, source: 't', at: AT, line: 'User-Agent: friendly-scanner' },
    { type: 'sip' as const, source: 't', at: AT, transport: 'udp' as const, src: { ip: '198.51.100.1', port: 5060 }, dst: { ip: '192.0.2.1', port: 5060 }, payload: Buffer.from('friendly-scanner\r\n\r\n') },
  ];
  for (const sig of sipSignatures(OPTS)) for (const ev of events) assert.equal(sig.match(ev), null, sig.id);
});
