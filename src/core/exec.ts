// The one way sipwarden runs a program: execFile with an argument vector (never a shell), stdin
// written and closed, output captured. In core so that every stage can use it (the firewall
// backends through enforce/exec.ts, the capture source for an interface's index).
import { execFile } from 'node:child_process';
import type { Exec, ExecResult } from './types.ts';

export const realExec: Exec = (file, args, stdin) =>
  new Promise<ExecResult>((resolve) => {
    const child = execFile(file, args, { maxBuffer: 512 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 127) : 0;
      resolve({ code, stdout: String(stdout ?? ''), stderr: String(stderr ?? '') || (err && code === 127 ? err.message : '') });
    });
    // A program that exits without reading its input (a crash, a wrong binary) closes the pipe:
    // its exit status says what happened, so the EPIPE on our side is not an error of its own.
    child.stdin?.on('error', () => {});
    if (stdin !== undefined) child.stdin?.end(stdin);
    else child.stdin?.end();
  });
