// How commands talk to people and scripts: aligned tables on a terminal, JSON with --json.
import { styleText } from 'node:util';

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printTable(headers: string[], rows: (string | number)[][]): void {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  process.stdout.write(`${styleText('bold', line(headers))}\n`);
  for (const r of cells.slice(1)) process.stdout.write(`${line(r)}\n`);
}

export function formatTime(ms: number | null): string {
  return ms === null ? 'never' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function info(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** A progress line that rewrites itself on a terminal and prints plain lines otherwise. */
export function progress(text: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${text}`);
  else process.stderr.write(`${text}\n`);
}

export function progressDone(): void {
  if (process.stderr.isTTY) process.stderr.write('\n');
}
