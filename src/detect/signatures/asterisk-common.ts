// Helpers shared by the Asterisk signatures: refusal counters, accounts, IP extraction.
import { normalizeIp } from '../../core/ip.ts';
import type { Offense, OffenseKind, RawEvent } from '../../core/types.ts';
import type { Signature } from '../signature.ts';
import { parseStamp, type AsteriskLine } from './asterisk-line.ts';
import { safeText } from './safe-text.ts';

/** Why a line that looked like an attack was refused instead of producing an offense. */
export type RefusalReason =
  | 'ambiguous RemoteAddress' // a security event with more than one RemoteAddress we cannot tell apart
  | 'ambiguous marker' // a NOTICE whose fixed text appears twice (attacker text imitating it)
  | 'bad address'; // the captured address is not an IP

/**
 * Counts what the Asterisk signatures refused. The daemon exposes it (metrics, `status`); a rising
 * `ambiguous RemoteAddress` count means someone is trying to frame an address through SessionID.
 */
export class AsteriskSignatureStats {
  readonly refused = new Map<RefusalReason, number>();
  refuse(reason: RefusalReason): null {
    this.refused.set(reason, (this.refused.get(reason) ?? 0) + 1);
    return null;
  }
  count(reason: RefusalReason): number {
    return this.refused.get(reason) ?? 0;
  }
}

/**
 * An Asterisk log signature that says how the messages it can match begin, so the daemon's dispatcher
 * (asterisk-dispatch.ts) offers it only those lines. Absent: it is offered every alert-level line.
 */
export interface LogSignature extends Signature {
  /** Fixed texts the message (the part after Asterisk's prefix) must start with to match. */
  messageStarts?: readonly string[];
}

/** Signature.eventTypes of the log signatures: the daemon offers them log lines only. */
export const LOG_LINES: readonly RawEvent['type'][] = ['log-line'];

/** The counters for callers that pass none; the daemon passes its own, which `status` shows. */
export const asteriskStats = new AsteriskSignatureStats();

/** An account name, or undefined for the empty and placeholder values Asterisk writes. */
export function accountOf(s: string | undefined): string | undefined {
  if (s === undefined || s === '' || s === '<unknown>') return undefined;
  return safeText(s, 64);
}

/** The user part of a SIP URI inside attacker text ('"100" <sip:100@10.0.0.1>' → "100"). */
export function sipUserOf(from: string): string | undefined {
  const m = /sips?:([^@;>\s]{1,64})@/.exec(from);
  return m ? accountOf(m[1]) : undefined;
}

/** Number of non-overlapping occurrences of `needle` (used to spot imitated fixed text). */
export function occurrences(haystack: string, needle: string): number {
  let n = 0;
  for (let i = haystack.indexOf(needle); i !== -1; i = haystack.indexOf(needle, i + needle.length)) n++;
  return n;
}

/** Matches an address as Asterisk prints it: 1.2.3.4, [2001:db8::1], 2001:db8::1. */
export const IP_TEXT = String.raw`(\[[0-9A-Fa-f:.]{2,45}\]|[0-9]{1,3}(?:\.[0-9]{1,3}){3}|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]+)`;

export interface OffenseParts {
  ip: string;
  kind: OffenseKind;
  account?: string;
  attempt?: string;
  detail: string;
}

/**
 * The attempt key chan_sip lines share. PJSIP writes the Call-ID both in its NOTICE and as the
 * SessionID of its SECURITY events, but chan_sip's SessionID is a pointer ("0x7f...") its NOTICE
 * never shows: the lines of one chan_sip attempt have only the account in common.
 */
export function chanSipAttempt(account: string | undefined): string {
  return `chan_sip:${account ?? ''}`;
}

/** Builds the offense from a log line, or counts a refusal when the address is not an IP. */
export function lineOffense(
  signature: string,
  ev: RawEvent,
  line: AsteriskLine,
  parts: OffenseParts,
  stats: AsteriskSignatureStats,
): Offense | null {
  const ip = normalizeIp(parts.ip);
  if (!ip) return stats.refuse('bad address');
  const o: Offense = { ip, kind: parts.kind, signature, at: parseStamp(line.stamp, ev.at), detail: parts.detail };
  if (parts.account !== undefined) o.account = parts.account;
  if (parts.attempt) o.attempt = safeText(parts.attempt, 128);
  return o;
}
