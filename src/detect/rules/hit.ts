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

/**
 * The event a signature put first in its detail ("InvalidAccountID ...", "REGISTER failed ..."),
 * prefixed by the signature id. Interned (up to a bound: a PJSIP method name is the remote party's
 * choice) so a million tracked attempts share a handful of strings.
 */
export function eventOf(o: Offense): string {
  const sp = o.detail.indexOf(' ');
  const word = sp < 0 ? o.detail : o.detail.slice(0, sp);
  let bySignature = interned.get(o.signature);
  if (!bySignature) {
    if (interned.size >= MAX_INTERNED) return `${o.signature}:${word}`;
    interned.set(o.signature, (bySignature = new Map()));
  }
  let event = bySignature.get(word);
  if (event === undefined) {
    event = `${o.signature}:${word}`;
    if (bySignature.size < MAX_INTERNED) bySignature.set(word, event);
  }
  return event;
}

const MAX_INTERNED = 256;
const interned = new Map<string, Map<string, string>>();
