// sip-foreign-domain: a REGISTER or INVITE addressed to a domain that is not ours. Scanners
// register against whatever the IP answers to (`REGISTER sip:203.0.113.5`) or replay a domain
// from another victim; our phones use one of the configured `sip.register_domains`.
//
// - REGISTER: the Request-URI host (RFC 3261 §10.2: the registrar's domain) must be a configured
//   domain; a bare IP is foreign too (the kernel rule in enforce/sip-rules.ts agrees).
// - INVITE: only a host *name* that is not ours is foreign. Trunks and re-INVITEs address us by IP
//   (the Contact we gave them), so an IP literal never flags here.
// An empty domain list turns the signature off (the operator has not said what is ours).

import { normalizeIp } from '../../core/ip.ts';
import type { Signature } from '../signature.ts';
import { safeText } from './safe-text.ts';
import { attemptOf, sipOffense, sipRequestOf } from './sip-common.ts';

export const FOREIGN_DOMAIN_ID = 'sip-foreign-domain';

function canonicalDomain(d: string): string {
  return d.trim().toLowerCase().replace(/\.+$/, '');
}

export function createForeignDomainSignature(domains: readonly string[]): Signature {
  const ours = new Set(domains.map(canonicalDomain).filter((d) => d !== ''));
  return {
    id: FOREIGN_DOMAIN_ID,
    match(event) {
      if (ours.size === 0) return null;
      const r = sipRequestOf(event);
      if (!r) return null;
      const method = r.msg.method!.toUpperCase();
      if (method !== 'REGISTER' && method !== 'INVITE') return null;
      const uri = r.msg.uri;
      if (!uri || (uri.scheme !== 'sip' && uri.scheme !== 'sips')) return null;
      // A host written as configured (the usual case) is settled without canonicalising it.
      if (ours.has(uri.host)) return null;
      const host = canonicalDomain(uri.host);
      if (ours.has(host)) return null;
      if (method === 'INVITE' && (host === '' || normalizeIp(host) !== null)) return null;
      return sipOffense(FOREIGN_DOMAIN_ID, r.ev, r.ev.src.ip, {
        kind: 'foreign-domain',
        detail: `${method} for foreign domain "${safeText(uri.host)}"`,
        account: method === 'REGISTER' ? r.msg.to?.user : uri.user,
        attempt: attemptOf(r.msg),
        callId: r.msg.callId,
      });
    },
  };
}
