// Brute force and enumeration, over the failed attempts of one source (kinds 'auth-failure', 'acl').
//
// brute-force: max_retry failures for one (IP, account) within find_time, or per_ip_max_retry
// failures from the IP whatever the accounts. Counting per account is what keeps an office NAT
// alive: the scattered failures of twenty phones do not add up to a ban of the office, while a
// guesser on one account is banned after max_retry and a sprayer over many by enumeration.
// One refinement: an account that authenticated successfully from this IP while the IP is still a
// learned friend ("proven") is a phone with a stale password, not a guess; its failures count only
// toward the per-IP cap.
// Friends learned from SuccessfulAuth are NOT exempt here: stolen credentials on one account must
// not buy a free run at the others.
//
// enumeration: max_accounts distinct (not proven) accounts failing from the IP within its find_time.
import { formatDuration } from '../../core/duration.ts';
import type { Offense } from '../../core/types.ts';
import type { EngineConfig } from './config.ts';
import { detached } from './detached.ts';
import type { RuleHit } from './hit.ts';
import type { SourceState } from './source-table.ts';

export interface FailureContext {
  config: EngineConfig;
  /** True when `account` authenticated from the offense's IP and that IP is still a learned friend. */
  proven(o: Offense, account: string): boolean;
}

/** Records one counted failure and returns the rule that fires, if any. */
export function countFailure(s: SourceState, o: Offense, ctx: FailureContext): RuleHit | null {
  const bf = ctx.config.detect.brute_force;
  const en = ctx.config.detect.enumeration;
  const keep = 2 * Math.max(bf.per_ip_max_retry, bf.max_retry, en.max_accounts);
  const horizon = o.at - Math.max(bf.find_time, en.find_time) * 1000;
  const account = detached(o.account ?? '');
  // A literal, not [] + push: push would reserve 16 slots for every one of a million sources.
  let fails = s.fails;
  if (fails === null) {
    fails = s.fails = [o.at, account];
  } else {
    let drop = 0;
    while (drop < fails.length && (fails.length - drop >= keep || (fails[drop] as number) <= horizon)) drop += 2;
    if (drop > 0) fails.splice(0, drop);
    fails.push(o.at, account);
  }
  return bruteForce(fails, o, account, ctx) ?? enumeration(fails, o, ctx);
}

function bruteForce(fails: (number | string)[], o: Offense, account: string, ctx: FailureContext): RuleHit | null {
  const bf = ctx.config.detect.brute_force;
  if (fails.length / 2 < Math.min(bf.max_retry, bf.per_ip_max_retry)) return null;
  const since = o.at - bf.find_time * 1000;
  let total = 0;
  let forAccount = 0;
  for (let i = 0; i < fails.length; i += 2) {
    if ((fails[i] as number) <= since) continue;
    total++;
    if (fails[i + 1] === account) forAccount++;
  }
  const base = bf.ban_time ?? ctx.config.ban.time;
  const within = `within ${formatDuration(bf.find_time)} (${o.signature})`;
  if (forAccount >= bf.max_retry && !(account !== '' && ctx.proven(o, account))) {
    const who = account === '' ? '(no account)' : `for account ${account}`;
    return { rule: 'brute-force', base, reason: `${forAccount} failed auths ${who} ${within}` };
  }
  if (total >= bf.per_ip_max_retry) {
    const n = accountsSince(fails, since, null).length;
    return { rule: 'brute-force', base, reason: `${total} failed auths across ${n} account${n === 1 ? '' : 's'} ${within}` };
  }
  return null;
}

function enumeration(fails: (number | string)[], o: Offense, ctx: FailureContext): RuleHit | null {
  const en = ctx.config.detect.enumeration;
  if (fails.length / 2 < en.max_accounts) return null;
  const accounts = accountsSince(fails, o.at - en.find_time * 1000, (a) => a === '' || ctx.proven(o, a));
  if (accounts.length < en.max_accounts) return null;
  const list = accounts.slice(0, 5).join(', ');
  return {
    rule: 'enumeration',
    base: en.ban_time ?? ctx.config.ban.time,
    reason: `${accounts.length} accounts tried within ${formatDuration(en.find_time)}: ${list}${accounts.length > 5 ? ', …' : ''} (${o.signature})`,
  };
}

/** Distinct accounts of the failures after `since`, in first-seen order, leaving out `skip` ones. */
function accountsSince(fails: (number | string)[], since: number, skip: ((a: string) => boolean) | null): string[] {
  const out: string[] = [];
  for (let i = 0; i < fails.length; i += 2) {
    const a = fails[i + 1] as string;
    if ((fails[i] as number) > since && !out.includes(a) && !skip?.(a)) out.push(a);
  }
  return out;
}
