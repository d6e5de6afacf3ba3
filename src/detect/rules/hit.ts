// What a rule returns when it fires; the engine turns it into a Decision (escalation, origin).

export interface RuleHit {
  /** Rule id; the decision's origin is `rule:<id>`. */
  rule: string;
  /** What and how many, e.g. "5 failed auths for account 100 within 10m (asterisk-security)". */
  reason: string;
  /** Ban time in seconds before escalation. */
  base: number;
}
