// SIP NOTICE lines from chan_sip and res_pjsip (the messages fail2ban's asterisk filter matches).
//
// Each capture is anchored on text Asterisk writes itself. Where the attacker's text comes only
// before the address (chan_sip "Registration from '<From>' failed for '<ip>' - <reason>"), the
// regex is anchored at the end of the line. Where attacker text sits on both sides (PJSIP's From
// and callid, "Call from '<name>' (...) to extension '<exten>'"), the fixed marker must appear
// exactly once, else the line is refused and counted ('ambiguous marker').
import type { Offense, OffenseKind, RawEvent } from '../../core/types.ts';
import {
  IP_TEXT, LOG_LINES, asteriskStats, chanSipAttempt, lineOffense, occurrences, sipUserOf, type AsteriskSignatureStats, type LogSignature,
} from './asterisk-common.ts';
import { safeText } from './safe-text.ts';
import { asteriskLineOf, textAt, type AsteriskLine } from './asterisk-line.ts';

/** The line, when Asterisk logged it at an alert level from a SIP module (never VERBOSE/DEBUG echoes). */
function sipLine(ev: RawEvent, startsWith: string): AsteriskLine | null {
  const line = asteriskLineOf(ev);
  if (!line || !textAt(line.message, 0, startsWith)) return null;
  return line.file.includes('sip') ? line : null;
}

const REGISTER_REASONS: Record<string, OffenseKind> = {
  'Wrong password': 'auth-failure',
  'Username/auth name mismatch': 'auth-failure',
  'No matching peer found': 'auth-failure',
  // Counted, not banned at once: a phone with a typo in its domain writes this line too.
  'Not a local domain': 'acl',
  'Device does not match ACL': 'acl',
  'Peer is not supposed to register': 'acl',
  'ACL error (permit/deny)': 'acl',
};
const REGISTER = new RegExp(
  String.raw`^Registration from '(.*)' failed for '${IP_TEXT}(?::\d+)?' - (Wrong password|Username/auth name mismatch|No matching peer found|Not a local domain|Device does not match ACL|Peer is not supposed to register|ACL error \(permit/deny\))$`,
);

export function asteriskSipRegister(stats: AsteriskSignatureStats = asteriskStats): LogSignature {
  const id = 'asterisk-sip-register';
  return {
    id,
    eventTypes: LOG_LINES,
    messageStarts: ['Registration from '],
    match(ev) {
      const line = sipLine(ev, 'Registration from ');
      const m = line && REGISTER.exec(line.message);
      if (!line || !m) return null;
      const account = sipUserOf(m[1]);
      return lineOffense(id, ev, line, {
        ip: m[2], kind: REGISTER_REASONS[m[3]], account, attempt: chanSipAttempt(account),
        detail: `Registration failed: ${m[3]}`,
      }, stats);
    },
  };
}

const HACKING = new RegExp(String.raw`^hacking attempt detected '${IP_TEXT}'$`);

export function asteriskSipHacking(stats: AsteriskSignatureStats = asteriskStats): LogSignature {
  const id = 'asterisk-sip-hacking';
  return {
    id,
    eventTypes: LOG_LINES,
    messageStarts: ['hacking attempt detected '],
    match(ev) {
      const line = sipLine(ev, 'hacking attempt detected ');
      const m = line && HACKING.exec(line.message);
      if (!line || !m) return null;
      return lineOffense(id, ev, line, { ip: m[1], kind: 'scanner', detail: 'hacking attempt detected' }, stats);
    },
  };
}

const CALL_MARK = ') to extension \'';
const CALL = new RegExp(
  String.raw`^Call from '(.*)' \((?:(?:TCP|UDP|TLS|WSS?):)?${IP_TEXT}:\d+\) to extension '(.*)' rejected because extension not found in context '([^']*)'\.?$`,
);

/** chan_sip and res_pjsip_session: an INVITE to an extension that does not exist (toll-fraud dialing). */
export function asteriskCallRejected(stats: AsteriskSignatureStats = asteriskStats): LogSignature {
  const id = 'asterisk-call-rejected';
  return {
    id,
    eventTypes: LOG_LINES,
    messageStarts: ['Call from '],
    match(ev) {
      const line = sipLine(ev, 'Call from ');
      if (!line || !line.message.endsWith("'.") && !line.message.endsWith("'")) return null;
      const m = CALL.exec(line.message);
      if (!m) return null;
      if (occurrences(line.message, CALL_MARK) !== 1) return stats.refuse('ambiguous marker');
      const exten = safeText(m[3], 40);
      return lineOffense(id, ev, line, {
        // The extension is the dialled number, not an account: every miss counts on (IP, no account).
        ip: m[2], kind: 'auth-failure',
        detail: `Call rejected: extension '${exten}' not found`,
      }, stats);
    },
  };
}

const PJSIP_MARK = "' failed for '";
const PJSIP_REASONS: Record<string, OffenseKind> = {
  'No matching endpoint found': 'auth-failure',
  'Not match Endpoint ACL': 'acl',
  'Not match Endpoint Contact ACL': 'acl',
  'Failed to authenticate': 'auth-failure',
  'Error to authenticate': 'auth-failure',
};
const PJSIP = new RegExp(
  String.raw`^Request (?:'([A-Z]{1,16})' )?from '(.*)' failed for '${IP_TEXT}(?::\d+)?' \(callid: (.*)\) - (No matching endpoint found|Not match Endpoint(?: Contact)? ACL|Failed to authenticate|Error to authenticate)$`,
);

/** res_pjsip/pjsip_distributor.c log_failed_request. */
export function asteriskPjsipRequest(stats: AsteriskSignatureStats = asteriskStats): LogSignature {
  const id = 'asterisk-pjsip-request';
  return {
    id,
    eventTypes: LOG_LINES,
    messageStarts: ['Request '],
    match(ev) {
      const line = sipLine(ev, 'Request ');
      const m = line && PJSIP.exec(line.message);
      if (!line || !m) return null;
      if (occurrences(line.message, PJSIP_MARK) !== 1) return stats.refuse('ambiguous marker');
      const method = m[1] ?? 'request';
      return lineOffense(id, ev, line, {
        ip: m[3], kind: PJSIP_REASONS[m[5]], account: sipUserOf(m[2]), attempt: m[4],
        detail: `${method} failed: ${m[5]}`,
      }, stats);
    },
  };
}
