import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mergeByTime } from './merge.ts';

async function* events(file: number, ats: number[], failAfter = Infinity) {
  let n = 0;
  for (const at of ats) {
    if (n++ >= failAfter) throw new Error('broken file');
    yield { at, file };
  }
}

test('files merge by time, ties keep the file order, a failing file leaves without stopping the rest', async () => {
  const errors: string[] = [];
  const out: string[] = [];
  for await (const ev of mergeByTime([events(0, [1, 3, 3, 9]), events(1, [2, 3, 4]), events(2, [0, 5, 6], 2)], (i, e) => errors.push(`${i}: ${(e as Error).message}`))) {
    out.push(`${ev.file}@${ev.at}`);
  }
  assert.deepEqual(out, ['2@0', '0@1', '1@2', '0@3', '0@3', '1@3', '1@4', '2@5', '0@9']);
  assert.deepEqual(errors, ['2: broken file']);
});
