// Runs the real CLI (bin/sipwarden, the built bundle) inside a namespace with a temp config.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { runIn, type RunOptions, type RunResult } from './harness.ts';

export const REPO = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const BIN = path.join(REPO, 'bin', 'sipwarden');

/** Null when the CLI is built, else why the tests cannot use it. */
export function cliUnavailable(): string | null {
  if (!existsSync(path.join(REPO, 'dist', 'sipwarden.js'))) return 'dist/sipwarden.js is not built: run npm run build (scripts/test.sh does)';
  return null;
}

/** A temp directory holding one config file and the store; remove() deletes both. */
export class TempConfig {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'swt-cfg-'));
  readonly file = path.join(this.dir, 'sipwarden.yaml');

  /** Writes the config; store.path always points into the temp dir unless given. */
  write(config: Record<string, unknown>): string {
    const store = { path: path.join(this.dir, 'sipwarden.db'), ...((config.store as object) ?? {}) };
    writeFileSync(this.file, stringify({ ...config, store }));
    return this.file;
  }

  /** Writes raw text (for invalid configs). */
  writeRaw(text: string): string {
    writeFileSync(this.file, text);
    return this.file;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** `ip netns exec ns bin/sipwarden <args> --config FILE`; returns the exit code and output. */
export function sipwarden(ns: string, config: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return runIn(ns, BIN, [...args, '--config', config], { timeoutMs: 60_000, ...opts });
}

/** Same, but throws with stderr unless it exits 0. */
export async function sipwardenOk(ns: string, config: string, args: string[], opts: RunOptions = {}): Promise<string> {
  const r = await sipwarden(ns, config, args, opts);
  if (r.code !== 0) {
    throw new Error(`sipwarden ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout.trim()}\nstderr: ${r.stderr.trim()}`);
  }
  return r.stdout;
}
