import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, mkdtempSync, openSync, renameSync, rmSync, truncateSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { type Collector, collect, lines } from '../../../test/helpers/collect-events.ts';
import { createLogger, silentLogger } from '../../core/log.ts';
import { withRestart } from '../restart.ts';
import { SourceSetupError } from '../source.ts';
import { asteriskLogSource } from './source.ts';

const dir = mkdtempSync(join(tmpdir(), 'sipwarden-follow-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => join(dir, `messages-${n++}`);
const fast = { pollMs: 15, drainMs: 300 };
const numbered = (prefix: string, from: number, to: number): string[] =>
  Array.from({ length: to - from }, (_, i) => `${prefix} ${from + i}`);
const text = (ls: string[]): string => ls.map((l) => `${l}\n`).join('');
const tick = (ms = 60): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Starts following and waits until the file is open: starting at the end depends on that moment. */
async function follow(path: string, opts: Parameters<typeof asteriskLogSource>[1]): Promise<Collector> {
  let opened = false;
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      if (chunk.toString().includes('log file opened')) opened = true;
      done();
    },
  });
  const c = collect(asteriskLogSource(path, { ...opts, log: createLogger('info', sink) }));
  await c.until(() => opened);
  return c;
}

describe('asterisk log follower', () => {
  it('starts at the end by default and reads what is appended', async () => {
    const path = fresh();
    writeFileSync(path, text(['old 1', 'old 2']) + 'old partial');
    const c = await follow(path, fast);
    appendFileSync(path, ' still old\nnew 1\nnew 2\n');
    await c.until((ev) => ev.length >= 2);
    await tick();
    await c.stop();
    assert.deepEqual(lines(c.events), ['new 1', 'new 2']);
  });

  it('reads from the beginning when asked, and joins a line written in two pieces', async () => {
    const path = fresh();
    writeFileSync(path, text(['a', 'b']));
    const c = collect(asteriskLogSource(path, { ...fast, fromStart: true }));
    await c.until((ev) => ev.length >= 2);
    appendFileSync(path, 'c fir');
    await tick();
    appendFileSync(path, 'st half\r\n');
    await c.until((ev) => ev.length >= 3);
    await c.stop();
    assert.deepEqual(lines(c.events), ['a', 'b', 'c first half']);
  });

  it('batches(): the lines of one read as one batch, blank lines skipped, one arrival time', async () => {
    const path = fresh();
    writeFileSync(path, text(['a', '', '  ', 'b', 'c']));
    const src = asteriskLogSource(path, { ...fast, fromStart: true });
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), 5000);
    const batches: { line: string; at: number }[][] = [];
    for await (const batch of src.batches!(ac.signal)) {
      batches.push(batch.map((ev) => ({ line: ev.type === 'log-line' ? ev.line : '', at: ev.at })));
      ac.abort();
    }
    clearTimeout(timer);
    assert.deepEqual(batches.map((b) => b.map((e) => e.line)), [['a', 'b', 'c']]);
    assert.equal(new Set(batches[0].map((e) => e.at)).size, 1);
    assert.equal(src.stats.received, 3);
  });

  it('follows rename rotation: lines written to the renamed file after the rename are not lost', async () => {
    const path = fresh();
    writeFileSync(path, '');
    const c = await follow(path, fast);
    const writer = openSync(path, 'a'); // Asterisk keeps its descriptor across the rename
    writeSync(writer, text(numbered('before', 0, 50)));
    renameSync(path, `${path}.1`);
    writeFileSync(path, ''); // logrotate "create"
    await tick();
    writeSync(writer, text(numbered('late', 0, 5))); // before `logger reload` reopens
    closeSync(writer);
    appendFileSync(path, text(numbered('after', 0, 50)));
    await c.until((ev) => ev.length >= 105);
    await tick(100);
    await c.stop();
    const got = lines(c.events);
    assert.equal(got.length, 105, 'no line lost or duplicated');
    assert.deepEqual(new Set(got), new Set([...numbered('before', 0, 50), ...numbered('late', 0, 5), ...numbered('after', 0, 50)]));
    assert.deepEqual(got.slice(0, 50), numbered('before', 0, 50), 'the old file is read to its end first');
  });

  it('follows a rename without a new file until the file appears again', async () => {
    const path = fresh();
    writeFileSync(path, '');
    const c = await follow(path, fast);
    appendFileSync(path, text(['one']));
    renameSync(path, `${path}.1`);
    await tick(100);
    writeFileSync(path, text(['two']));
    await c.until((ev) => ev.length >= 2);
    await c.stop();
    assert.deepEqual(lines(c.events), ['one', 'two']);
  });

  it('follows copytruncate: what was read is not repeated, what comes after is read', async () => {
    const path = fresh();
    writeFileSync(path, '');
    const c = await follow(path, fast);
    appendFileSync(path, text(numbered('first', 0, 20)));
    await c.until((ev) => ev.length >= 20);
    copyFileSync(path, `${path}.1`);
    truncateSync(path, 0);
    await tick();
    appendFileSync(path, text(numbered('second', 0, 20)));
    await c.until((ev) => ev.length >= 40);
    await tick(100);
    await c.stop();
    assert.deepEqual(lines(c.events), [...numbered('first', 0, 20), ...numbered('second', 0, 20)]);
  });

  it('notices a truncation even when the file has grown past the old position between two polls', async () => {
    const path = fresh();
    writeFileSync(path, '');
    const c = await follow(path, { ...fast, pollMs: 150 });
    appendFileSync(path, text(['[Nov 27 10:00:00] short']));
    await c.until((ev) => ev.length >= 1);
    // Truncate and write more than before, all within one poll interval: size alone can't tell.
    truncateSync(path, 0);
    appendFileSync(path, text(numbered('[Nov 27 11:00:00] regrown', 0, 3)));
    await c.until((ev) => ev.length >= 4);
    await tick(200);
    await c.stop();
    assert.deepEqual(lines(c.events), ['[Nov 27 10:00:00] short', ...numbered('[Nov 27 11:00:00] regrown', 0, 3)]);
  });

  it('plain truncation: restarts at the beginning', async () => {
    const path = fresh();
    writeFileSync(path, text(['x1', 'x2', 'x3']));
    const c = collect(asteriskLogSource(path, { ...fast, fromStart: true }));
    await c.until((ev) => ev.length >= 3);
    truncateSync(path, 0);
    await tick();
    appendFileSync(path, text(['y1']));
    await c.until((ev) => ev.length >= 4);
    await c.stop();
    assert.deepEqual(lines(c.events), ['x1', 'x2', 'x3', 'y1']);
  });

  it('waits for a missing file, counts and drops an overlong line', async () => {
    const path = fresh();
    const src = asteriskLogSource(path, fast);
    const c = collect(src);
    await tick();
    writeFileSync(path, `${'A'.repeat(70 * 1024)}\nshort\n`);
    await c.until((ev) => ev.length >= 1);
    await c.stop();
    assert.deepEqual(lines(c.events), ['short']);
    assert.equal(src.stats.skippedByReason['overlong-line'], 1);
    assert.equal(src.stats.received, 1);
  });

  it('a path that is not a regular file is a setup error', async () => {
    const err = await collect(withRestart(asteriskLogSource(dir, fast), { min: 10, max: 50 }, silentLogger)).done;
    assert.ok(err instanceof SourceSetupError);
    assert.match(err.message, /is not a regular file/);
  });

  it('loses and repeats nothing over three rename rotations while a writer keeps writing', async () => {
    const path = fresh();
    writeFileSync(path, '');
    const c = await follow(path, fast);
    let fd = openSync(path, 'a');
    let n = 0;
    const burst = async (count: number): Promise<void> => {
      for (let i = 0; i < count; i++) {
        writeSync(fd, `line ${n++}\n`);
        if (i % 50 === 0) await tick(2);
      }
    };
    await burst(500);
    for (let r = 1; r <= 3; r++) {
      renameSync(path, `${path}.${r}`);
      await burst(20); // still into the renamed file, as Asterisk does until it reopens
      writeFileSync(path, '');
      await burst(20);
      closeSync(fd);
      fd = openSync(path, 'a');
      // A file that lives under the name for less than one poll is never seen (as with tail -F);
      // real rotations are hours apart, so let the follower see the new file before the next one.
      const first = `line ${n}`;
      await burst(500);
      await c.until((ev) => lines(ev).includes(first));
    }
    closeSync(fd);
    await c.until((ev) => ev.length >= n, 10_000);
    await tick(100);
    await c.stop();
    const got = lines(c.events);
    assert.equal(got.length, n);
    assert.equal(new Set(got).size, n, 'no line twice');
  });
});
