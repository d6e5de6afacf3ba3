// A program running inside a test namespace (`ip netns exec`), whose output lines are kept so a
// test can wait for one; stopped with SIGTERM, then SIGKILL.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import readline from 'node:readline';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class NsProcess {
  readonly lines: string[] = [];
  readonly exited: Promise<void>;
  constructor(readonly proc: ChildProcessWithoutNullStreams, stream: 'stdout' | 'stderr') {
    readline.createInterface({ input: proc[stream] }).on('line', (l) => this.lines.push(l));
    proc[stream === 'stdout' ? 'stderr' : 'stdout'].resume();
    this.exited = new Promise((r) => proc.once('exit', () => r()));
  }

  /** Starts argv in namespace ns, keeping the lines of `stream`. */
  static start(ns: string, argv: string[], stream: 'stdout' | 'stderr'): NsProcess {
    return new NsProcess(spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: 'pipe' }), stream);
  }

  /** The first non-undefined find(lines); throws after ms, or when the program exits first. */
  async waitFor<T>(find: (lines: string[]) => T | undefined, ms: number, what: string): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const hit = find(this.lines);
      if (hit !== undefined) return hit;
      if (this.proc.exitCode !== null || Date.now() > end) {
        throw new Error(`timed out (${ms} ms) or exited (${this.proc.exitCode}) waiting for ${what}:\n${this.lines.slice(-20).join('\n')}`);
      }
      await sleep(50);
    }
  }

  /** One line to the program's standard input. */
  write(line: string): void {
    this.proc.stdin.write(`${line}\n`);
  }

  /** SIGTERM, SIGKILL after ms. */
  async stop(ms = 3000): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.kill('SIGTERM');
    const t = setTimeout(() => this.proc.kill('SIGKILL'), ms);
    await this.exited;
    clearTimeout(t);
  }
}
