// Real-kernel test lab: a sender and a receiver network namespace joined by one veth pair, with
// IPv4 and IPv6 addresses, created with unique names per test process and always torn down.
// Commands run inside a namespace through `ip netns exec` with execFile (never a shell).
//
// Address plan (the same in every lab; namespaces are isolated from each other and the host):
//   receiver  10.201.255.1/16   fd00:5157::1:1/64
//   senders   10.201.0.<i>/16   fd00:5157::<16+i>/64   (i = 1..senders)
//   pool      10.201.16.0/20    fd00:5157::2:0/112     (poolV4(k), poolV6(k), k = 0..pool-1)
// so a ban of 10.201.0.0/24 (or fd00:5157::/120) covers every sender and never the receiver, and
// a test can give every probe an address of its own (a kernel ban of one never hides another).
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export const NS_PREFIX = 'swt-';
export const RCV_V4 = '10.201.255.1';
export const RCV_V6 = 'fd00:5157::1:1';
export const SENDER_V4_NET = '10.201.0.0/24';
export const SENDER_V6_NET = 'fd00:5157::/120';

export function senderV4(i: number): string {
  return `10.201.0.${i}`;
}
export function senderV6(i: number): string {
  return `fd00:5157::${(16 + i).toString(16)}`;
}

/** The k-th pool address (k < 4000); .0 and .255 are skipped for readability. */
export function poolV4(k: number): string {
  const n = Math.floor(k / 254) * 256 + (k % 254) + 1;
  return `10.201.${16 + Math.floor(n / 256)}.${n % 256}`;
}
export function poolV6(k: number): string {
  return `fd00:5157::2:${(k + 1).toString(16)}`;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  stdin?: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** Runs a program (no shell); never throws for a non-zero exit, only returns it. */
export async function run(file: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const child = execFileP(file, args, {
    timeout: opts.timeoutMs ?? 30_000,
    killSignal: 'SIGKILL',
    maxBuffer: 256 * 1024 * 1024,
    env: opts.env ?? process.env,
    encoding: 'utf8',
  });
  if (opts.stdin !== undefined) {
    child.child.stdin?.end(opts.stdin);
  }
  try {
    const { stdout, stderr } = await child;
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number | string; stdout?: string; stderr?: string; killed?: boolean; message: string };
    const code = typeof err.code === 'number' ? err.code : err.killed ? 124 : 127;
    return { code, stdout: err.stdout ?? '', stderr: err.stderr ?? err.message };
  }
}

/** Runs a program and throws with its stderr unless it exits 0. */
export async function must(file: string, args: readonly string[], opts: RunOptions = {}): Promise<string> {
  const r = await run(file, args, opts);
  if (r.code !== 0) throw new Error(`${file} ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Runs a program inside network namespace ns. */
export function runIn(ns: string, file: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return run('ip', ['netns', 'exec', ns, file, ...args], opts);
}
export function mustIn(ns: string, file: string, args: readonly string[], opts: RunOptions = {}): Promise<string> {
  return must('ip', ['netns', 'exec', ns, file, ...args], opts);
}

/** Null when namespace tests can run here, else the reason they cannot. */
export async function netnsUnavailable(): Promise<string | null> {
  if (process.getuid?.() !== 0) return 'not root: network-namespace tests need root (CI runs them as root)';
  const probe = `${NS_PREFIX}${process.pid}-probe`;
  const add = await run('ip', ['netns', 'add', probe]);
  if (add.code !== 0) return `ip netns add failed: ${add.stderr.trim()}`;
  await run('ip', ['netns', 'del', probe]);
  return null;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Deletes namespaces named prefix<pid>-... whose creating process is gone (a crashed earlier run). */
export async function cleanupLeftovers(prefix = NS_PREFIX): Promise<string[]> {
  const list = await run('ip', ['netns', 'list']);
  const removed: string[] = [];
  for (const line of list.stdout.split('\n')) {
    const name = line.split(' ')[0];
    const m = name.startsWith(prefix) ? /^(\d+)-/.exec(name.slice(prefix.length)) : null;
    if (!m || pidAlive(Number(m[1]))) continue;
    await run('ip', ['netns', 'del', name]);
    removed.push(name);
  }
  return removed;
}

export interface Lab {
  snd: string;
  rcv: string;
  /** Deletes both namespaces (and with them the veth pair and every rule, set and table inside). */
  destroy(): Promise<void>;
}

let labCount = 0;

/**
 * The kernel's neighbour (ARP/ND) tables are shared by every namespace and capped by gc_thresh3
 * (1024 by default). A lab's receiver keeps an entry per sender address it answered, held while a
 * TCP socket in TIME_WAIT still refers to it (60 s), so a file of tests using hundreds of fresh
 * addresses (policy.test.ts, one lab per backend) overflowed it ("neighbor table overflow" in the
 * kernel log) and a sender's replies went nowhere: a probe "wrongly dropped" that no rule dropped.
 * While any lab is open the caps are raised (never lowered); the last lab puts the old values back.
 */
const NEIGHBOUR_ROOM: [string, number][] = [['gc_thresh3', 16384], ['gc_thresh2', 8192]];
let openLabs = 0;
const neighbourCaps: [string, string][] = [];

function roomInNeighbourTables(): void {
  if (openLabs++ > 0) return;
  for (const family of ['ipv4', 'ipv6']) {
    for (const [key, want] of NEIGHBOUR_ROOM) {
      const file = `/proc/sys/net/${family}/neigh/default/${key}`;
      const had = readFileSync(file, 'utf8').trim();
      if (Number(had) >= want) continue;
      neighbourCaps.push([file, had]);
      writeFileSync(file, String(want));
    }
  }
}

function restoreNeighbourTables(): void {
  if (--openLabs > 0) return;
  // In reverse: gc_thresh2 comes down before gc_thresh3.
  for (const [file, had] of neighbourCaps.splice(0).reverse()) writeFileSync(file, had);
}

/** Creates sender and receiver namespaces, one veth pair, `senders` sender and `pool` pool addresses. */
export async function createLab(opts: { senders?: number; pool?: number; prefix?: string } = {}): Promise<Lab> {
  const senders = opts.senders ?? 8;
  const pool = Math.min(opts.pool ?? 0, 4000);
  const prefix = opts.prefix ?? NS_PREFIX;
  const n = ++labCount;
  const base = `${prefix}${process.pid}-${n}`;
  const snd = `${base}-snd`;
  const rcv = `${base}-rcv`;
  // Interface names are at most 15 characters: the pid in base 36 keeps them short and unique.
  const vs = `sw${process.pid.toString(36)}x${n}s`;
  const vr = `sw${process.pid.toString(36)}x${n}r`;
  let destroyed = false;
  const lab: Lab = {
    snd,
    rcv,
    async destroy() {
      await run('ip', ['netns', 'del', snd]);
      await run('ip', ['netns', 'del', rcv]);
      if (!destroyed) restoreNeighbourTables();
      destroyed = true;
    },
  };
  roomInNeighbourTables();
  try {
    await must('ip', ['netns', 'add', snd]);
    await must('ip', ['netns', 'add', rcv]);
    await must('ip', ['link', 'add', vs, 'netns', snd, 'type', 'veth', 'peer', 'name', vr, 'netns', rcv]);
    for (const [ns, dev] of [[snd, vs], [rcv, vr]]) {
      await must('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      await must('ip', ['-n', ns, 'link', 'set', dev, 'up']);
    }
    await must('ip', ['-n', rcv, 'addr', 'add', `${RCV_V4}/16`, 'dev', vr]);
    await must('ip', ['-n', rcv, 'addr', 'add', `${RCV_V6}/64`, 'dev', vr, 'nodad']);
    const batch: string[] = [];
    for (let i = 1; i <= senders; i++) {
      batch.push(`addr add ${senderV4(i)}/16 dev ${vs}`, `addr add ${senderV6(i)}/64 dev ${vs} nodad`);
    }
    for (let k = 0; k < pool; k++) {
      batch.push(`addr add ${poolV4(k)}/16 dev ${vs}`, `addr add ${poolV6(k)}/64 dev ${vs} nodad`);
    }
    await must('ip', ['-n', snd, '-batch', '-'], { stdin: batch.join('\n') + '\n' });
  } catch (e) {
    await lab.destroy();
    throw e;
  }
  return lab;
}
