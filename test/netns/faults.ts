// Fault injection for `apply`: a directory put first on PATH holding a wrapper for one firewall
// tool that fails every writing call ("injected failure") and passes reading calls to the real
// tool. Each call is logged, so a test can tell "the tool was never asked to write" (nothing to
// prove) from "the write failed and apply still said yes" (a bug).
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const FAULT_TOOLS = ['iptables-restore', 'ip6tables-restore', 'ipset', 'nft'] as const;
export type FaultTool = (typeof FAULT_TOOLS)[number];

/** The calls that change the kernel, per tool (a bash `case` on the arguments); reads pass through. */
const WRITES: Record<FaultTool, string> = {
  'iptables-restore': 'case " $* " in *" --test "*|*" -t "*) ;; *) fail ;; esac',
  'ip6tables-restore': 'case " $* " in *" --test "*|*" -t "*) ;; *) fail ;; esac',
  ipset: 'case "$1" in restore|create|add|del|destroy|flush|swap|rename|-exist) fail ;; esac',
  nft: 'case " $* " in *" -f "*|*" --file "*|*" add "*|*" delete "*|*" flush "*|*" create "*|*" destroy "*|*" insert "*|*" replace "*) fail ;; esac',
};

export class ToolFault {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'swt-fault-'));
  readonly log = path.join(this.dir, 'calls.log');

  /**
   * readInput: the failing tool first reads its whole stdin, as a real tool that refuses its input
   * does; false makes it die at once without reading (a crashed tool), so the writer gets EPIPE.
   */
  constructor(readonly tool: FaultTool, realPath: string, readInput = true) {
    const drain = readInput ? 'cat > /dev/null; ' : '';
    const script = [
      '#!/bin/bash',
      `echo "$*" >> ${JSON.stringify(this.log)}`,
      `fail() { ${drain}echo "WRITE $*" >> ${JSON.stringify(this.log)}; echo "injected failure (sipwarden netns test)" >&2; exit 1; }`,
      WRITES[tool],
      `exec ${JSON.stringify(realPath)} "$@"`,
      '',
    ].join('\n');
    const file = path.join(this.dir, tool);
    writeFileSync(file, script);
    chmodSync(file, 0o755);
  }

  /** The environment for the CLI: this directory first on PATH. */
  env(): NodeJS.ProcessEnv {
    return { ...process.env, PATH: `${this.dir}:${process.env.PATH ?? '/usr/sbin:/usr/bin'}` };
  }

  /** True when the tool was asked to write (and so failed). */
  wasAskedToWrite(): boolean {
    return existsSync(this.log) && readFileSync(this.log, 'utf8').includes('WRITE');
  }

  calls(): string {
    return existsSync(this.log) ? readFileSync(this.log, 'utf8') : '';
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
