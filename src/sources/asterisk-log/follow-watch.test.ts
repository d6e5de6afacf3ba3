import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { followLines } from './follow.ts';

// The poll period is an hour: only the watch can deliver the line before the test's timeout.
test('a new line is read when the file changes, not a poll period later', { timeout: 10_000 }, async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'sw-watch-')), 'security');
  writeFileSync(file, '');
  const ac = new AbortController();
  const it = followLines(file, ac.signal, { pollMs: 3600_000 })[Symbol.asyncIterator]();
  const first = it.next(); // opens the file, then sleeps for the poll period unless woken
  await new Promise((r) => setTimeout(r, 300));
  appendFileSync(file, 'SecurityEvent="InvalidPassword"\n');
  const r = await first;
  ac.abort();
  await it.return?.(undefined);
  assert.deepEqual(r.value, ['SecurityEvent="InvalidPassword"']);
});
