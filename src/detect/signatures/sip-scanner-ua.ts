// sip-scanner-ua: a request whose User-Agent is on the scanner list (built-in plus configured).

import type { Signature } from '../signature.ts';
import { createUserAgentMatcher, type UserAgentEntry } from './scanner-user-agents.ts';
import { safeText } from './safe-text.ts';
import { attemptOf, sipOffense, sipRequestOf } from './sip-common.ts';

export const SCANNER_UA_ID = 'sip-scanner-ua';

export function createScannerUaSignature(entries: readonly UserAgentEntry[]): Signature {
  const matcher = createUserAgentMatcher(entries);
  return {
    id: SCANNER_UA_ID,
    match(event) {
      const r = sipRequestOf(event);
      if (!r) return null;
      // Every User-Agent line counts: a scanner may send two to slip past a first-header check.
      for (const ua of r.msg.headers('user-agent')) {
        const hit = matcher.match(ua);
        if (hit !== null) {
          return sipOffense(SCANNER_UA_ID, r.ev, r.ev.src.ip, {
            kind: 'scanner',
            detail: `${r.msg.method} with User-Agent "${safeText(ua)}" (list entry "${hit}")`,
            account: r.msg.to?.user,
            attempt: attemptOf(r.msg),
            callId: r.msg.callId,
          });
        }
      }
      return null;
    },
  };
}
