// Drives test/netns/agent.ts inside a namespace: one long-lived process per namespace, JSON lines
// both ways, so a test file pays the tsx start-up once and sends in batches.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import readline from 'node:readline';
import type { Arrival, SendSpec } from './agent.ts';

export type { Arrival, SendSpec };

const AGENT = fileURLToPath(new URL('./agent.ts', import.meta.url));

export class Agent {
  private nextId = 1;
  private pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private stderr = '';

  private constructor(private child: ChildProcessWithoutNullStreams, readonly ns: string) {
    child.stderr.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    child.on('exit', (code) => {
      for (const p of this.pending.values()) p.reject(new Error(`agent in ${ns} exited ${code}: ${this.stderr}`));
      this.pending.clear();
    });
  }

  /** Starts the agent in ns and waits for its ready line. */
  static async start(ns: string): Promise<Agent> {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', AGENT], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const agent = new Agent(child, ns);
    const lines = readline.createInterface({ input: child.stdout });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`agent in ${ns} not ready after 15 s: ${agent.stderr}`)), 15_000);
      child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`agent in ${ns} exited ${code}: ${agent.stderr}`))));
      lines.on('line', (line) => {
        const msg = JSON.parse(line) as { ready?: boolean; id?: number; ok?: boolean; result?: unknown; error?: string };
        if (msg.ready) return clearTimeout(timer), resolve();
        const p = agent.pending.get(msg.id ?? -1);
        if (!p) return;
        agent.pending.delete(msg.id!);
        if (msg.ok) p.resolve(msg.result);
        else p.reject(new Error(`agent in ${ns}: ${msg.error}`));
      });
    });
    return agent;
  }

  private call<T>(req: Record<string, unknown>): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.stdin.write(JSON.stringify({ ...req, id }) + '\n');
    });
  }

  /** Listens on UDP (v4+v6) and TCP on each port; answer=true replies 200 OK to UDP requests. */
  listen(ports: number[], answer = false): Promise<{ bound: number }> {
    return this.call({ op: 'listen', ports, answer });
  }

  /** Everything that arrived since the last take: after minMs, once nothing new came for settleMs. */
  take(opts: { settleMs?: number; maxMs?: number; minMs?: number } = {}): Promise<Arrival[]> {
    return this.call({ op: 'take', ...opts });
  }

  send(spec: SendSpec): Promise<{ sent: number }> {
    return this.call({ op: 'send', spec });
  }

  /** One UDP request from src:srcPort; the answer or null. */
  async exchange(src: string, srcPort: number, dst: string, port: number, message: string, timeoutMs = 1000): Promise<string | null> {
    const r = await this.call<{ reply: string | null }>({ op: 'exchange', src, srcPort, dst, port, message, timeoutMs });
    return r.reply;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  }
}
