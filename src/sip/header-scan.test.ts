// The WebAssembly header scan (header-scan.wat) against the JS scan it replaced, kept here as the
// oracle: the same header slots, body start, fold flag and error, on generated messages, the fuzz
// corpus's mutations and hand-made edge cases. And the module built into header-scan-wasm.ts must be
// the .wat as it stands (scripts/build-wasm.sh), where wabt is installed to check it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { corpus, mutate } from './fuzz.ts';
import { HEADER_SCAN_WASM } from './header-scan-wasm.ts';
import { HEADER_ERRORS, isSipParseError, MAX_HEADERS, parseSip } from './parse.ts';
import { gen } from './testgen.ts';

const isBlank = (c: number) => c === 32 || c === 9;

/** The JS header scan as parse.ts had it: slots, body start and fold flag, or an error. */
function oracle(buf: Buffer, from: number): { error: string } | { slots: number[]; bodyStart: number; folded: boolean } {
  const text = buf.toString('latin1');
  const n = text.length;
  const out: number[] = [];
  let folded = false;
  let count = 0;
  let pos = from;
  const fail = (code: number) => ({ error: HEADER_ERRORS[-code - 1] });
  while (pos < n) {
    const nl = text.indexOf('\n', pos);
    let end = nl < 0 ? n : nl;
    if (end > pos && buf[end - 1] === 13) end--;
    if (end === pos) return { slots: out, bodyStart: nl < 0 ? n : nl + 1, folded };
    while (end > pos && isBlank(buf[end - 1])) end--;
    if (isBlank(buf[pos])) {
      if (count === 0) return fail(-3);
      if (end > pos) out[2 * count - 1] = (out[2 * count - 1] & ~0xffff) | end;
      folded = true;
    } else {
      let k = pos;
      let c = buf[k];
      while (k < end && c !== 58 && c !== 32 && c !== 9) c = buf[++k];
      const nameEnd = k;
      if (k < end && c !== 58) {
        while (k < end && isBlank(buf[k])) k++;
        if (buf[k] !== 58) {
          const colon = text.indexOf(':', k);
          return fail(colon < 0 || colon >= end ? -1 : -2);
        }
      }
      if (k >= end) return fail(-1);
      if (nameEnd === pos) return fail(-2);
      if (count >= MAX_HEADERS) return fail(-4);
      let vs = k + 1;
      while (vs < end && isBlank(buf[vs])) vs++;
      out[2 * count] = (pos << 16) | nameEnd;
      out[2 * count + 1] = (vs << 16) | end;
      count++;
    }
    if (nl < 0) break;
    pos = nl + 1;
  }
  return { slots: out, bodyStart: -1, folded };
}

/** Where the header lines start: after the start line (leading CR/LF skipped), as parse.ts finds it. */
function headersFrom(buf: Buffer): number {
  let pos = 0;
  while (pos < buf.length && (buf[pos] === 13 || buf[pos] === 10)) pos++;
  return buf.indexOf(10, pos) + 1;
}

let compared = 0;

/** parseSip's header scan agrees with the oracle (messages whose start line fails never reach it). */
function agree(buf: Buffer): void {
  const got = parseSip(buf);
  if (isSipParseError(got) && !(HEADER_ERRORS as readonly string[]).includes(got.error)) return;
  const want = oracle(buf, headersFrom(buf));
  compared++;
  if ('error' in want) {
    assert.deepEqual(isSipParseError(got) ? got.error : 'parsed', want.error, JSON.stringify(buf.toString('latin1').slice(0, 400)));
    return;
  }
  assert.ok(!isSipParseError(got), `${got && (got as { error: string }).error}: ${JSON.stringify(buf.toString('latin1').slice(0, 400))}`);
  const inner = got as unknown as { index: number[]; bodyStart: number; folded: boolean };
  assert.deepEqual({ slots: inner.index, bodyStart: inner.bodyStart, folded: inner.folded }, want, JSON.stringify(buf.toString('latin1').slice(0, 400)));
}

describe('the WebAssembly header scan', () => {
  it('finds what the JS scan found: slots, body, folds and errors, on 200,000 mutated messages', () => {
    const g = gen(7);
    const base = corpus(g);
    for (const m of base) agree(Buffer.from(m, 'latin1'));
    for (let i = 0; i < 200_000; i++) agree(mutate(g, base[i % base.length]));
    assert.ok(compared > 150_000, `only ${compared} messages reached the header scan`);
  });

  it('agrees on the edges: folds, blanks, colons, line ends at the 16-byte steps, the header cap, the size cap', () => {
    const start = 'OPTIONS sip:a@b SIP/2.0\r\n';
    const cases = [
      'Via: a\r\n b\r\n\tc\r\n\r\n', ' x: y\r\n\r\n', 'A : b\r\n\r\n', 'A b: c\r\n\r\n', 'A b c\r\n\r\n', ': v\r\n\r\n', 'A:\r\n\r\n',
      'A:   \r\n\r\n', 'A: v  \t\r\n\r\n', 'A: v\n\n', 'A: v\r\nB: w', 'A: v\r\n', 'A\r\n\r\n', 'A  \r\n\r\n', 'A:b:c\r\n\r\n', '   \r\n\r\n',
      'X-'.padEnd(15, 'y') + ': z\r\n\r\n', 'X-'.padEnd(16, 'y') + ': z\r\n\r\n', 'X-'.padEnd(17, 'y') + ': ' + 'v'.repeat(40) + '\r\n\r\nbody',
      'H: v\r\n'.repeat(MAX_HEADERS) + '\r\n', 'H: v\r\n'.repeat(MAX_HEADERS + 1) + '\r\n',
      'A: v\r\n  \r\n\r\n', 'A: v\r\n \t b\r\n\r\n',
    ];
    for (const c of cases) agree(Buffer.from(start + c, 'latin1'));
    // Past every length up to a few vector steps, the message ends exactly at the line end.
    for (let len = 1; len < 70; len++) agree(Buffer.from(`${start}N: ${'v'.repeat(len)}\r\n`, 'latin1'));
    // Near the size cap: vector loads past the message's end read whatever the memory holds.
    agree(Buffer.from(`${start}B: ${'x'.repeat(65_535 - start.length - 7)}\r\n\r\n`, 'latin1'));
    agree(Buffer.from(`${start}C: ${'y'.repeat(100)}`, 'latin1'));
  });

  it('is the module header-scan.wat compiles to (scripts/build-wasm.sh)', (t) => {
    try {
      execFileSync('wat2wasm', ['--version'], { stdio: 'ignore' });
    } catch {
      console.log('# wat2wasm (Debian wabt) is not installed: the built module is not compared with its source');
      t.skip('wabt is not installed');
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'sipwarden-wasm-'));
    try {
      const wat = fileURLToPath(new URL('./header-scan.wat', import.meta.url));
      execFileSync('wat2wasm', [wat, '-o', join(dir, 'scan.wasm')]);
      assert.equal(Buffer.from(HEADER_SCAN_WASM, 'base64').equals(readFileSync(join(dir, 'scan.wasm'))), true, 'header-scan-wasm.ts is stale: run scripts/build-wasm.sh');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
