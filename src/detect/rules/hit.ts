// What a rule returns when it fires; the engine turns it into a Decision (escalation, origin).
import type { Offense } from '../../core/types.ts';

export interface RuleHit {
  /** Rule id; the decision's origin is `rule:<id>`. */
  rule: string;
  /** What and how many, e.g. "5 failed auths for account 100 within 10m (asterisk-security)". */
  reason: string;
  /** Ban time in seconds before escalation. */
  base: number;
}

/** The event name a signature put first in its detail ("InvalidAccountID ...", "REGISTER failed ..."). */
export function eventOf(o: Offense): string {
  const sp = o.detail.indexOf(' ');
  return `${o.signature}:${sp < 0 ? o.detail : o.detail.slice(0, sp)}`;
}
