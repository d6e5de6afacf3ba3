// One million mutated SIP messages (seeded, so a failure replays): no exception from the parser,
// its lazy accessors or the SIP signatures, no fault caught inside the parser, and a bounded time per
// message. The million is split over worker threads (one per core, at most 4) to keep the run short;
// SIPWARDEN_FUZZ_COUNT overrides the count (e.g. 10000000 for a long soak).
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import type { FuzzResult } from './fuzz.ts';

const TOTAL = Number(process.env.SIPWARDEN_FUZZ_COUNT ?? 1_000_000);
const MAX_MS_PER_MESSAGE = 5;

function runWorker(count: number, seed: number): Promise<FuzzResult> {
  return new Promise((resolve, reject) => {
    // Worker threads do not inherit the tsx loader: register it first, then load the TypeScript.
    const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
    const fuzz = JSON.stringify(new URL('./fuzz.ts', import.meta.url).href);
    const code = `import(${tsx}).then((api) => { api.register(); return import(${fuzz}); })`;
    const w = new Worker(code, { eval: true, workerData: { fuzz: true, count, seed } });
    w.once('message', resolve);
    w.once('error', reject);
    w.once('exit', (code) => code !== 0 && reject(new Error(`fuzz worker exited with ${code}`)));
  });
}

test(`parser fuzz: ${TOTAL.toLocaleString('en-US')} mutated messages`, { timeout: 600_000 }, async () => {
  const workers = Math.max(1, Math.min(4, availableParallelism()));
  const share = Math.ceil(TOTAL / workers);
  const results = await Promise.all(Array.from({ length: workers }, (_, k) => runWorker(Math.min(share, TOTAL - k * share), 1000 + k)));
  const count = results.reduce((n, r) => n + r.count, 0);
  const parsed = results.reduce((n, r) => n + r.parsed, 0);
  const faults = results.reduce((n, r) => n + r.faults, 0);
  const errors: Record<string, number> = {};
  for (const r of results) for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
  const maxMs = Math.max(...results.map((r) => r.maxMs));
  const slowestRerunMs = Math.max(...results.map((r) => r.slowestRerunMs));
  const slowest = results.reduce((a, b) => (b.slowestRerunMs > a.slowestRerunMs ? b : a)).slowest;
  const seconds = Math.max(...results.map((r) => r.seconds));
  console.log(`# fuzz: ${count} messages on ${workers} threads in ${seconds.toFixed(1)} s; parsed ${parsed}, errors ${JSON.stringify(errors)}; ` +
    `max ${maxMs.toFixed(2)} ms per message (slowest re-run: ${slowestRerunMs.toFixed(3)} ms)`);
  assert.equal(count, TOTAL);
  assert.equal(faults, 0, 'the parser caught exceptions inside itself');
  // Both outcomes must be well represented, or the mutations are too weak (or too strong).
  assert.ok(parsed > TOTAL * 0.2 && parsed < TOTAL * 0.95, `parsed ${parsed}`);
  for (const reason of ['too-large', 'too-many-headers', 'bad-header-line', 'bad-start-line', 'truncated']) assert.ok(errors[reason] > 0, reason);
  // The wall-clock max includes GC pauses and preemption on a busy machine; the slowest message
  // re-run alone tells whether the input itself is slow (a super-linear path).
  assert.ok(slowestRerunMs < MAX_MS_PER_MESSAGE, `slowest message takes ${slowestRerunMs} ms: ${slowest.bytes} bytes, ${slowest.head}`);
});
