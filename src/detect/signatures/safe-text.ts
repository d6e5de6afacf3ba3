// Attacker text made printable and short, for an offense's `detail`, `account`, `attempt` and
// `callId`: shared by the log and the wire signatures, so both hand the engine the same shape.

/** Same as /^[\x20-\x7e\u00a0-\uffff]*$/, without a regex call for the short strings it sees. */
function isPrintable(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || (c > 0x7e && c < 0xa0)) return false;
  }
  return true;
}

/**
 * `s` with control characters as '?' and cut to `max` characters (never spread into a log record).
 * Text already printable and short, nearly all of it, comes back as it is, without a regex call.
 */
export function safeText(s: string, max = 64): string {
  if (s.length <= max && isPrintable(s)) return s;
  const clean = s.replace(/[^\x20-\x7e\u00a0-\uffff]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}
