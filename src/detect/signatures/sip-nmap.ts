// sip-nmap: nmap's SIP service probe (nmap-service-probes "SIPOptions"):
//   OPTIONS sip:nm SIP/2.0 / Via: SIP/2.0/TCP nm;branch=foo / From: <sip:nm@nm>;tag=root /
//   To: <sip:nm2@nm2> / Call-ID: 50000 / CSeq: 42 OPTIONS / Contact: <sip:nm@nm>
// The unresolvable host "nm" in the Request-URI or From is decisive; the fixed values (tag root,
// branch foo, Call-ID 50000, To nm2@nm2) count when at least two of them appear together.

import type { SipMessage } from '../../sip/index.ts';
import type { Signature } from '../signature.ts';
import { attemptOf, sipOffense, sipRequestOf } from './sip-common.ts';

export const NMAP_ID = 'sip-nmap';

function strong(m: SipMessage): string | null {
  if (m.uri?.host.toLowerCase() === 'nm' && (m.uri.user === null || m.uri.user === 'nm')) return 'Request-URI sip:nm';
  if (m.from?.host?.toLowerCase() === 'nm' && m.from.user === 'nm') return 'From sip:nm@nm';
  return null;
}

function weak(m: SipMessage): string[] {
  const seen: string[] = [];
  if (m.from?.tag === 'root') seen.push('From tag root');
  if (m.vias[0]?.branch === 'foo') seen.push('Via branch foo');
  if (m.callId === '50000') seen.push('Call-ID 50000');
  if (m.to?.user === 'nm2' && m.to.host === 'nm2') seen.push('To sip:nm2@nm2');
  return seen;
}

export function createNmapSignature(): Signature {
  return {
    id: NMAP_ID,
    match(event) {
      const r = sipRequestOf(event);
      if (!r) return null;
      const decisive = strong(r.msg);
      const seen = decisive ? [decisive] : weak(r.msg);
      if (!decisive && seen.length < 2) return null;
      return sipOffense(NMAP_ID, r.ev, r.ev.src.ip, {
        kind: 'scanner',
        detail: `${r.msg.method} nmap SIP probe: ${seen.join(', ')}`,
        attempt: attemptOf(r.msg),
        callId: r.msg.callId,
      });
    },
  };
}
