// The attack lab: three namespaces on one bridge (attacker, legitimate client, PBX), the test
// registrar in the PBX namespace and `sipwarden run` protecting it. Everything is torn down by
// close(), which a test calls in after() whatever happened.
//
// Address plan (10.203.0.0/16, the bridge swbr0 lives in the PBX namespace):
//   PBX        10.203.0.1     (swbr0; tcpdump captures there)
//   attackers  10.203.1.<i>   (i = 1..attackers: each attack run gets an address of its own,
//                              so one ban never hides the next run)
//   legit      10.203.2.1
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { BIN } from './cli.ts';
import { cleanupLeftovers, must, NS_PREFIX, run } from './harness.ts';
import type { Arrival, RegistrarOptions } from '../helpers/registrar.ts';

export const PBX_IP = '10.203.0.1';
export const LEGIT_IP = '10.203.2.1';
export const BRIDGE = 'swbr0';
export const attackerIp = (i: number) => `10.203.1.${i}`;

const REGISTRAR = fileURLToPath(new URL('../helpers/registrar.ts', import.meta.url));
let labCount = 0;

export interface AttackNamespaces {
  atk: string;
  leg: string;
  pbx: string;
  destroy(): Promise<void>;
}

/** Creates the three namespaces, the bridge and one veth pair per client namespace. */
export async function createAttackNamespaces(attackers: number): Promise<AttackNamespaces> {
  await cleanupLeftovers();
  const base = `${NS_PREFIX}${process.pid}-${++labCount}`;
  const ns = { atk: `${base}-atk`, leg: `${base}-leg`, pbx: `${base}-pbx` };
  const lab: AttackNamespaces = {
    ...ns,
    async destroy() {
      for (const n of Object.values(ns)) await run('ip', ['netns', 'del', n]);
    },
  };
  try {
    for (const n of Object.values(ns)) {
      await must('ip', ['netns', 'add', n]);
      await must('ip', ['-n', n, 'link', 'set', 'lo', 'up']);
    }
    await must('ip', ['-n', ns.pbx, 'link', 'add', BRIDGE, 'type', 'bridge']);
    const tag = `${process.pid.toString(36)}${labCount}`;
    for (const [side, addrs] of [[ns.atk, Array.from({ length: attackers }, (_, i) => attackerIp(i + 1))], [ns.leg, [LEGIT_IP]]] as const) {
      const port = `sw${tag}${side === ns.atk ? 'a' : 'l'}`;
      await must('ip', ['link', 'add', 'eth0', 'netns', side, 'type', 'veth', 'peer', 'name', port, 'netns', ns.pbx]);
      await must('ip', ['-n', ns.pbx, 'link', 'set', port, 'master', BRIDGE, 'up']);
      await must('ip', ['-n', side, 'link', 'set', 'eth0', 'up']);
      await must('ip', ['-n', side, '-batch', '-'], { stdin: addrs.map((a) => `addr add ${a}/16 dev eth0`).join('\n') + '\n' });
    }
    await must('ip', ['-n', ns.pbx, 'addr', 'add', `${PBX_IP}/16`, 'dev', BRIDGE]);
    await must('ip', ['-n', ns.pbx, 'link', 'set', BRIDGE, 'up']);
  } catch (e) {
    await lab.destroy();
    throw e;
  }
  return lab;
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
  private constructor(private readonly child: Child) {}

  static async start(ns: string, opts: RegistrarOptions): Promise<RegistrarProcess> {
    const proc = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', REGISTRAR, JSON.stringify(opts)], { stdio: 'pipe' });
    const r = new RegistrarProcess(new Child(proc, 'stdout'));
    await r.child.waitFor(/"ready":true/, 15_000, 'registrar start');
    return r;
  }

  /** Every request received since the last call (and forgets them). */
  async arrivals(): Promise<Arrival[]> {
    const id = this.nextId++;
    this.child.proc.stdin.write(JSON.stringify({ op: 'arrivals', id }) + '\n');
    const line = await this.child.waitFor(new RegExp(`^\\{"id":${id},`), 5000, 'registrar arrivals');
    return (JSON.parse(line) as { result: Arrival[] }).result;
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
    await d.child.waitFor(/"msg":"sipwarden running"/, 20_000, 'sipwarden run start');
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
