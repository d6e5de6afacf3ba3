// Helpers shared by the SIP-on-the-wire signatures (sip-*.ts): one parse per event, the offender's
// address, and attacker text made safe for `detail` / `account`.

import { normalizeIp } from '../../core/ip.ts';
import type { Offense, OffenseKind, RawEvent } from '../../core/types.ts';
import { parseSip, type SipMessage, type SipParseError } from '../../sip/index.ts';
import { safeText } from './safe-text.ts';

type SipEvent = Extract<RawEvent, { type: 'sip' }>;

// Several signatures look at the same event in turn: parse its payload once (a one-slot memo keyed
// by the payload's identity, as asteriskLineOf does for log lines). A WeakMap did this before, but
// its entries are ephemerons, which every young-generation GC must revisit while they live: at
// tens of thousands of messages a second, the GC spent more time on them than the signatures ran.
let memoPayload: Buffer | null = null;
let memoParsed: SipMessage | SipParseError | null = null;

/** The parsed message of a 'sip' event, or null (another event type, or a parse error). */
export function sipMessageOf(ev: RawEvent): SipMessage | null {
  if (ev.type !== 'sip') return null;
  if (ev.payload !== memoPayload || memoParsed === null) {
    memoPayload = ev.payload;
    memoParsed = parseSip(ev.payload);
  }
  const m = memoParsed;
  return 'error' in m ? null : m;
}

/** A request and its event, or null for responses and everything else. */
export function sipRequestOf(ev: RawEvent): { ev: SipEvent; msg: SipMessage } | null {
  const msg = sipMessageOf(ev);
  return msg && msg.kind === 'request' ? { ev: ev as SipEvent, msg } : null;
}

/** A response and its event, or null. */
export function sipResponseOf(ev: RawEvent): { ev: SipEvent; msg: SipMessage } | null {
  const msg = sipMessageOf(ev);
  return msg && msg.kind === 'response' ? { ev: ev as SipEvent, msg } : null;
}

export interface SipOffenseParts {
  kind: OffenseKind;
  detail: string;
  account?: string | null;
  attempt?: string;
  callId?: string | null;
}

/**
 * Builds the offense against `ip` (an address the packet itself carries, never header text).
 * Null when the address is not an IP, so a broken event can never ban a wrong address.
 */
export function sipOffense(signature: string, ev: SipEvent, ip: string, parts: SipOffenseParts): Offense | null {
  const addr = normalizeIp(ip);
  if (!addr) return null;
  const o: Offense = { ip: addr, kind: parts.kind, signature, at: ev.at, detail: parts.detail };
  if (parts.account) o.account = safeText(parts.account);
  if (parts.attempt) o.attempt = safeText(parts.attempt, 160);
  if (parts.callId) o.callId = safeText(parts.callId, 128);
  return o;
}

/** "Call-ID:CSeq", the identity of one attempt (one request and its retransmissions). */
export function attemptOf(msg: SipMessage): string | undefined {
  const cid = msg.callId;
  const cseq = msg.cseq;
  if (cid === null) return undefined;
  return cseq ? `${cid}:${cseq.seq}` : cid;
}
