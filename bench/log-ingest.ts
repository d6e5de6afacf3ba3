// Asterisk log ingestion: the daemon's log path against fail2ban-regex on the same file.
//   node --import tsx bench/log-ingest.ts [--lines 1000000] [--sources 1000000] [--rounds 9] [--no-f2b]
// 1. writes a synthetic log (perf-anchors.md §3 shape: 10% attack lines) to a temp file;
// 2. runs it through the daemon's own path: the log source (follower, LineSplitter, RawEvent
//    batches, withRestart) feeding Detection (every configured signature, the rules engine, batched
//    decisions; the kernel commit is stubbed), and measures lines per second and per CPU-second;
// 3. times `fail2ban-regex -o ip FILE /etc/fail2ban/filter.d/asterisk.conf` on the same file, reads
//    its CPU time from rusage, and compares the set of addresses found (must be equal) and the rates
//    (goal: >= 20x); our rounds run before and after it, and the table shows their median and range;
// 4. in a child process, feeds the engine N distinct sources and reports the RSS it costs.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { configSchema } from '../src/config/schema.ts';
import { FakeClock } from '../src/core/clock.ts';
import type { RawEvent } from '../src/core/types.ts';
import { DetectionEngine } from '../src/detect/engine.ts';
import { engineConfigFrom } from '../src/detect/rules/config.ts';
import { signaturesByType } from '../src/detect/signature.ts';
import { configuredSignatures } from '../src/service/signatures.ts';
import { followLines } from '../src/sources/asterisk-log/follow.ts';
import { daemonLogIngest, type IngestRun } from './tools/daemon-log-ingest.ts';
import { writeAsteriskLog } from './tools/asterisk-log-gen.ts';

const F2B_FILTER = '/etc/fail2ban/filter.d/asterisk.conf';
const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};

/** The daemon's reading alone: the follower (256 KB reads) and LineSplitter, to the file's end. */
async function splitOnly(file: string, n: number) {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const ac = new AbortController();
  let lines = 0;
  for await (const batch of followLines(file, ac.signal, { fromStart: true })) {
    lines += batch.length;
    if (lines >= n) ac.abort();
  }
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
  const config = configSchema.parse({});
  const sigs = signaturesByType(configuredSignatures(config))['log-line']; // the daemon's, for log lines
  const engine = new DetectionEngine(engineConfigFrom(config), { clock });
  /** The addresses of failures (what fail2ban's filter matches), to compare with fail2ban-regex. */
  const failures = new Set<string>();
  let offenses = 0;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (const line of lines) {
    const ev: RawEvent = { type: 'log-line', source: 'bench', at: clock.now(), line };
    for (const s of sigs) {
      const o = s.match(ev);
      if (!o) continue;
      offenses++;
      if (o.kind === 'auth-failure' || o.kind === 'acl') failures.add(o.ip);
      engine.offense(o);
    }
  }
  const used = process.cpuUsage(cpu0);
  return { seconds: (performance.now() - t0) / 1000, cpu: (used.user + used.system) / 1e6, failures, offenses };
}

/**
 * Child mode: the RSS cost of N distinct tracked sources. Each offense comes from a real security
 * log line through the daemon's signatures, as in the daemon (so the strings the engine keeps are
 * cut from lines, the way they are live), one line per source.
 */
function rssChild(n: number): void {
  const clock = new FakeClock(new Date(2026, 10, 27, 12).getTime());
  const config = configSchema.parse({ detect: { limits: { max_sources: Math.max(n, 1000) } } });
  const engine = new DetectionEngine(engineConfigFrom(config), { clock });
  const sigs = signaturesByType(configuredSignatures(config))['log-line'];
  (globalThis as { gc?: () => void }).gc?.();
  const before = process.memoryUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const ip = `${100 + (i >>> 24)}.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;
    const line = `[Nov 27 12:00:00] SECURITY[1000] res_security_log.c: SecurityEvent="InvalidAccountID",EventTV="2026-11-27T12:00:00.000+0000",Severity="Error",Service="PJSIP",EventVersion="1",AccountID="${100 + (i % 900)}",SessionID="c${i}-4f1d2a9e@pbx",LocalAddress="IPV4/UDP/192.0.2.1/5060",RemoteAddress="IPV4/UDP/${ip}/5060"`;
    const ev: RawEvent = { type: 'log-line', source: 'bench', at: clock.now(), line };
    for (const s of sigs) {
      const o = s.match(ev);
      if (o) engine.offense(o);
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  (globalThis as { gc?: () => void }).gc?.();
  const after = process.memoryUsage();
  console.log(JSON.stringify({ tracked: engine.trackedSources, seconds, rssMB: after.rss / 2 ** 20, rssDeltaMB: (after.rss - before.rss) / 2 ** 20, heapMB: after.heapUsed / 2 ** 20 }));
}

function row(cols: (string | number)[]): string {
  return `| ${cols.join(' | ')} |`;
}

/** Median and range of a list, as "median (min–max)". */
function spread(xs: number[], fmt: (x: number) => string): string {
  const sorted = [...xs].sort((a, b) => a - b);
  return `${fmt(median(xs))} (${fmt(sorted[0])}–${fmt(sorted[sorted.length - 1])})`;
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function main(): Promise<void> {
  if (process.argv.includes('--rss-child')) return rssChild(arg('--rss-child', 1_000_000));
  const n = arg('--lines', 1_000_000);
  const rounds = Math.max(1, arg('--rounds', 9));
  const dir = mkdtempSync(join(tmpdir(), 'sipwarden-bench-'));
  try {
    const file = join(dir, 'asterisk.log');
    const gen = await writeAsteriskLog(file, n);
    console.log(`log: ${n} lines, ${gen.attackLines} attack lines ${JSON.stringify(gen.byKind)}, ${(statSync(file).size / 1e6).toFixed(0)} MB`);
    const split = await splitOnly(file, n);
    // The first round of the daemon's path pays for compiling its hot code (the JIT's work on its own
    // threads counts as our CPU time); a daemon runs for months, so it is shown but not counted.
    // fail2ban-regex's start-up (Python imports, regex compiles, well under a second) stays in its time.
    const warmUp = await daemonLogIngest(file, n);
    // Our rounds on both sides of fail2ban's run, so a change in the machine's load hits both.
    const runs: IngestRun[] = [];
    for (let i = 0; i < Math.ceil(rounds / 2); i++) runs.push(await daemonLogIngest(file, n));
    const f2b = !process.argv.includes('--no-f2b') && existsSync(F2B_FILTER) ? await fail2ban(file) : null;
    while (runs.length < rounds) runs.push(await daemonLogIngest(file, n));
    const mem0 = inMemory(file);
    const rss = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', process.argv[1], '--rss-child', String(arg('--sources', 1_000_000))], { encoding: 'utf8' });
    const mem = JSON.parse(rss.stdout.trim().split('\n').pop() ?? '{}');

    const rate = (sec: number) => Math.round(n / sec);
    const wall = runs.map((r) => r.seconds);
    const cpu = runs.map((r) => r.cpu);
    const banned = runs[0].banned;
    console.log('\n' + row(['what', 'lines', 'wall s', 'lines/s (wall)', 'CPU s', 'lines/CPU-s', 'addresses found']));
    console.log(row(['---', '---', '---', '---', '---', '---', '---']));
    console.log(row(["the daemon's reading only: follower (256 KB reads) + LineSplitter", n, split.seconds.toFixed(2), rate(split.seconds), split.cpu.toFixed(2), rate(split.cpu), '-']));
    console.log(row([`sipwarden, the daemon's path: log source → Detection (signatures + engine), median of ${rounds} (min–max)`, runs[0].events,
      spread(wall, (x) => x.toFixed(2)), spread(wall.map(rate), String), spread(cpu, (x) => x.toFixed(2)), spread(cpu.map(rate), String), `${banned.size} banned`]));
    console.log(row(["the same, first round of the daemon's path in this process (JIT warm-up; not counted)", warmUp.events, warmUp.seconds.toFixed(2), rate(warmUp.seconds), warmUp.cpu.toFixed(2), rate(warmUp.cpu), `${warmUp.banned.size} banned`]));
    console.log(row(['signatures + engine only (lines already in memory)', n, mem0.seconds.toFixed(2), rate(mem0.seconds), mem0.cpu.toFixed(2), rate(mem0.cpu), `${mem0.failures.size} with failures`]));
    if (f2b) console.log(row(['fail2ban-regex -o ip (asterisk.conf)', n, f2b.seconds.toFixed(2), rate(f2b.seconds), f2b.cpu.toFixed(2), rate(f2b.cpu), f2b.ips.size]));
    console.log(`\ndaemon path: ${runs[0].events} events, offenses ${runs[0].offenses} (failures + ChallengeSent/SuccessfulAuth), decisions ${runs[0].decisions}; in memory: ${mem0.offenses} offenses`);
    if (f2b) {
      const missing = [...f2b.ips].filter((ip) => !mem0.failures.has(ip));
      const extra = [...mem0.failures].filter((ip) => !f2b.ips.has(ip));
      console.log(`same address set as fail2ban: ${missing.length === 0 && extra.length === 0 ? 'yes' : `NO (we miss ${missing.length}, we add ${extra.length})`}`);
      console.log(`banned by the daemon path, all in fail2ban's set: ${[...banned].every((ip) => f2b.ips.has(ip)) ? 'yes' : 'NO'} (${banned.size} of ${f2b.ips.size})`);
      const ratio = (ours: number[], theirs: number) => spread(ours.map((x) => theirs / x), (x) => `${x.toFixed(1)}x`);
      console.log(`ratio (CPU time): ${ratio(cpu, f2b.cpu)} fail2ban-regex's rate; (wall): ${ratio(wall, f2b.seconds)} (goal >= 20x)`);
    } else {
      console.log('fail2ban-regex: skipped (not installed or --no-f2b)');
    }
    console.log(`load average after the runs: ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${availableParallelism()} CPUs`);
    console.log(`\n| engine with distinct sources | tracked | seconds | RSS MB | RSS delta MB | heap MB |\n| --- | --- | --- | --- | --- | --- |`);
    console.log(row(['1 offense each', mem.tracked, mem.seconds?.toFixed(2), mem.rssMB?.toFixed(0), mem.rssDeltaMB?.toFixed(0), mem.heapMB?.toFixed(0)]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
