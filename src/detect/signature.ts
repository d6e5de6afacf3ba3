// The contract every signature meets (SIP-on-the-wire ones in signatures/sip-*.ts, Asterisk-log ones
// in signatures/asterisk-*.ts). Shared by two engineers: extend it, keep it minimal.
//
// A signature is pure: RawEvent in, Offense or null out. No I/O, no Date.now(): the offense's `at`
// is the event's `at`. It never throws on hostile input; malformed input yields null (or an offense
// when the malformation itself is the fingerprint).
//
// ## Annotated samples (design.md convention 5)
// Every signature ships test/fixtures/signatures/<signature-id>.<ext>, checked by a generic test
// that fails when a registered signature has no sample file or any expectation fails.
//
// Common to both formats: lines starting with `#` are directives or comments; `# expect: JSON` states
// what the next sample must produce: `null` (no offense) or an object whose keys must all equal the
// offense's keys (a subset check, e.g. {"ip": "203.0.113.7", "kind": "scanner"}).
//
// - `.log` (Asterisk logs): one log line per sample, each preceded by its `# expect:` line.
// - `.txt` (SIP messages): samples are separated by a line `---`. Each sample starts with
//     # src: 203.0.113.7:5060 dst: 192.0.2.1:5060     (required; IPv6 as [2001:db8::1]:5060)
//     # transport: udp                                 (optional, default udp)
//     # expect: {"ip": "203.0.113.7", "kind": "scanner"}
//   followed by the SIP message, one header per line. Every line is sent with CRLF (or LF with
//   `# eol: lf`); if the sample has no blank line, one is appended to end the headers. Trailing blank
//   lines before `---` are dropped. `\r`, `\n`, `\t`, `\\` and `\xNN` in the text stand for that byte
//   (so a sample can carry bare CRs or binary). src/detect/sip-samples.ts reads this format.
// - `.ami` (AMI manager events, RawEvent type 'ami'): one event per block of `Key: value` lines
//   (split at the first ':', both sides trimmed), blocks separated by blank lines, each preceded by
//   its `# expect:` line. src/detect/test-signature.ts reads `.log` and `.ami` this way.

import type { Offense, RawEvent } from '../core/types.ts';

export interface Signature {
  /** Stable id, e.g. "sip-scanner-ua"; offenses carry it, fixtures are named by it. */
  id: string;
  /** Pure and total: never throws. */
  match(ev: RawEvent): Offense | null;
  /**
   * The event types this signature can match; the daemon offers it no others (absent: every type).
   * A busy log then meets only the log signatures, not the SIP ones that would return null.
   */
  eventTypes?: readonly RawEvent['type'][];
}

/** The signatures offered each event type, in their order (what the daemon runs per event). */
export function signaturesByType(signatures: readonly Signature[]): Record<RawEvent['type'], Signature[]> {
  const offered = (type: RawEvent['type']) => signatures.filter((s) => !s.eventTypes || s.eventTypes.includes(type));
  return { 'log-line': offered('log-line'), sip: offered('sip'), ami: offered('ami') };
}
