import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LineSplitter } from './lines.ts';
import { DropQueue } from './queue.ts';

describe('LineSplitter', () => {
  it('keeps a UTF-8 character split across chunks whole, and strips CR', () => {
    const bytes = Buffer.from('Негодяй\r\nnext\n');
    const s = new LineSplitter(() => assert.fail('not overlong'));
    const out = [...s.push(bytes.subarray(0, 3)), ...s.push(bytes.subarray(3, 9)), ...s.push(bytes.subarray(9))];
    assert.deepEqual(out, ['Негодяй', 'next']);
    assert.equal(s.flush(), null);
  });

  it('gives the same lines as a plain split, whatever the chunking, for long and multi-byte lines', () => {
    let x = 99;
    const next = (n: number) => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return (x >>> 0) % n;
    };
    const chars = ['a', 'b', ' ', 'é', '€', '😀', 'x'];
    const want: string[] = [];
    for (let i = 0; i < 3000; i++) {
      // Some lines longer than the 16 KB decoding piece, none over the 64 KB limit (4 bytes a char at most).
      const len = next(10) === 0 ? 5000 + next(11_000) : next(300);
      const parts: string[] = [];
      for (let k = 0; k < len; k++) parts.push(chars[next(chars.length)]);
      want.push(parts.join(''));
    }
    const bytes = Buffer.from(want.map((l, i) => (i % 3 === 0 ? `${l}\r\n` : `${l}\n`)).join(''));
    const s = new LineSplitter(() => assert.fail('not overlong'));
    const got: string[] = [];
    for (let at = 0; at < bytes.length; ) {
      const size = next(4) === 0 ? 1 + next(16) : 1 + next(300_000);
      for (const line of s.push(bytes.subarray(at, at + size))) got.push(line);
      at += size;
    }
    assert.equal(s.flush(), null);
    assert.equal(got.length, want.length);
    assert.deepEqual(got, want);
  });

  it('judges the limit on the bytes read, the same in one chunk or split, invalid UTF-8 included', () => {
    const invalid = Buffer.concat([Buffer.alloc(8, 0xff), Buffer.from('\n'), Buffer.alloc(11, 0xff), Buffer.from('\nok\n')]);
    for (const cut of [invalid.length, 4, 9, 13]) {
      let overlong = 0;
      const s = new LineSplitter(() => overlong++, 10);
      const got = [...s.push(invalid.subarray(0, cut)), ...s.push(invalid.subarray(cut))];
      assert.deepEqual(got, ['\ufffd'.repeat(8), 'ok'], `cut at ${cut}`);
      assert.equal(overlong, 1, `cut at ${cut}`);
    }
  });

  it('drops an overlong line once, up to its newline, and goes on', () => {
    let overlong = 0;
    const s = new LineSplitter(() => overlong++, 10);
    const out = [...s.push(Buffer.from('0123456789ABC')), ...s.push(Buffer.from('DEF\nok\nlast'))];
    assert.deepEqual(out, ['ok']);
    assert.equal(overlong, 1);
    assert.equal(s.flush(), 'last');
  });
});

describe('DropQueue', () => {
  it('drops and counts what exceeds its bound, delivers the rest in order, ends on abort', async () => {
    let dropped = 0;
    const q = new DropQueue<number>(3, () => dropped++);
    for (let i = 0; i < 5; i++) q.push(i);
    const ac = new AbortController();
    const got: number[] = [];
    const done = (async () => {
      for await (const n of q.drain(ac.signal)) got.push(n);
    })();
    await new Promise((r) => setTimeout(r, 10));
    q.push(9);
    await new Promise((r) => setTimeout(r, 10));
    ac.abort();
    await done;
    assert.deepEqual(got, [0, 1, 2, 9]);
    assert.equal(dropped, 2);
  });

  it('throws what fail() was given once the items before it are out', async () => {
    const q = new DropQueue<number>(10, () => {});
    q.push(1);
    q.fail(new Error('socket closed'));
    const got: number[] = [];
    await assert.rejects(async () => {
      for await (const n of q.drain(new AbortController().signal)) got.push(n);
    }, /socket closed/);
    assert.deepEqual(got, [1]);
  });
});
