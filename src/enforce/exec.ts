// Running the firewall programs: finding them on PATH (plus the sbin directories), the install
// hint when one is missing, and a run that fails loudly. The runner itself is core/exec.ts.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { AppError } from '../core/errors.ts';
import type { Exec } from '../core/types.ts';

const SBIN_PATH = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

/** Where a program is, searching PATH plus the sbin directories (cron and sudo often lack them). */
export function findTool(name: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), ...SBIN_PATH];
  for (const d of dirs) {
    if (!d) continue;
    try {
      accessSync(join(d, name), constants.X_OK);
      return join(d, name);
    } catch {
      /* try the next directory */
    }
  }
  return null;
}

/** Debian package for each tool, for the "how to install it" hint. */
const PACKAGE_OF: Record<string, string> = {
  iptables: 'iptables', ip6tables: 'iptables', 'iptables-save': 'iptables', 'ip6tables-save': 'iptables',
  'iptables-restore': 'iptables', 'ip6tables-restore': 'iptables', ipset: 'ipset', nft: 'nftables',
  conntrack: 'conntrack', tcpdump: 'tcpdump', ip: 'iproute2',
};

export function requireTool(name: string): string {
  const path = findTool(name);
  if (!path) {
    throw new AppError('ERR_TOOL_MISSING', `${name} is not installed`, {
      hint: `install it with: apt-get install ${PACKAGE_OF[name] ?? name} (or choose another firewall.backend; --backend none runs without a firewall)`,
    });
  }
  return path;
}

/** Runs and throws ERR_EXEC_FAILED with the command and its stderr when it exits non-zero. */
export async function run(exec: Exec, file: string, args: readonly string[], stdin?: string, what?: string): Promise<string> {
  const r = await exec(file, args, stdin);
  if (r.code !== 0) {
    const detail = (r.stderr || r.stdout).trim().split('\n').slice(0, 5).join('\n');
    throw new AppError('ERR_EXEC_FAILED', `${what ?? file} failed (${file} ${args.join(' ')}, exit ${r.code}): ${detail}`);
  }
  return r.stdout;
}
