// Runs a helper program (journalctl, tcpdump) with an argument vector, never a shell, and streams
// its stdout. Abort kills it; an exit we did not ask for is an error withRestart can retry.
import { type ChildProcess, spawn } from 'node:child_process';
import { AppError } from '../core/errors.ts';
import { SourceSetupError } from './source.ts';

export interface ProcessOptions {
  env?: NodeJS.ProcessEnv;
  /** Fed to stdin and closed (replay pipes a file through tcpdump this way); default: no stdin. */
  stdin?: NodeJS.ReadableStream;
  /** Called with the running child (tcpdump's source signals it for its counters). */
  onSpawn?: (child: ChildProcess) => void;
  /** Every stderr chunk, as it comes. */
  onStderr?: (chunk: Buffer) => void;
}

const STDERR_TAIL = 2048;
const KILL_AFTER_MS = 2000;

/**
 * Yields stdout chunks of `file args` until it exits or the signal aborts. Throws SourceSetupError
 * when the program is missing or exits before writing anything (bad interface, no permission):
 * that is the operator's to fix. Any other unrequested exit throws AppError ERR_SOURCE.
 */
export async function* runProcess(
  file: string,
  args: readonly string[],
  signal: AbortSignal,
  opts: ProcessOptions = {},
): AsyncGenerator<Buffer> {
  if (signal.aborted) return;
  const child = spawn(file, args, { stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'], env: opts.env, shell: false });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString('utf8')).slice(-STDERR_TAIL);
    opts.onStderr?.(d);
  });
  let spawnError: NodeJS.ErrnoException | null = null;
  const closed = new Promise<{ code: number | null; sig: NodeJS.Signals | null }>((resolve) => {
    child.on('error', (e) => (spawnError = e));
    child.on('close', (code, sig) => resolve({ code, sig }));
  });
  if (opts.stdin && child.stdin) {
    child.stdin.on('error', () => {}); // EPIPE when the program exits early; its exit status tells why
    opts.stdin.pipe(child.stdin);
  }
  const kill = (): void => {
    child.kill('SIGTERM');
    // A program that ignores SIGTERM must not keep the daemon's shutdown waiting.
    setTimeout(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'), KILL_AFTER_MS).unref();
  };
  signal.addEventListener('abort', kill, { once: true });
  if (child.pid !== undefined) opts.onSpawn?.(child);
  let wrote = false;
  try {
    for await (const chunk of child.stdout!) {
      wrote = true;
      yield chunk as Buffer;
    }
    const { code, sig } = await closed;
    if (signal.aborted) return;
    const err = spawnError as NodeJS.ErrnoException | null;
    if (err?.code === 'ENOENT') {
      throw new SourceSetupError('ERR_TOOL_MISSING', `${file} is not installed (or not on PATH)`, { cause: err });
    }
    const why = err ? err.message : `exited with ${sig ?? `code ${code}`}`;
    const message = `${file} ${why}${stderr.trim() ? `: ${stderr.trim()}` : ''}`;
    if (code === 0 && !err) return;
    if (!wrote) throw new SourceSetupError('ERR_SOURCE', message);
    throw new AppError('ERR_SOURCE', message);
  } finally {
    signal.removeEventListener('abort', kill);
    if (child.exitCode === null && child.signalCode === null) kill();
  }
}
