// The registry-wide check (design.md convention 5): every signature either family registers ships
// an annotated sample file named by its id. Each family's own test (asterisk-samples.test.ts,
// sip-samples.test.ts) runs the expectations inside those files.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { signaturesByType } from '../src/detect/signature.ts';
import { AsteriskSignatureStats, asteriskSignatures, sipSignatures } from '../src/detect/signatures/index.ts';

const DIR = new URL('./fixtures/signatures/', import.meta.url);

test('every registered signature has a sample file, and ids are unique', () => {
  const all = [
    ...asteriskSignatures(new AsteriskSignatureStats()),
    ...sipSignatures({ registerDomains: ['pbx.example.com'] }),
  ];
  const ids = all.map((s) => s.id);
  assert.equal(new Set(ids).size, ids.length, `duplicate ids: ${ids}`);
  const missing = ids.filter((id) => !['txt', 'log', 'ami'].some((ext) => existsSync(new URL(`${id}.${ext}`, DIR))));
  assert.deepEqual(missing, []);
});

test('eventTypes matches what each signature reads: the daemon offers it only those events', () => {
  const typeOfSample = { log: 'log-line', ami: 'ami', txt: 'sip' } as const;
  const all = [
    ...asteriskSignatures(new AsteriskSignatureStats()),
    ...sipSignatures({ registerDomains: ['pbx.example.com'] }),
  ];
  for (const s of all) {
    const ext = (['txt', 'log', 'ami'] as const).find((e) => existsSync(new URL(`${s.id}.${e}`, DIR)))!;
    assert.deepEqual(s.eventTypes, [typeOfSample[ext]], s.id);
  }
  // And a signature left out of a type really matches nothing of it (an AMI event that would match
  // the log signature's text, a log line that would match the AMI one).
  const line = '[Nov 27 03:20:01] SECURITY[1] res_security_log.c: SecurityEvent="InvalidPassword",Service="SIP",AccountID="1",SessionID="x",RemoteAddress="IPV4/UDP/203.0.113.7/5060"';
  const fields = { Event: 'InvalidPassword', Service: 'SIP', AccountID: '1', SessionID: 'x', RemoteAddress: 'IPV4/UDP/203.0.113.7/5060' };
  const events = [
    { type: 'log-line' as const, source: 't', at: 1, line },
    { type: 'ami' as const, source: 't', at: 1, fields },
  ];
  const byType = signaturesByType(all);
  for (const ev of events) {
    const matched = all.filter((s) => s.match(ev) !== null).map((s) => s.id);
    assert.ok(matched.length > 0, `the ${ev.type} sample matches something`);
    assert.deepEqual(matched.filter((id) => !byType[ev.type].some((s) => s.id === id)), [], ev.type);
  }
});
