// What each Asterisk SecurityEvent means to us (main/security_events.c, res/res_security_log.c), and
// the parser for res_security_log's `Key="value",...` text, which Asterisk does not escape.
//
// Framing defence: AccountID and SessionID (the attacker's username and Call-ID) come before
// RemoteAddress, and a few events carry attacker text after it too (Response, ReceivedHash,
// RequestParams...). Asterisk always writes exactly one real RemoteAddress, so:
//  - one `,RemoteAddress="` in the line: it is the real one;
//  - several, and the event has only server-written fields after RemoteAddress: the last one is
//    real (an attacker can only add text before it), provided everything after it parses as
//    known server-written fields;
//  - several otherwise: refuse the line (counted as 'ambiguous RemoteAddress').
import type { OffenseKind } from '../../core/types.ts';
import { textAt } from './asterisk-line.ts';

interface EventInfo {
  kind: OffenseKind | null; // null: seen but not an offense
  /** Fields this event writes after RemoteAddress that the remote party can choose. */
  attackerTail: boolean;
}

const EVENTS = new Map<string, EventInfo>(Object.entries({
  FailedACL: { kind: 'acl', attackerTail: false },
  InvalidAccountID: { kind: 'auth-failure', attackerTail: false },
  SessionLimit: { kind: 'request', attackerTail: false },
  MemoryLimit: { kind: 'request', attackerTail: false },
  LoadAverageLimit: { kind: 'request', attackerTail: false },
  RequestNotSupported: { kind: 'request', attackerTail: true },
  RequestNotAllowed: { kind: 'acl', attackerTail: true },
  AuthMethodNotAllowed: { kind: 'acl', attackerTail: true },
  RequestBadFormat: { kind: 'acl', attackerTail: true },
  SuccessfulAuth: { kind: 'auth-success', attackerTail: false },
  UnexpectedAddress: { kind: 'acl', attackerTail: false },
  ChallengeResponseFailed: { kind: 'auth-failure', attackerTail: true },
  InvalidPassword: { kind: 'auth-failure', attackerTail: true },
  // A 401/407 went out: every REGISTER/INVITE gets one, so it counts for floods, never as a failure.
  ChallengeSent: { kind: 'request', attackerTail: false },
  InvalidTransport: { kind: 'acl', attackerTail: false },
} satisfies Record<string, EventInfo>));

/**
 * The known names by length, so the line's event name is recognised where it lies: no slice of it and
 * no hash of the slice (together they cost a fifth of a security line's parse).
 */
const NAMES_BY_LENGTH: (readonly [string, EventInfo])[][] = [];
for (const [name, info] of EVENTS) (NAMES_BY_LENGTH[name.length] ??= []).push([name, info]);

/** The known event whose name fills msg[start, end), as [name, info], or undefined. */
function eventAt(msg: string, start: number, end: number): readonly [string, EventInfo] | undefined {
  const candidates = NAMES_BY_LENGTH[end - start];
  if (candidates === undefined) return undefined;
  for (const c of candidates) if (textAt(msg, start, c[0])) return c;
  return undefined;
}

/** Keys Asterisk writes after RemoteAddress from its own state (never the remote party's text). */
const SERVER_TAIL_KEYS = new Set([
  'Module', 'SessionTV', 'ACLName', 'UsingPassword', 'ExpectedAddress', 'Challenge', 'AttemptedTransport',
]);

export function eventInfo(name: string): EventInfo | undefined {
  return EVENTS.get(name);
}

/**
 * The kind of offense an event is; SuccessfulAuth counts only with UsingPassword=1, as FreePBX does:
 * an IP-matched trunk (UsingPassword=0) proves nothing about the source.
 */
export function kindOf(event: string | EventInfo | undefined, usingPassword: string | undefined): OffenseKind | null {
  const info = typeof event === 'string' ? eventInfo(event) : event;
  if (!info) return null;
  if (info.kind === 'auth-success' && usingPassword !== '1') return null;
  return info.kind;
}

/** "IPV4/UDP/1.2.3.4/5060" → { transport, addr }; IPv6 addresses hold no '/'. */
export function splitAddress(value: string): { transport: string; addr: string } | null {
  const a = value.indexOf('/');
  const b = value.indexOf('/', a + 1);
  const c = value.indexOf('/', b + 1);
  if (a !== 4 || b < 0 || c < 0 || value.indexOf('/', c + 1) !== -1) return null;
  // Asterisk writes these upper case; the case-insensitive compare is for other writers.
  const asWritten = textAt(value, 0, 'IPV4') || textAt(value, 0, 'IPV6');
  const family = asWritten ? '' : value.slice(0, 4).toUpperCase();
  if (!asWritten && family !== 'IPV4' && family !== 'IPV6') return null;
  return { transport: upperTransport(value.slice(a + 1, b)), addr: value.slice(b + 1, c) };
}

/** The transport in upper case, without a copy for the usual ones. */
function upperTransport(t: string): string {
  return t === 'UDP' || t === 'TCP' || t === 'TLS' || t === 'WS' || t === 'WSS' ? t : t.toUpperCase();
}

export type SecurityParse =
  | { ok: true; event: string; info: EventInfo; remote: string; account?: string; session?: string; service?: string; usingPassword?: string }
  | { ok: false; reason: 'ambiguous RemoteAddress' | 'malformed' | 'not an event' };

const REMOTE = ',RemoteAddress="';
const USING_PASSWORD = ',UsingPassword="';

/** Parses a res_security_log message (the text after the log prefix). */
export function parseSecurityMessage(msg: string): SecurityParse {
  if (!textAt(msg, 0, 'SecurityEvent="')) return { ok: false, reason: 'not an event' };
  const endEvent = msg.indexOf('"', 15);
  if (endEvent < 0 || endEvent > 60) return { ok: false, reason: 'malformed' };
  const known = eventAt(msg, 15, endEvent);
  if (!known) return { ok: false, reason: 'malformed' };
  const [event, info] = known;

  const first = msg.indexOf(REMOTE, endEvent);
  if (first < 0) return { ok: false, reason: 'malformed' };
  const several = msg.indexOf(REMOTE, first + REMOTE.length) !== -1;
  if (several && info.attackerTail) return { ok: false, reason: 'ambiguous RemoteAddress' };
  const at = several ? msg.lastIndexOf(REMOTE) : first;
  const valueStart = at + REMOTE.length;
  const valueEnd = msg.indexOf('"', valueStart);
  if (valueEnd < 0) return { ok: false, reason: 'malformed' };
  // Only server-written text follows the trusted RemoteAddress; with several, prove it.
  if (several && !serverOnlyTail(msg.slice(valueEnd + 1))) return { ok: false, reason: 'ambiguous RemoteAddress' };
  // The common fields come in a fixed order before RemoteAddress: Service, AccountID, SessionID.
  cursor = endEvent;
  const service = valueAt(msg, ',Service="', at);
  const account = valueAt(msg, ',AccountID="', at);
  const session = valueAt(msg, ',SessionID="', at);
  let usingPassword: string | undefined;
  if (event === 'SuccessfulAuth') {
    cursor = valueEnd;
    usingPassword = valueAt(msg, USING_PASSWORD, msg.length);
  }
  return { ok: true, event, info, remote: msg.slice(valueStart, valueEnd), account, session, service, usingPassword };
}

/** True when `text` is exactly a sequence of `,Key="value"` pairs with server-written keys only. */
function serverOnlyTail(text: string): boolean {
  const pairs = parsePairs(text);
  return pairs !== null && [...pairs.keys()].every((k) => SERVER_TAIL_KEYS.has(k));
}

/** `,K="v",K2="v2"` → Map; null when the text is not exactly such a sequence. */
function parsePairs(text: string): Map<string, string> | null {
  const out = new Map<string, string>();
  const re = /,([A-Za-z]{1,40})="([^"]*)"/y;
  let pos = 0;
  while (pos < text.length) {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m || out.has(m[1])) return null;
    out.set(m[1], m[2]);
    pos = re.lastIndex;
  }
  return out;
}

/** Where valueAt looks from; module state, so a line's parse allocates no cursor object. */
let cursor = 0;

/**
 * The first `key` value between `cursor` and `limit` (the trusted RemoteAddress), up to its closing
 * quote; a value found moves the cursor past it, so the next key is looked for after it.
 */
function valueAt(msg: string, key: string, limit: number): string | undefined {
  const i = msg.indexOf(key, cursor);
  if (i < 0 || i >= limit) return undefined;
  const start = i + key.length;
  const end = msg.indexOf('"', start);
  if (end < 0 || end > limit) return undefined;
  cursor = end;
  return msg.slice(start, end);
}
