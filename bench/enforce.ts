// bench: root
// Enforcement cost (issue 2 §8), as root between two network namespaces (never the host):
//  1. N banned addresses (1,000 / 100,000 / 1,000,000) loaded through sipwarden's own backends
//     (iptables = ipset, nftables = native sets; policy reduced to the ban sets): load time and
//     the benign packet rate, next to fail2ban's default action, one `iptables -A INPUT -s IP -j
//     DROP` per address, at 1,000 and 10,000;
//  2. sipwarden's whole policy (User-Agent, injection and REGISTER rules, ranges, 1,000,000 bans)
//     next to no rules and the field's 50 plain string rules (perf-anchors §2).
// Rate = packets/s passing the receiver's INPUT hook under a C sendmmsg flood of a 400-byte benign
// OPTIONS (one UDP flow, like a trunk or a phone; bench/tools/flood.ts). Rounds interleave every
// configuration (each loaded fresh) so slow drifts of the VM hit all of them alike; medians.
//   node --import tsx bench/enforce.ts [--rounds 3] [--seconds 3] [--quick]
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanupLeftovers, createLab, mustIn, type Lab } from '../test/netns/harness.ts';
import { banAddresses } from './tools/load-bans.ts';
import { buildTools, flood, resetFirewall, type FloodTools } from './tools/flood.ts';

const LOADER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'tools', 'load-bans.ts');
const BANS_ONLY = { sip: { user_agents: { builtin: false }, injection: false }, ranges: { ponytelecom: false, vitox: false } };
const WHOLE_POLICY = { sip: { register_domains: ['pbx.example.com'] } };
/** perf-anchors §2: the 25 User-Agent strings of the field's copy-pasted rule sets. */
const FIELD_UAS = [
  'friendly-scanner', 'sipcli', 'sipvicious', 'VaxSIPUserAgent', 'VaxIPUserAgent', 'sip-scan', 'sipsak', 'sundayddr', 'iWar',
  'CSipSimple', 'SIVuS', 'Gulp', 'sipv', 'smap', 'friendly-request', 'siparmyknife', 'Test', 'SIP', 'Custom', 'owenee',
  'gazllove', 'pplsip', 'PolycomSoundPointIP SPIP_550 UA 3.3.2.0413', 'Avaya IP Phone 1120E', 'eyeBeam release 3006o stamp 17551',
];

interface Config {
  id: string;
  label: string;
  n: number;
  /** Loads the configuration into the receiver; returns seconds spent loading the bans. */
  load(rcv: string): Promise<number | null>;
  /** Row id this one is compared with (the peer). */
  peer?: string;
}

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}

async function sipwardenLoad(rcv: string, backend: string, n: number, config: object): Promise<number> {
  const r = spawnSync('ip', ['netns', 'exec', rcv, process.execPath, '--import', 'tsx', LOADER, JSON.stringify({ backend, n, config })], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 300_000,
  });
  if (r.status !== 0) throw new Error(`load-bans ${backend} ${n}: ${r.stderr || r.error}`);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { loadS: number; added: number; failed: number; firstError?: string };
  if (out.failed > 0 || out.added !== n) throw new Error(`load-bans ${backend} ${n}: added ${out.added}, failed ${out.failed}: ${out.firstError}`);
  return out.loadS;
}

async function linearLoad(rcv: string, n: number): Promise<number> {
  const lines = ['*filter', ':INPUT ACCEPT [0:0]', ...banAddresses(n).map((ip) => `-A INPUT -s ${ip}/32 -j DROP`), 'COMMIT', ''];
  const t0 = process.hrtime.bigint();
  await mustIn(rcv, 'iptables-restore', [], { stdin: lines.join('\n'), timeoutMs: 300_000 });
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function stringRules(rcv: string): Promise<number | null> {
  const lines = ['*filter', ':INPUT ACCEPT [0:0]'];
  for (const ua of FIELD_UAS) {
    for (const p of ['udp', 'tcp']) {
      lines.push(`-A INPUT -p ${p} -m ${p} --dport 5060:5261 -m string --string "User-Agent: ${ua}" --algo bm --to 65535 -j DROP`);
    }
  }
  await mustIn(rcv, 'iptables-restore', [], { stdin: [...lines, 'COMMIT', ''].join('\n') });
  return null;
}

/** A typical stateful host firewall: the rule every PBX guide starts with. Loads conntrack, as sipwarden's rules do. */
async function statefulHost(rcv: string): Promise<number | null> {
  const lines = ['*filter', ':INPUT ACCEPT [0:0]', '-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT', 'COMMIT', ''];
  await mustIn(rcv, 'iptables-restore', [], { stdin: lines.join('\n') });
  return null;
}

function configs(quick: boolean): Config[] {
  const sizes = quick ? [1000, 100_000] : [1000, 100_000, 1_000_000];
  const whole = quick ? 100_000 : 1_000_000;
  const out: Config[] = [
    { id: 'none', label: 'no rules', n: 0, load: async () => null },
    { id: 'stateful', label: 'a stateful host firewall only (`-m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT`)', n: 0, load: statefulHost },
  ];
  for (const n of [1000, 10_000]) out.push({ id: `linear-${n}`, label: 'fail2ban-style: one `iptables -A INPUT -s IP -j DROP` per IP', n, load: (rcv) => linearLoad(rcv, n) });
  for (const backend of ['iptables', 'nftables']) {
    for (const n of sizes) {
      out.push({ id: `${backend}-${n}`, label: `sipwarden ${backend} backend, ban sets only`, n, peer: n === 1000 ? 'linear-1000' : 'linear-10000', load: (rcv) => sipwardenLoad(rcv, backend, n, BANS_ONLY) });
    }
  }
  out.push({ id: 'strings-50', label: "the field's 50 `-m string --algo bm` UA rules", n: 0, load: stringRules });
  for (const backend of ['iptables', 'nftables']) {
    out.push({ id: `${backend}-whole`, label: `sipwarden ${backend} backend, whole policy (UA, injection, REGISTER, ranges) + bans`, n: whole, peer: 'strings-50', load: (rcv) => sipwardenLoad(rcv, backend, whole, WHOLE_POLICY) });
  }
  return out;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (x: number) => Math.round(x).toLocaleString('en-US');

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.log('skipped: not root (bench/enforce.ts loads rules and sets into a network namespace it creates)');
    return;
  }
  const quick = process.argv.includes('--quick');
  const rounds = arg('--rounds', quick ? 1 : 3);
  const seconds = Math.min(arg('--seconds', 3), 5);
  await cleanupLeftovers('swb-');
  const tools: FloodTools = await buildTools();
  const lab: Lab = await createLab({ senders: 1, prefix: 'swb-' });
  const list = configs(quick);
  const pps = new Map<string, number[]>(list.map((c) => [c.id, []]));
  const ppcpu = new Map<string, number[]>(list.map((c) => [c.id, []]));
  const loads = new Map<string, number[]>(list.map((c) => [c.id, []]));
  try {
    for (let round = 1; round <= rounds; round++) {
      for (const c of list) {
        await resetFirewall(lab.rcv);
        const loadS = await c.load(lab.rcv);
        if (loadS !== null) loads.get(c.id)!.push(loadS);
        const r = await flood(tools, lab.snd, lab.rcv, seconds);
        pps.get(c.id)!.push(r.pps);
        ppcpu.get(c.id)!.push(r.ppcpu);
        console.error(`round ${round} ${c.id}: load ${loadS?.toFixed(3) ?? '-'} s, ${fmt(r.pps)} pkt/s, ${fmt(r.ppcpu)} pkt/cpu-s (sent ${fmt(r.sent)}, passed ${fmt(r.passed)})`);
      }
    }
  } finally {
    await resetFirewall(lab.rcv).catch(() => undefined);
    await lab.destroy();
    tools.remove();
  }
  console.log(`\nBenign flood: 400-byte OPTIONS, one UDP flow, C sendmmsg sender on CPU 0, ${seconds} s per run, ${rounds} round(s), medians (min–max).`);
  printTable('benign pkt/s passed INPUT', list, pps, loads);
  console.log('\nThe same runs per CPU-second of the sender (on a veth pair the receiver and its firewall run in');
  console.log("softirq on the sender's CPU), which a busy machine disturbs less than the wall-clock rate:");
  printTable('benign pkts passed per sender CPU-s', list, ppcpu, loads);
}

function printTable(what: string, list: Config[], pps: Map<string, number[]>, loads: Map<string, number[]>): void {
  const base = median(pps.get('none')!);
  const stateful = median(pps.get('stateful')!);
  console.log(`| configuration | N banned | load s | ${what} | % of no rules | % of stateful host | vs peer |`);
  console.log('|---|---|---|---|---|---|---|');
  for (const c of list) {
    const xs = pps.get(c.id)!;
    const m = median(xs);
    const load = loads.get(c.id)!;
    const peer = c.peer ? median(pps.get(c.peer)!) : null;
    const range = `${fmt(m)} (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})`;
    const vsPeer = peer ? `${(m / peer).toFixed(1)}× ${c.peer}` : '';
    console.log(`| ${c.label} | ${c.n ? fmt(c.n) : '-'} | ${load.length ? median(load).toFixed(3) : '-'} | ${range} | ${((100 * m) / base).toFixed(1)}% | ${((100 * m) / stateful).toFixed(1)}% | ${vsPeer} |`);
  }
}

main().catch((e: Error) => {
  console.error(`bench/enforce: ${e.stack ?? e.message}`);
  process.exit(1);
});
