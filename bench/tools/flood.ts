// The benign-flood measurement of reference/perf-anchors.md §1, reusable: compile udpflood.c and
// udpcount.c with gcc into a temp dir, make a 400-byte benign OPTIONS, and measure how many
// packets per second pass the receiver's INPUT hook: Δ(Udp InDatagrams + InErrors + NoPorts) of
// the receiver namespace's /proc/net/snmp over the sender's own elapsed time. The sender is pinned
// to CPU 0, the counter to CPU 1. Every flood is bounded (seconds and the tools' hard caps).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { must, mustIn, RCV_V4, runIn, senderV4 } from '../../test/netns/harness.ts';
import { request } from '../../test/netns/sip-messages.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));

export interface FloodTools {
  dir: string;
  udpflood: string;
  udpcount: string;
  payload: string;
  remove(): void;
}

/** The perf-anchors payload: an OPTIONS with `User-Agent: Zoiper rv2.10.8.3-mod`, padded to 400 bytes. */
export function benignPayload(size = 400): string {
  const base = request({ src: senderV4(1), dst: RCV_V4, marker: 'bench.1' });
  const pad = size - Buffer.byteLength(base) - 'X-Pad: \r\n'.length;
  return base.replace('Max-Forwards: 70\r\n', `Max-Forwards: 70\r\nX-Pad: ${'x'.repeat(Math.max(0, pad))}\r\n`);
}

export async function buildTools(): Promise<FloodTools> {
  const dir = mkdtempSync(path.join(tmpdir(), 'swb-tools-'));
  const udpflood = path.join(dir, 'udpflood');
  const udpcount = path.join(dir, 'udpcount');
  await must('gcc', ['-O2', '-Wall', '-o', udpflood, path.join(HERE, 'udpflood.c')]);
  await must('gcc', ['-O2', '-Wall', '-o', udpcount, path.join(HERE, 'udpcount.c')]);
  const payload = path.join(dir, 'benign.bin');
  writeFileSync(payload, benignPayload());
  return { dir, udpflood, udpcount, payload, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Udp counters of a namespace's /proc/net/snmp. */
async function udpCounters(ns: string): Promise<Record<string, number>> {
  const text = await mustIn(ns, 'cat', ['/proc/net/snmp']);
  const lines = text.split('\n').filter((l) => l.startsWith('Udp:'));
  const names = lines[0].split(/\s+/).slice(1);
  const values = lines[1].split(/\s+/).slice(1).map(Number);
  return Object.fromEntries(names.map((n, i) => [n, values[i]]));
}

export interface FloodResult {
  sent: number;
  passed: number;
  elapsed: number;
  /** Packets per second that passed the receiver's INPUT hook. */
  pps: number;
  /** Packets passed per CPU-second of the sender (which also runs the receiver's softirq). */
  ppcpu: number;
}

/** One flood of `seconds` from snd to the receiver's port 5060. */
export async function flood(tools: FloodTools, snd: string, rcv: string, seconds: number): Promise<FloodResult> {
  const counter = spawn('ip', ['netns', 'exec', rcv, 'taskset', '-c', '1', tools.udpcount, RCV_V4, '5060', String(seconds + 3)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('udpcount not ready after 10 s')), 10_000);
      readline.createInterface({ input: counter.stdout! }).once('line', () => (clearTimeout(timer), resolve()));
      counter.once('exit', (code) => reject(new Error(`udpcount exited ${code}`)));
    });
    const before = await udpCounters(rcv);
    const out = await mustIn(snd, 'taskset', ['-c', '0', tools.udpflood, RCV_V4, '5060', tools.payload, String(seconds)], {
      timeoutMs: (seconds + 10) * 1000,
    });
    const after = await udpCounters(rcv);
    const { sent, elapsed, cpu } = JSON.parse(out) as { sent: number; elapsed: number; cpu: number };
    const delta = (k: string) => (after[k] ?? 0) - (before[k] ?? 0);
    const passed = delta('InDatagrams') + delta('InErrors') + delta('NoPorts');
    return { sent, passed, elapsed, pps: passed / elapsed, ppcpu: passed / cpu };
  } finally {
    counter.kill('SIGKILL');
  }
}

/**
 * Empties a namespace's firewall: every nft table (iptables-nft's too), then every ipset. The
 * kernel lets go of a set referenced by a just-deleted rule a moment later, so destroy retries.
 */
export async function resetFirewall(ns: string): Promise<void> {
  await mustIn(ns, 'nft', ['flush', 'ruleset']);
  await runIn(ns, 'ipset', ['flush']); // empties list:sets, which hold references to member sets
  for (let i = 0; ; i++) {
    const r = await runIn(ns, 'ipset', ['destroy']);
    if (r.code === 0) return;
    if (i >= 50) throw new Error(`ipset destroy in ${ns} kept failing: ${r.stderr.trim()}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}
