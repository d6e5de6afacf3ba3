// Offenses that ban at once: a scanner fingerprint, an SQL-injection probe, a request for a domain
// that is not ours. A friend learned from a successful auth is spared the "noise" ones (scanner,
// foreign-domain: a real phone can carry a listed User-Agent or a stale domain), never injection.
import type { Offense } from '../../core/types.ts';
import type { EngineConfig } from './config.ts';
import type { RuleHit } from './hit.ts';

const INSTANT = new Set(['scanner', 'injection', 'foreign-domain']);

export function isInstant(o: Offense): boolean {
  return INSTANT.has(o.kind);
}

export function instantBan(o: Offense, learnedFriend: boolean, config: EngineConfig): RuleHit | null {
  if (!INSTANT.has(o.kind)) return null;
  if (learnedFriend && o.kind !== 'injection') return null;
  return { rule: o.kind, base: config.ban.time, reason: `${o.kind}: ${o.detail} (${o.signature})` };
}
