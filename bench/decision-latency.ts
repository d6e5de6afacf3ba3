// bench: root
// Decision latency: from the offending log line written, or the offending packet sent, to the ban
// in the kernel set, through the real daemon (Daemon + service/daemon-services.ts: the Asterisk log follower or
// the tcpdump capture, the signatures, the rules engine, the batched BanService commit into ipset
// or nft), as root inside a fresh network namespace (unshare -n), one child process per backend
// and source.
//
// The offenses: for 'log', an Asterisk InvalidPassword security line; for 'wire', the PBX's
// "403 Forbidden" to a REGISTER with credentials, sent from the namespace's PBX address to the
// offender (sip-auth-failure takes the offender from the packet's destination) out of a veth
// that tcpdump captures (ARP off, so no neighbour lookup delays the packet).
//
// Measured in-process, three stamps per offender:
//   written  just before the line is appended to the followed security log / the packet is sent
//   read     when the detection pipeline receives the event (Detection.handle)
//   kernel   when the BanService commit that carried the offender's ban returned: `ipset restore`
//            or `nft -f` has exited, so the kernel holds the entry (checked at the end: every
//            offender is in the kernel set)
// Two patterns: "spaced" (one new offender every --gap ms, each decision on its own) and "burst"
// (all offenders' lines in one write: the batching case). max_retry is 1 so that one line is one
// offender; with the default 5 the latency counts from the fifth line the same way.
// Before the measured rows, a warm-up (not measured) of --warmup offenders (default 2000) from
// 100.64.0.0/16 in bursts of 100: a daemon that has run for a while has its code compiled by the JIT,
// while a fresh one interprets its first few hundred events (~0.3 ms a packet here); --warmup 0
// measures the cold daemon.
//   node --import tsx bench/decision-latency.ts [--offenders 200] [--gap 20] [--warmup 2000] [--backends iptables,nftables] [--sources log,wire]
import { execFileSync, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { loadavg } from 'node:os';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RawEvent } from '../src/core/types.ts';
import type { Detection } from '../src/detection.ts';

type Backend = 'iptables' | 'nftables';
type Source = 'log' | 'wire';
interface Stamps {
  written: number;
  read?: number;
  kernel?: number;
}
interface Summary {
  pattern: string;
  n: number;
  total: number[];
  afterRead: number[];
  inKernel: number;
  /** The detection pipeline's counters after the row (events, bans, refused, errors...). */
  counts?: unknown;
}

const SELF = fileURLToPath(import.meta.url);
const offenderIp = (i: number) => `${i < 250 ? '198.51.100' : '203.0.113'}.${(i % 250) + 1}`;
const warmupIp = (i: number) => `100.64.${Math.floor(i / 250)}.${(i % 250) + 1}`;

function securityLine(ip: string, i: number): string {
  return (
    `[Nov 27 05:00:00] SECURITY[4242] res_security_log.c: SecurityEvent="InvalidPassword",EventTV="2026-11-27T05:00:00.000+0000",` +
    `Severity="Error",Service="SIP",EventVersion="2",AccountID="${1000 + i}",SessionID="0x${i.toString(16)}",` +
    `LocalAddress="IPV4/UDP/192.0.2.1/5060",RemoteAddress="IPV4/UDP/${ip}/5060",Challenge="x",ReceivedChallenge="x",ReceivedHash="x"\n`
  );
}

/** The 403 a PBX answers to a REGISTER with a wrong password (CSeq 2: credentials were sent). */
function forbidden(ip: string, i: number): Buffer {
  return Buffer.from(
    [
      'SIP/2.0 403 Forbidden',
      `Via: SIP/2.0/UDP ${ip}:5060;branch=z9hG4bK${i}x;received=${ip};rport=5060`,
      `From: <sip:${1000 + i}@192.0.2.1>;tag=b${i}`,
      `To: <sip:${1000 + i}@192.0.2.1>;tag=pbx${i}`,
      `Call-ID: bench-${i}@${ip}`,
      'CSeq: 2 REGISTER',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  );
}

async function waitUntil(done: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!done() && Date.now() < end) await new Promise((r) => setTimeout(r, 2));
  return done();
}

/** How offenses reach the daemon: lines appended to a log, or 403s sent out of a captured veth. */
interface Emitter {
  config: string[];
  /** Delivers the offenses of ips[k] (numbered from first + k); returns once they are written/sent. */
  emit(ips: string[], first: number): Promise<void>;
  /** The offender an event is about, for the read stamp. */
  offenderOf(ev: RawEvent): string | undefined;
  close(): void;
}

function logEmitter(dir: string): Emitter {
  const file = join(dir, 'security');
  writeFileSync(file, '');
  return {
    config: [`  asterisk: { logs: [${JSON.stringify(file)}] }`],
    async emit(ips, first) {
      appendFileSync(file, ips.map((ip, k) => securityLine(ip, first + k)).join(''));
    },
    offenderOf: (ev) => (ev.type === 'log-line' ? /RemoteAddress="IPV4\/UDP\/([\d.]+)\//.exec(ev.line)?.[1] : undefined),
    close() {},
  };
}

async function wireEmitter(): Promise<Emitter> {
  const ip = (...args: string[]) => execFileSync('ip', args);
  ip('link', 'add', 'swv0', 'type', 'veth', 'peer', 'name', 'swv1');
  ip('link', 'set', 'swv0', 'arp', 'off', 'up');
  ip('link', 'set', 'swv1', 'up');
  ip('addr', 'add', '192.0.2.1/24', 'dev', 'swv0');
  for (const net of ['198.51.100.0/24', '203.0.113.0/24', '100.64.0.0/16']) ip('route', 'add', net, 'dev', 'swv0');
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(5060, '192.0.2.1', r));
  return {
    config: ['  capture: { interface: swv0 }'],
    async emit(ips, first) {
      await Promise.all(ips.map((to, k) => new Promise<void>((r) => sock.send(forbidden(to, first + k), 5060, to, () => r()))));
    },
    offenderOf: (ev) => (ev.type === 'sip' ? ev.dst.ip : undefined),
    close: () => sock.close(),
  };
}

/** Runs inside the fresh namespace: one daemon, the spaced pattern then the burst. */
async function child(backend: Backend, source: Source, offenders: number, gapMs: number, warmup: number): Promise<Summary[]> {
  const { Daemon } = await import('../src/main.ts');
  const { services } = await import('../src/service/daemon-services.ts');
  const { silentLogger } = await import('../src/core/log.ts');
  execFileSync('ip', ['link', 'set', 'lo', 'up']);
  const dir = mkdtempSync(join(tmpdir(), 'sipwarden-latency-'));
  const emitter = source === 'log' ? logEmitter(dir) : await wireEmitter();
  const configPath = join(dir, 'sipwarden.yaml');
  const store = `store: { path: ${JSON.stringify(join(dir, 'db.sqlite'))} }`;
  writeFileSync(configPath, [`firewall: { backend: ${backend} }`, store, 'detect:', ...emitter.config, '  brute_force: { max_retry: 1 }'].join('\n') + '\n');
  const stamps = new Map<string, Stamps>();
  const daemon = new Daemon({ configPath, log: silentLogger });
  await daemon.start((d) => {
    const list = services(d);
    const detection = list.find((s) => s.name === 'detection') as unknown as Detection;
    const handle = detection.handle.bind(detection);
    detection.handle = (ev: RawEvent) => {
      const ip = emitter.offenderOf(ev);
      const s = ip ? stamps.get(ip) : undefined;
      if (s && s.read === undefined) s.read = performance.now();
      handle(ev);
    };
    return list;
  });
  const banMany = daemon.bans.banMany.bind(daemon.bans);
  daemon.bans.banMany = async (reqs) => {
    const r = await banMany(reqs);
    const now = performance.now();
    for (const b of r.banned) {
      const s = stamps.get(b.target);
      if (s && s.kernel === undefined) s.kernel = now;
    }
    return r;
  };
  await new Promise((r) => setTimeout(r, 1000)); // the follower sits at the file's end; tcpdump is capturing
  try {
    for (let first = 0; first < warmup; first += 100) {
      const ips = Array.from({ length: Math.min(100, warmup - first) }, (_, k) => warmupIp(first + k));
      for (const ip of ips) stamps.set(ip, { written: performance.now() });
      await emitter.emit(ips, 10_000 + first);
      if (!(await waitUntil(() => ips.every((ip) => stamps.get(ip)!.kernel !== undefined), 10_000))) throw new Error('warm-up offenders were not banned');
    }
    const half = Math.floor(offenders / 2);
    const spaced = Array.from({ length: half }, (_, i) => offenderIp(i));
    for (const [i, ip] of spaced.entries()) {
      stamps.set(ip, { written: performance.now() });
      await emitter.emit([ip], i);
      await new Promise((r) => setTimeout(r, gapMs));
    }
    await waitUntil(() => spaced.every((ip) => stamps.get(ip)!.kernel !== undefined), 10_000);
    const burst = Array.from({ length: offenders - half }, (_, i) => offenderIp(half + i));
    const t = performance.now();
    for (const ip of burst) stamps.set(ip, { written: t });
    await emitter.emit(burst, half);
    await waitUntil(() => burst.every((ip) => stamps.get(ip)!.kernel !== undefined), 10_000);
    const counts = (daemon.status().services as { detection?: { counts?: unknown } }).detection?.counts;
    return [
      summarize(`spaced (1 every ${gapMs} ms)`, spaced, stamps, backend),
      { ...summarize(`burst (${burst.length} at once)`, burst, stamps, backend), counts },
    ];
  } finally {
    emitter.close();
    await daemon.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Latencies of the offenders that made it, and how many of them the kernel set really holds. */
function summarize(pattern: string, ips: string[], stamps: Map<string, Stamps>, backend: Backend): Summary {
  const done = ips.map((ip) => stamps.get(ip)!).filter((s) => s.kernel !== undefined && s.read !== undefined);
  const kernelText =
    backend === 'iptables'
      ? execFileSync('ipset', ['list', 'sipwarden-ban4'], { encoding: 'utf8' })
      : execFileSync('nft', ['list', 'table', 'inet', 'sipwarden'], { encoding: 'utf8' });
  const inKernel = ips.filter((ip) => new RegExp(`(^|[\\s,{])${ip.replace(/\./g, '\\.')}([\\s,}]|$)`, 'm').test(kernelText)).length;
  return {
    pattern,
    n: ips.length,
    total: done.map((s) => s.kernel! - s.written),
    afterRead: done.map((s) => s.kernel! - s.read!),
    inKernel,
  };
}

function pct(values: number[], p: number): number {
  const v = [...values].sort((a, b) => a - b);
  return v.length === 0 ? NaN : v[Math.min(v.length - 1, Math.ceil((p / 100) * v.length) - 1)];
}

const fmt = (values: number[]) => [50, 90, 99, 100].map((p) => pct(values, p).toFixed(1).padStart(8)).join('');

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
}

async function main(): Promise<void> {
  const offenders = Number(arg('--offenders') ?? 200);
  const gap = Number(arg('--gap') ?? 20);
  const warmup = Number(arg('--warmup') ?? 2000);
  if (!Number.isInteger(warmup) || warmup < 0) throw new Error(`--warmup takes a count of offenders (0 or more), not '${arg('--warmup')}'`);
  if (arg('--child')) {
    console.log(JSON.stringify(await child(arg('--child') as Backend, arg('--source') as Source, offenders, gap, warmup)));
    return;
  }
  if (process.getuid?.() !== 0) {
    console.log('skipped: not root (the bench bans in a real kernel set inside a fresh network namespace)');
    return;
  }
  const backends = (arg('--backends') ?? 'iptables,nftables').split(',') as Backend[];
  const sources = (arg('--sources') ?? 'log,wire').split(',') as Source[];
  console.log(`decision latency: offense → kernel ban set, ${offenders} offenders per row pair, after a warm-up of ${warmup} (ms); load average ${loadavg()[0].toFixed(1)}`);
  console.log('source backend    pattern                    measured          p50     p90     p99     max');
  for (const source of sources) {
    for (const backend of backends) {
      const args = ['-n', process.execPath, '--import', 'tsx', SELF, '--child', backend, '--source', source, '--offenders', String(offenders), '--gap', String(gap), '--warmup', String(warmup)];
      const r = spawnSync('unshare', args, { encoding: 'utf8', timeout: 120_000 });
      const line = r.stdout.trim().split('\n').pop() ?? '';
      if (r.status !== 0 || !line.startsWith('[')) {
        console.log(`${source.padEnd(6)} ${backend.padEnd(10)} failed: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`);
        continue;
      }
      for (const s of JSON.parse(line) as Summary[]) {
        const head = `${source.padEnd(6)} ${backend.padEnd(10)} ${s.pattern.padEnd(26)}`;
        console.log(`${head} sent→kernel     ${fmt(s.total)}   (${s.total.length}/${s.n} banned, ${s.inKernel} in the kernel set)`);
        console.log(`${' '.repeat(head.length)} read→kernel     ${fmt(s.afterRead)}`);
        if (s.counts && s.total.length < s.n) console.log(`${' '.repeat(head.length)} pipeline counts ${JSON.stringify(s.counts)}`);
      }
    }
  }
  console.log('sent→kernel: from the line appended / the packet sent; read→kernel: from the event entering the detection pipeline.');
  console.log('The log follower polls the file every 250 ms, so log sent→kernel includes up to 250 ms of waiting.');
}

await main();
