// The host's own addresses, read in one place: the policy spares them, a feed may never list them,
// and the capture refuses incoming packets that claim them; and an interface's index (the capture).
import { networkInterfaces } from 'node:os';
import { AppError } from './errors.ts';
import { realExec } from './exec.ts';
import type { Exec } from './types.ts';

/** Every address of this host's interfaces (link-local ones without their %scope). */
export function hostAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((infos) => (infos ?? []).map((i) => i.address.split('%')[0]));
}

/**
 * The kernel's index of a network interface in this process's network namespace, or null when
 * there is none of that name. Asked of the kernel through `ip` (netlink), not read from
 * /sys/class/net: sysfs shows the namespace it was mounted in, which `unshare -n` and some
 * container set-ups leave at the host's, so it could name another namespace's interface.
 */
export async function interfaceIndex(name: string, exec: Exec = realExec): Promise<number | null> {
  const r = await exec('ip', ['-j', 'link', 'show', 'dev', name]);
  if (r.code === 127 && /ENOENT/.test(r.stderr)) {
    throw new AppError('ERR_TOOL_MISSING', 'ip is not installed', { hint: 'install it with: apt-get install iproute2' });
  }
  if (r.code !== 0) {
    if (/does not exist|cannot find device/i.test(r.stderr)) return null;
    throw new AppError('ERR_EXEC_FAILED', `ip link show ${name} failed (exit ${r.code}): ${r.stderr.trim()}`);
  }
  let index: unknown;
  try {
    index = (JSON.parse(r.stdout) as { ifindex?: unknown }[])[0]?.ifindex;
  } catch {
    throw new AppError('ERR_EXEC_FAILED', `ip link show ${name}: unreadable output`);
  }
  return Number.isInteger(index) && (index as number) > 0 ? (index as number) : null;
}
