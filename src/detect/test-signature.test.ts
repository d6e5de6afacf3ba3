// The report behind `sipwarden test-signature FILE`: counts like fail2ban-regex, per-signature hits,
// and `# expect:` annotations checked (a wrong one is reported, not thrown).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AsteriskSignatureStats } from './signatures/asterisk-common.ts';
import { asteriskSignatures } from './signatures/asterisk-all.ts';
import { testSignatureText } from './test-signature.ts';

const LOG = [
  '# a comment',
  '[2026-11-27 03:20:03] NOTICE[5088] chan_sip.c: Registration from \'<sip:100@x>\' failed for \'203.0.113.7:5060\' - Wrong password',
  '',
  '[2026-11-27 03:20:03] VERBOSE[5088] pbx.c: -- Executing [s@default:1] Answer',
  '# expect: {"ip": "203.0.113.8", "kind": "auth-failure"}',
  '[2016-05-06 07:08:09] NOTICE[31554] manager.c: 203.0.113.8 tried to authenticate with nonexistent user \'admin\'',
  '# expect: {"ip": "192.0.2.99"}',
  '[2016-05-06 07:08:09] NOTICE[31554] manager.c: 203.0.113.9 failed to authenticate as \'admin\'',
  '# expect: {not json',
  '[2016-05-06 07:08:09] NOTICE[31554] manager.c: 203.0.113.9 failed to authenticate as \'admin\'',
].join('\n');

test('log text: fail2ban-regex style summary with per-signature counts and expectations', () => {
  const r = testSignatureText(LOG, asteriskSignatures(new AsteriskSignatureStats()), { at: 0 });
  assert.deepEqual(
    { ...r.summary, perSignature: undefined },
    { lines: 5, ignored: 5, matched: 4, missed: 1, expectations: 3, failed: 2, perSignature: undefined },
  );
  assert.equal(r.summary.perSignature['asterisk-sip-register'], 1);
  assert.equal(r.summary.perSignature['asterisk-manager'], 3);
  assert.equal(r.summary.perSignature['asterisk-security'], 0);
  assert.deepEqual(r.results.map((x) => x.lineNo), [2, 4, 6, 8, 10]);
  assert.equal(r.results[2].ok, true);
  assert.equal(r.results[3].problem, 'ip: expected "192.0.2.99", got "203.0.113.9"');
  assert.match(r.results[4].problem ?? '', /^unreadable expectation/);
});

test('AMI dump: Key: value blocks separated by blank lines', () => {
  const text = 'Event: InvalidAccountID\nService: PJSIP\nAccountID: 1\nRemoteAddress: IPV4/UDP/203.0.113.5/5060\n\nEvent: FullyBooted\n';
  const r = testSignatureText(text, asteriskSignatures(new AsteriskSignatureStats()), { format: 'ami', at: 5 });
  assert.equal(r.summary.lines, 2);
  assert.equal(r.summary.matched, 1);
  assert.deepEqual(r.results[0].offenses.map((o) => [o.ip, o.kind, o.at]), [['203.0.113.5', 'auth-failure', 5]]);
});
