// sip-auth-failure / sip-auth-success: authentication results read off the PBX's own responses.
// The event's src is the PBX; the offender is the packet's destination (the address the PBX
// answers, i.e. where the request came from). Header text never picks the address: when the top
// Via carries received= and it disagrees with the destination, the response did not go straight
// back to the requester and we cannot tell who asked, so no offense. Behind an edge proxy the
// destination is the proxy: capture on the edge, or list the proxy among the friends.
//
// What counts as a failure (a response alone does not show the request, so the response decides):
// - 403 Forbidden to any request: chan_sip's "wrong password", ACL and policy refusals.
// - 404 Not Found to REGISTER or INVITE: an unknown account, or dialling an extension that does not
//   exist (fail2ban's "extension not found"); 404 to OPTIONS/SUBSCRIBE is routine and is ignored.
// - 401/407 challenges only when CSeq > 1 and the challenge is not `stale=true`: the first request
//   of a Call-ID (CSeq 1) normally comes without credentials, so its challenge is the handshake;
//   a challenge to a later request on the same Call-ID means the credentials sent were refused
//   (PJSIP answers a wrong password with a fresh 401). stale=true is a nonce refresh, not a refusal.
//   Clients that start CSeq above 1 (linphone: 20) thus count one failure per registration; they
//   succeed right after, and the rules count per (IP, account) with max_retry, so it does not ban.
// A 200 to a REGISTER is a success (`auth-success`): the rules engine learns the IP as a friend.

import { normalizeIp } from '../../core/ip.ts';
import type { SipMessage } from '../../sip/index.ts';
import type { Signature } from '../signature.ts';
import { attemptOf, sipOffense, sipResponseOf } from './sip-common.ts';

export const AUTH_FAILURE_ID = 'sip-auth-failure';
export const AUTH_SUCCESS_ID = 'sip-auth-success';

type ResponseOf = NonNullable<ReturnType<typeof sipResponseOf>>;

/** Why this response is a failed authentication, or null. */
export function failureReason(msg: SipMessage): string | null {
  const cseq = msg.cseq;
  if (!cseq) return null;
  const method = cseq.method.toUpperCase();
  switch (msg.status) {
    case 403:
      return `403 to ${method}`;
    case 404:
      return method === 'REGISTER' || method === 'INVITE' ? `404 to ${method}` : null;
    case 401:
    case 407: {
      if (cseq.seq <= 1) return null;
      const challenge = msg.header(msg.status === 401 ? 'www-authenticate' : 'proxy-authenticate') ?? '';
      if (/(^|[\s,])stale\s*=\s*"?true/i.test(challenge)) return null;
      return `${msg.status} to ${method} CSeq ${cseq.seq} (credentials refused)`;
    }
    default:
      return null;
  }
}

/** The requester's address, from the packet; null when the top Via's received= contradicts it. */
function requesterOf(r: ResponseOf): string | null {
  const dst = normalizeIp(r.ev.dst.ip);
  if (!dst) return null;
  const received = r.msg.vias[0]?.received;
  if (received !== null && received !== undefined && received !== '' && normalizeIp(received) !== dst) return null;
  return dst;
}

function offenseFor(id: string, r: ResponseOf, kind: 'auth-failure' | 'auth-success', detail: string) {
  const ip = requesterOf(r);
  if (!ip) return null;
  return sipOffense(id, r.ev, ip, {
    kind,
    detail,
    account: r.msg.to?.user,
    attempt: attemptOf(r.msg),
    callId: r.msg.callId,
  });
}

export function createAuthFailureSignature(): Signature {
  return {
    id: AUTH_FAILURE_ID,
    match(event) {
      const r = sipResponseOf(event);
      if (!r) return null;
      const reason = failureReason(r.msg);
      return reason ? offenseFor(AUTH_FAILURE_ID, r, 'auth-failure', `${reason} ${r.msg.reason ?? ''}`.trim()) : null;
    },
  };
}

export function createAuthSuccessSignature(): Signature {
  return {
    id: AUTH_SUCCESS_ID,
    match(event) {
      const r = sipResponseOf(event);
      if (!r || r.msg.status !== 200 || r.msg.cseq?.method.toUpperCase() !== 'REGISTER') return null;
      return offenseFor(AUTH_SUCCESS_ID, r, 'auth-success', '200 to REGISTER');
    },
  };
}
