// The engine's settings: the `detect.*` and `ban.*` sections of the config (durations in seconds).
import type { Config } from '../../config/schema.ts';

export type EngineConfig = {
  detect: Pick<Config['detect'], 'brute_force' | 'enumeration' | 'flood' | 'learn_friends' | 'limits'>;
  ban: Config['ban'];
};

export function engineConfigFrom(config: Config): EngineConfig {
  return { detect: config.detect, ban: config.ban };
}

/**
 * Repeat offenders: base × factor^priorBans, capped at max_time (0 = no cap; the cap never shortens
 * the base itself). A base of 0 means "until unbanned" and stays 0.
 */
export function escalate(base: number, priorBans: number, ban: Config['ban']): number {
  if (base <= 0) return 0;
  const n = Math.max(0, Math.min(priorBans, 64));
  const d = base * Math.pow(ban.factor, n);
  return Math.round(ban.max_time > 0 ? Math.min(d, Math.max(ban.max_time, base)) : d);
}
