// The registry-wide check (design.md convention 5): every signature either family registers ships
// an annotated sample file named by its id. Each family's own test (asterisk-samples.test.ts,
// sip-samples.test.ts) runs the expectations inside those files.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
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
