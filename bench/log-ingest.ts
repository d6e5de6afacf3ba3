// Asterisk log ingestion: our signatures + rules engine against fail2ban-regex on the same file.
//   node --import tsx bench/log-ingest.ts [--lines 1000000] [--sources 1000000] [--no-f2b]
// 1. writes a synthetic log (perf-anchors.md §3 shape: 10% attack lines) to a temp file;
// 2. reads it back through a read stream and the daemon's LineSplitter, runs every Asterisk
//    signature and the engine on each line, and measures lines/s;
// 3. times `fail2ban-regex -o ip FILE /etc/fail2ban/filter.d/asterisk.conf` on the same file and
//    compares the set of addresses found (must be equal) and the rates (goal: >= 20x);
// 4. in a child process, feeds the engine N distinct sources and reports the RSS it costs.
import { execFile, spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { configSchema } from '../src/config/schema.ts';
import { FakeClock } from '../src/core/clock.ts';
import type { RawEvent } from '../src/core/types.ts';
import { DetectionEngine } from '../src/detect/engine.ts';
import { engineConfigFrom } from '../src/detect/rules/config.ts';
import { asteriskSignatures } from '../src/detect/signatures/index.ts';
import { LineSplitter } from '../src/sources/lines.ts';
import { writeAsteriskLog } from './tools/asterisk-log-gen.ts';

const F2B_FILTER = '/etc/fail2ban/filter.d/asterisk.conf';
const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};

async function ours(file: string) {
  const clock = new FakeClock(new Date(2026, 10, 27, 12).getTime());
  const sigs = asteriskSignatures();
  const engine = new DetectionEngine(engineConfigFrom(configSchema.parse({})), { clock });
  const failures = new Set<string>();
  let lines = 0;
  let offenses = 0;
  let decisions = 0;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const splitter = new LineSplitter(() => {});
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    for (const line of splitter.push(chunk as Buffer)) {
      lines++;
      const ev: RawEvent = { type: 'log-line', source: 'bench', at: clock.now(), line };
      for (const s of sigs) {
        const o = s.match(ev);
        if (!o) continue;
        offenses++;
        if (o.kind === 'auth-failure' || o.kind === 'acl') failures.add(o.ip);
        decisions += engine.offense(o).length;
        break; // one offense per line at most (the samples test checks it)
      }
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const used = process.cpuUsage(cpu0);
  const cpu = (used.user + used.system) / 1e6;
  return { lines, offenses, decisions, failures, seconds, cpu, rate: lines / seconds };
}

async function splitOnly(file: string) {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let lines = 0;
  const splitter = new LineSplitter(() => {});
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) lines += splitter.push(chunk as Buffer).length;
  const used = process.cpuUsage(cpu0);
  return { seconds: (performance.now() - t0) / 1000, cpu: (used.user + used.system) / 1e6 };
}

// fail2ban's CPU time is read from its rusage (through python3, which fail2ban runs on anyway):
// on a shared machine wall time swings with the load, CPU time much less.
const RUSAGE = 'import resource,subprocess,sys\n' +
  'p=subprocess.run(sys.argv[1:],stdout=subprocess.PIPE)\n' +
  'r=resource.getrusage(resource.RUSAGE_CHILDREN)\n' +
  'sys.stdout.write(p.stdout.decode())\n' +
  'sys.stdout.write("cpu-seconds %f\\n" % (r.ru_utime+r.ru_stime))\n';

async function fail2ban(file: string) {
  const t0 = performance.now();
  const argv = ['-c', RUSAGE, 'fail2ban-regex', '-o', 'ip', file, F2B_FILTER];
  const { stdout } = await promisify(execFile)('python3', argv, { maxBuffer: 1 << 30 });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = Number(/cpu-seconds ([\d.]+)/.exec(stdout)?.[1] ?? NaN);
  const ips = new Set(stdout.split('\n').map((l) => l.trim()).filter((l) => /^[0-9a-f.:]+$/i.test(l)));
  return { seconds, cpu, ips };
}

/** The same work on lines already in memory: what signatures + engine cost without the reading. */
function inMemory(file: string) {
  const lines = readFileSync(file, 'utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const clock = new FakeClock(new Date(2026, 10, 27, 12).getTime());
  const sigs = asteriskSignatures();
  const engine = new DetectionEngine(engineConfigFrom(configSchema.parse({})), { clock });
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (const line of lines) {
    const ev: RawEvent = { type: 'log-line', source: 'bench', at: clock.now(), line };
    for (const s of sigs) {
      const o = s.match(ev);
      if (o) {
        engine.offense(o);
        break;
      }
    }
  }
  const used = process.cpuUsage(cpu0);
  return { seconds: (performance.now() - t0) / 1000, cpu: (used.user + used.system) / 1e6 };
}

/** Child mode: the RSS cost of N distinct tracked sources. */
function rssChild(n: number): void {
  const clock = new FakeClock();
  const engine = new DetectionEngine(engineConfigFrom(configSchema.parse({ detect: { limits: { max_sources: Math.max(n, 1000) } } })), { clock });
  (globalThis as { gc?: () => void }).gc?.();
  const before = process.memoryUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const ip = `${100 + (i >>> 24)}.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;
    engine.offense({ ip, kind: 'auth-failure', signature: 'asterisk-security', at: clock.now(), detail: 'InvalidAccountID PJSIP/UDP', account: String(100 + (i % 900)), attempt: `c${i}` });
  }
  const seconds = (performance.now() - t0) / 1000;
  (globalThis as { gc?: () => void }).gc?.();
  const after = process.memoryUsage();
  console.log(JSON.stringify({ tracked: engine.trackedSources, seconds, rssMB: after.rss / 2 ** 20, rssDeltaMB: (after.rss - before.rss) / 2 ** 20, heapMB: after.heapUsed / 2 ** 20 }));
}

function row(cols: (string | number)[]): string {
  return `| ${cols.join(' | ')} |`;
}

async function main(): Promise<void> {
  if (process.argv.includes('--rss-child')) return rssChild(arg('--rss-child', 1_000_000));
  const n = arg('--lines', 1_000_000);
  const dir = mkdtempSync(join(tmpdir(), 'sipwarden-bench-'));
  try {
    const file = join(dir, 'asterisk.log');
    const gen = await writeAsteriskLog(file, n);
    console.log(`log: ${n} lines, ${gen.attackLines} attack lines ${JSON.stringify(gen.byKind)}, ${(statSync(file).size / 1e6).toFixed(0)} MB`);
    const split = await splitOnly(file);
    const us = await ours(file);
    const mem0 = inMemory(file);
    const f2b = !process.argv.includes('--no-f2b') && existsSync(F2B_FILTER) ? await fail2ban(file) : null;
    const rss = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', process.argv[1], '--rss-child', String(arg('--sources', 1_000_000))], { encoding: 'utf8' });
    const mem = JSON.parse(rss.stdout.trim().split('\n').pop() ?? '{}');

    const rate = (sec: number) => Math.round(n / sec);
    console.log('\n' + row(['what', 'lines', 'wall s', 'lines/s (wall)', 'CPU s', 'lines/CPU-s', 'addresses found']));
    console.log(row(['---', '---', '---', '---', '---', '---', '---']));
    console.log(row(['read stream + LineSplitter only', n, split.seconds.toFixed(2), rate(split.seconds), split.cpu.toFixed(2), rate(split.cpu), '-']));
    console.log(row(['sipwarden: stream + LineSplitter + signatures + engine', us.lines, us.seconds.toFixed(2), rate(us.seconds), us.cpu.toFixed(2), rate(us.cpu), us.failures.size]));
    console.log(row(['signatures + engine only (lines already in memory)', n, mem0.seconds.toFixed(2), rate(mem0.seconds), mem0.cpu.toFixed(2), rate(mem0.cpu), '-']));
    if (f2b) console.log(row(['fail2ban-regex -o ip (asterisk.conf)', n, f2b.seconds.toFixed(2), rate(f2b.seconds), f2b.cpu.toFixed(2), rate(f2b.cpu), f2b.ips.size]));
    console.log(`\noffenses ${us.offenses} (failures + ChallengeSent/SuccessfulAuth), decisions ${us.decisions}`);
    if (f2b) {
      const missing = [...f2b.ips].filter((ip) => !us.failures.has(ip));
      const extra = [...us.failures].filter((ip) => !f2b.ips.has(ip));
      console.log(`same address set as fail2ban: ${missing.length === 0 && extra.length === 0 ? 'yes' : `NO (we miss ${missing.length}, we add ${extra.length})`}`);
      console.log(`ratio (CPU time): ${(f2b.cpu / us.cpu).toFixed(1)}x fail2ban-regex's rate; (wall): ${(f2b.seconds / us.seconds).toFixed(1)}x (goal >= 20x)`);
    } else {
      console.log('fail2ban-regex: skipped (not installed or --no-f2b)');
    }
    console.log(`\n| engine with distinct sources | tracked | seconds | RSS MB | RSS delta MB | heap MB |\n| --- | --- | --- | --- | --- | --- |`);
    console.log(row(['1 offense each', mem.tracked, mem.seconds?.toFixed(2), mem.rssMB?.toFixed(0), mem.rssDeltaMB?.toFixed(0), mem.heapMB?.toFixed(0)]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
