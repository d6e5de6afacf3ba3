// The contract every firewall backend keeps (modelled on crowdsec's firewall bouncer): add and
// remove only buffer; commit applies the buffer as one atomic batch; the kernel enforces expiry.
import type { Ban, Target } from '../core/types.ts';

/**
 * Which kernel set a ban goes into. Bans from the store go to 'ban'; each feed has its own set;
 * 'scan' is the set the kernel fills itself with scanners caught on their first packet.
 */
export type SetName = 'ban' | 'scan' | `feed:${string}`;

export interface CommitResult {
  added: number;
  removed: number;
  failed: { target: Target; error: string }[];
}

/** A kernel set entry as the kernel holds it now. */
export interface KernelEntry {
  target: Target;
  /** Seconds left before the kernel drops it; null = no timeout. */
  timeout: number | null;
}

export interface FirewallBackend {
  readonly name: 'iptables' | 'nftables' | 'none';
  /** Creates our sets, chains and rules from the compiled policy, adopting leftovers. Idempotent. */
  init(): Promise<void>;
  /** Buffers a ban into a set ('ban' unless a feed's set is named). */
  add(ban: Ban, set?: SetName): void;
  /** Buffers a removal. */
  remove(target: Target, set?: SetName): void;
  /** Applies the buffer as one batch; always clears the buffer. */
  commit(): Promise<CommitResult>;
  /** What a set holds in the kernel now (for the reconciler and `check`). */
  list(set?: SetName): Promise<Map<Target, KernelEntry>>;
  /** Scanners the kernel banned by itself on their first packet (User-Agent / injection rules). */
  listScanners(): Promise<Map<Target, KernelEntry>>;
  /** Removes everything sipwarden created; leaves the rest of the ruleset as it was. */
  teardown(): Promise<void>;
}

/** The longest timeout the kernel accepts (ipset caps at 2147483 s); longer bans are refreshed. */
export const MAX_KERNEL_TIMEOUT = 2_147_483;

/** Seconds the kernel should keep a ban: its remaining time, capped; "forever" gets the cap. */
export function kernelTimeout(ban: Pick<Ban, 'expires'>, now: number): number {
  if (ban.expires === null) return MAX_KERNEL_TIMEOUT;
  return Math.max(1, Math.min(MAX_KERNEL_TIMEOUT, Math.ceil((ban.expires - now) / 1000)));
}
