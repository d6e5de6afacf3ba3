// The host's own addresses, read in one place: the policy spares them, a feed may never list them,
// and the capture refuses incoming packets that claim them.
import { execFile } from 'node:child_process';
import { networkInterfaces } from 'node:os';
import { AppError } from './errors.ts';

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
export function interfaceIndex(name: string): Promise<number | null> {
  return new Promise((resolve, reject) => {
    execFile('ip', ['-j', 'link', 'show', 'dev', name], { encoding: 'utf8', timeout: 10_000 }, (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') {
        return reject(new AppError('ERR_TOOL_MISSING', 'ip is not installed', { hint: 'install it with: apt-get install iproute2' }));
      }
      if (err) return /does not exist|cannot find device/i.test(stderr) ? resolve(null) : reject(new Error(`ip link show ${name}: ${stderr.trim() || err.message}`));
      try {
        const index = (JSON.parse(stdout) as { ifindex?: unknown }[])[0]?.ifindex;
        resolve(Number.isInteger(index) && (index as number) > 0 ? (index as number) : null);
      } catch {
        reject(new Error(`ip link show ${name}: unreadable output`));
      }
    });
  });
}
