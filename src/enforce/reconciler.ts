// The store is the truth; the kernel drifts (a reboot, an admin's `ipset flush`, a crash between
// store write and commit). reconcile() puts back what the store has and takes out what it lacks.
import type { Ban, Target } from '../core/types.ts';
import type { CommitResult, FirewallBackend, SetName } from './backend.ts';

export interface ReconcileResult extends CommitResult {
  missing: number;
  extra: number;
}

/**
 * Makes one kernel set hold exactly `wanted`. Entries whose kernel timeout is far shorter than the
 * store's expiry (a "forever" ban whose capped timeout runs low) are refreshed too.
 */
export async function reconcile(backend: FirewallBackend, wanted: readonly Ban[], now: number, set: SetName = 'ban'): Promise<ReconcileResult> {
  const inKernel = await backend.list(set);
  const want = new Map<Target, Ban>(wanted.map((b) => [b.target, b]));
  let missing = 0;
  let extra = 0;
  for (const [target, ban] of want) {
    const k = inKernel.get(target);
    const storeLeft = ban.expires === null ? Infinity : (ban.expires - now) / 1000;
    const stale = k && k.timeout !== null && k.timeout < Math.min(storeLeft, 86400) - 60;
    if (!k || stale) {
      backend.add(ban, set);
      missing++;
    }
  }
  for (const target of inKernel.keys()) {
    if (!want.has(target)) {
      backend.remove(target, set);
      extra++;
    }
  }
  const result = await backend.commit();
  return { ...result, missing, extra };
}
