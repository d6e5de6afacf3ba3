// Asterisk security events, from the log (res_security_log SECURITY lines) and from AMI (manager
// events of class `security`). Both yield the same offenses: failures as 'auth-failure'/'acl' with
// account = AccountID, SuccessfulAuth (with a password) as 'auth-success', ChallengeSent and the limit
// events as 'request' (flood counting only, never a failure). attempt = SessionID (the Call-ID for
// PJSIP), or the account for chan_sip (see chanSipAttempt), so the several lines Asterisk writes for
// one REGISTER count once.
import { normalizeIp } from '../../core/ip.ts';
import type { Offense, RawEvent } from '../../core/types.ts';
import type { Signature } from '../signature.ts';
import { LOG_LINES, accountOf, asteriskStats, chanSipAttempt, lineOffense, type AsteriskSignatureStats, type LogSignature } from './asterisk-common.ts';
import { safeText } from './safe-text.ts';
import { asteriskLineOf } from './asterisk-line.ts';
import { kindOf, parseSecurityMessage, splitAddress } from './asterisk-security-events.ts';

export function asteriskSecurityLog(stats: AsteriskSignatureStats = asteriskStats): LogSignature {
  const id = 'asterisk-security';
  return {
    id,
    eventTypes: LOG_LINES,
    messageStarts: ['SecurityEvent="'],
    match(ev: RawEvent): Offense | null {
      const line = asteriskLineOf(ev);
      if (!line || line.level !== 'SECURITY') return null;
      const p = parseSecurityMessage(line.message);
      if (!p.ok) return p.reason === 'ambiguous RemoteAddress' ? stats.refuse(p.reason) : null;
      const kind = kindOf(p.info, p.usingPassword);
      if (!kind) return null;
      const addr = splitAddress(p.remote);
      if (!addr) return stats.refuse('bad address');
      const account = accountOf(p.account);
      return lineOffense(id, ev, line, {
        ip: addr.addr,
        kind,
        account,
        attempt: p.service === 'SIP' ? chanSipAttempt(account) : p.session,
        detail: describe(p.event, p.service, addr.transport, account),
      }, stats);
    },
  };
}

/**
 * The same events as AMI manager events: each field arrives as its own `Key: value` line, so a
 * SessionID cannot smuggle a second RemoteAddress in (that would need a CRLF in a SIP header).
 */
export function asteriskSecurityAmi(): Signature {
  const id = 'asterisk-ami-security';
  return {
    id,
    eventTypes: ['ami'],
    match(ev: RawEvent): Offense | null {
      if (ev.type !== 'ami') return null;
      const f = ev.fields;
      const event = f.Event ?? '';
      const kind = kindOf(event, f.UsingPassword);
      if (!kind || typeof f.RemoteAddress !== 'string') return null;
      const addr = splitAddress(f.RemoteAddress);
      const ip = addr && normalizeIp(addr.addr);
      if (!addr || !ip) return null;
      const account = accountOf(f.AccountID);
      const o: Offense = { ip, kind, signature: id, at: ev.at, detail: describe(event, f.Service, addr.transport, account) };
      if (account !== undefined) o.account = account;
      if (f.Service === 'SIP') o.attempt = chanSipAttempt(account);
      else if (f.SessionID) o.attempt = safeText(f.SessionID, 128);
      return o;
    },
  };
}

function describe(event: string, service: string | undefined, transport: string, account: string | undefined): string {
  const svc = safeText(service ?? '?', 16);
  return account === undefined ? `${event} ${svc}/${transport}` : `${event} ${svc}/${transport} account ${account}`;
}
