// The attack lab: namespaces on one bridge (one per attacker, a legitimate client, the PBX), the
// test registrar in the PBX namespace and `sipwarden run` protecting it. Everything is torn down
// by close(), which a test calls in after() whatever happened.
//
// Address plan (10.203.0.0/16, the bridge swbr0 lives in the PBX namespace):
//   PBX        10.203.0.1     (swbr0; tcpdump captures there)
//   attackers  10.203.1.<i>   (i = 1..attackers, namespace atk<i>: SIPVicious ignores its -b
//                              option for the source address, so each attack run gets a namespace
//                              and an address of its own, and runs can go at the same time)
//   legit      10.203.2.1
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { BIN } from './cli.ts';
import { cleanupLeftovers, must, mustIn, NS_PREFIX, run } from './harness.ts';
import type { Arrival, RegistrarOptions } from '../helpers/registrar.ts';

export const PBX_IP = '10.203.0.1';
export const LEGIT_IP = '10.203.2.1';
export const BRIDGE = 'swbr0';
export const attackerIp = (i: number) => `10.203.1.${i}`;

const REGISTRAR = fileURLToPath(new URL('../helpers/registrar.ts', import.meta.url));
let labCount = 0;

export interface AttackNamespaces {
  /** atk[i - 1] holds attackerIp(i). */
  atk: string[];
  leg: string;
  pbx: string;
  destroy(): Promise<void>;
}

/** Creates the namespaces, the bridge and one veth pair per client namespace. */
export async function createAttackNamespaces(attackers: number): Promise<AttackNamespaces> {
  await cleanupLeftovers();
  const n = ++labCount;
  const base = `${NS_PREFIX}${process.pid}-${n}`;
  const atk = Array.from({ length: attackers }, (_, i) => `${base}-atk${i + 1}`);
  const all = [...atk, `${base}-leg`, `${base}-pbx`];
  const lab: AttackNamespaces = {
    atk,
    leg: `${base}-leg`,
    pbx: `${base}-pbx`,
    async destroy() {
      for (const ns of all) await run('ip', ['netns', 'del', ns]);
    },
  };
  try {
    for (const ns of all) {
      await must('ip', ['netns', 'add', ns]);
      await must('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    await must('ip', ['-n', lab.pbx, 'link', 'add', BRIDGE, 'type', 'bridge']);
    await bridgeFramesSkipNetfilter(lab.pbx);
    const clients: [string, string][] = [...atk.map((ns, i): [string, string] => [ns, attackerIp(i + 1)]), [lab.leg, LEGIT_IP]];
    for (const [k, [ns, ip]] of clients.entries()) {
      const port = `sw${process.pid.toString(36)}x${n}p${k}`; // at most 15 characters
      await must('ip', ['link', 'add', 'eth0', 'netns', ns, 'type', 'veth', 'peer', 'name', port, 'netns', lab.pbx]);
      await must('ip', ['-n', lab.pbx, 'link', 'set', port, 'master', BRIDGE, 'up']);
      await must('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
      await must('ip', ['-n', ns, 'addr', 'add', `${ip}/16`, 'dev', 'eth0']);
    }
    await must('ip', ['-n', lab.pbx, 'addr', 'add', `${PBX_IP}/16`, 'dev', BRIDGE]);
    await must('ip', ['-n', lab.pbx, 'link', 'set', BRIDGE, 'up']);
  } catch (e) {
    await lab.destroy();
    throw e;
  }
  return lab;
}

/**
 * With br_netfilter loaded (as here), frames entering a bridge port meet the iptables hooks
 * before the bridge device's own packet taps, so tcpdump on swbr0 would never see a packet the raw
 * table drops: not what a PBX on a plain NIC sees (tcpdump there sees every packet, dropped or
 * not). The switch is per namespace; only this lab's PBX namespace is changed.
 */
async function bridgeFramesSkipNetfilter(ns: string): Promise<void> {
  if (!existsSync('/proc/sys/net/bridge')) return; // br_netfilter not loaded: nothing to undo
  for (const key of ['iptables', 'ip6tables', 'arptables']) {
    await mustIn(ns, 'sysctl', ['-q', '-w', `net.bridge.bridge-nf-call-${key}=0`]);
  }
}

/** A long-lived child inside a namespace whose stderr/stdout lines we keep. */
class Child {
  readonly lines: string[] = [];
  readonly exited: Promise<number | null>;
  constructor(readonly proc: ChildProcessWithoutNullStreams, stream: 'stdout' | 'stderr') {
    readline.createInterface({ input: proc[stream] }).on('line', (l) => this.lines.push(l));
    this.exited = new Promise((r) => proc.once('exit', (code) => r(code)));
  }

  /** Waits until a line matches, up to ms; throws with the tail of the output otherwise. */
  async waitFor(re: RegExp, ms: number, what: string): Promise<string> {
    const end = Date.now() + ms;
    for (;;) {
      const hit = this.lines.find((l) => re.test(l));
      if (hit) return hit;
      if (this.proc.exitCode !== null || Date.now() > end) {
        throw new Error(`${what}: no line matching ${re} (exit ${this.proc.exitCode}):\n${this.lines.slice(-30).join('\n')}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGTERM, then SIGKILL after ms. */
  async stop(ms = 5000): Promise<number | null> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return this.proc.exitCode;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), ms);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

/** The test registrar running in the PBX namespace. */
export class RegistrarProcess {
  private nextId = 1;
  private readonly seen: Arrival[] = [];
  private constructor(private readonly child: Child) {}

  static async start(ns: string, opts: RegistrarOptions): Promise<RegistrarProcess> {
    const proc = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', REGISTRAR, JSON.stringify(opts)], { stdio: 'pipe' });
    const r = new RegistrarProcess(new Child(proc, 'stdout'));
    await r.child.waitFor(/"ready":true/, 15_000, 'registrar start').catch(async (e) => {
      await r.child.stop(1000);
      throw e;
    });
    return r;
  }

  /** Every request received since the last call (and forgets them). */
  async arrivals(): Promise<Arrival[]> {
    const id = this.nextId++;
    this.child.proc.stdin.write(JSON.stringify({ op: 'arrivals', id }) + '\n');
    const line = await this.child.waitFor(new RegExp(`^\\{"id":${id},`), 5000, 'registrar arrivals');
    return (JSON.parse(line) as { result: Arrival[] }).result;
  }

  /** Resolves once src has registered successfully (a 200 to its REGISTER); throws after ms. */
  async waitForRegistration(src: string, ms: number): Promise<void> {
    const end = Date.now() + ms;
    while (!(await this.arrivalsFrom(src)).some((a) => a.method === 'REGISTER' && a.answer === 200)) {
      if (Date.now() > end) throw new Error(`${src} did not register within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Every request from src so far (arrivals() still hands out only the new ones). */
  async arrivalsFrom(src: string): Promise<Arrival[]> {
    this.seen.push(...(await this.arrivals()));
    return this.seen.filter((a) => a.src === src);
  }

  async stop(): Promise<void> {
    this.child.proc.stdin.end();
    await this.child.stop(2000);
  }
}

export interface LogRecord {
  time: string;
  msg: string;
  [k: string]: unknown;
}

/** `sipwarden run` in the PBX namespace; its JSON log (stderr) is kept for the assertions. */
export class DaemonProcess {
  private constructor(private readonly child: Child) {}

  static async start(ns: string, config: string): Promise<DaemonProcess> {
    const proc = spawn('ip', ['netns', 'exec', ns, BIN, 'run', '--config', config], { stdio: 'pipe' });
    const d = new DaemonProcess(new Child(proc, 'stderr'));
    await d.child.waitFor(/"msg":"sipwarden running"/, 20_000, 'sipwarden run start').catch(async (e) => {
      await d.child.stop(5000);
      throw e;
    });
    return d;
  }

  /** Parsed log records (non-JSON lines skipped). */
  records(): LogRecord[] {
    const out: LogRecord[] = [];
    for (const l of this.child.lines) {
      try {
        out.push(JSON.parse(l) as LogRecord);
      } catch {
        // a stack trace or a stray line: kept in lines, not a record
      }
    }
    return out;
  }

  /** The first 'banned' record for target, waiting up to ms for it. */
  async banOf(target: string, ms: number): Promise<LogRecord | null> {
    const end = Date.now() + ms;
    do {
      const hit = this.records().find((r) => r.msg === 'banned' && r.target === target);
      if (hit) return hit;
      await new Promise((r) => setTimeout(r, 50));
    } while (Date.now() < end);
    return null;
  }

  tail(n = 40): string {
    return this.child.lines.slice(-n).join('\n');
  }

  stop(): Promise<number | null> {
    return this.child.stop(10_000);
  }
}
