// sip-vicious: SIPVicious (svmap/svwar/svcrack) and its forks by the shapes they cannot hide, so
// compact mode (-c, no User-Agent) and renamed forks are caught too. Source: peers.md §5.3 and
// sipvicious 0.3.3 libs/svhelper.py (createTag, makeRequest) and svcrack.py.
//
// Each indicator has a weight; a request is flagged at WEIGHT_TO_FLAG. Strong indicators (2) are
// shapes no real phone produces; weak ones (1) occur in real stacks now and then, so one weak
// indicator alone never flags (a numeric Call-ID, or a z9hG4bK-<digits> branch, is not enough).

import type { SipMessage } from '../../sip/index.ts';
import type { Signature } from '../signature.ts';
import { attemptOf, sipOffense, sipRequestOf } from './sip-common.ts';

export const SIPVICIOUS_ID = 'sip-vicious';
const WEIGHT_TO_FLAG = 2;

interface Indicator {
  name: string;
  weight: 1 | 2;
  test(msg: SipMessage): boolean;
}

const INDICATORS: Indicator[] = [
  // createTag(data) = hex(data + "\x01" + str(getrandbits(32))).
  { name: 'hex From tag "<data>\\x01<digits>"', weight: 2, test: (m) => isSipviciousTag(m.from?.tag ?? null) },
  // svcrack's first REGISTER carries this fixed tag ("Embedding value so as to not run into errors").
  { name: 'svcrack fixed tag 3206210844', weight: 2, test: (m) => m.from?.tag === '3206210844' },
  // makeRequest's default Contact, and svmap's default From.
  { name: 'placeholder host 1.1.1.1 in Contact/From', weight: 2, test: (m) => m.contact?.host === '1.1.1.1' || m.from?.host === '1.1.1.1' },
  { name: 'From display name sipvicious/sipsscuser', weight: 2, test: (m) => /^(sipvicious|sipsscuser)$/i.test(m.from?.displayName?.trim() ?? '') },
  // branch = "z9hG4bK-" + str(getrandbits(32)); sipp's z9hG4bK-<pid>-<n>-<k> has more dashes.
  { name: 'Via branch z9hG4bK-<digits>', weight: 1, test: (m) => /^z9hG4bK-\d{1,10}$/.test(m.vias[0]?.branch ?? '') },
  // Call-ID = str(getrandbits(32 or 80)): a bare decimal number.
  { name: 'numeric-only Call-ID', weight: 1, test: (m) => /^\d{1,30}$/.test(m.callId ?? '') },
  // challengeResponse() adds qop=auth without nc/cnonce when the challenge offered no qop.
  { name: 'qop=auth without nc/cnonce', weight: 1, test: (m) => qopWithoutCounters(m) },
];

/** Lowercase hex whose bytes are printable data, 0x01, then 6+ ASCII digits (a random 32-bit number). */
export function isSipviciousTag(tag: string | null): boolean {
  if (tag === null || tag.length < 16 || tag.length % 2 !== 0 || !/^[0-9a-f]+$/.test(tag)) return false;
  const bytes = Buffer.from(tag, 'hex');
  const sep = bytes.lastIndexOf(0x01);
  if (sep < 1 || bytes.length - sep - 1 < 6) return false;
  for (let i = sep + 1; i < bytes.length; i++) if (bytes[i] < 0x30 || bytes[i] > 0x39) return false;
  for (let i = 0; i < sep; i++) if (bytes[i] < 0x20 || bytes[i] > 0x7e) return false;
  return true;
}

function qopWithoutCounters(m: SipMessage): boolean {
  for (const cred of [m.authorization, m.proxyAuthorization]) {
    if (cred && cred.qop !== null && (cred.nc === null || cred.cnonce === null)) return true;
  }
  return false;
}

export function createSipviciousSignature(): Signature {
  return {
    id: SIPVICIOUS_ID,
    match(event) {
      const r = sipRequestOf(event);
      if (!r) return null;
      let weight = 0;
      for (const ind of INDICATORS) if (ind.test(r.msg)) weight += ind.weight;
      if (weight < WEIGHT_TO_FLAG) return null;
      // Named only for a flagged request (the tests are cheap and their answers cached by the message).
      const seen = INDICATORS.filter((ind) => ind.test(r.msg)).map((ind) => ind.name);
      return sipOffense(SIPVICIOUS_ID, r.ev, r.ev.src.ip, {
        kind: 'scanner',
        detail: `${r.msg.method} with SIPVicious fingerprints: ${seen.join(', ')}`,
        account: r.msg.to?.user,
        attempt: attemptOf(r.msg),
        callId: r.msg.callId,
      });
    },
  };
}
