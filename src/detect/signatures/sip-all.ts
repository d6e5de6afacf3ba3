// Every SIP-on-the-wire signature, configured from `sip.*` config values.

import type { RawEvent } from '../../core/types.ts';
import type { Signature } from '../signature.ts';
import { effectiveUserAgents, type UserAgentOptions } from './scanner-user-agents.ts';
import { createAuthFailureSignature, createAuthSuccessSignature } from './sip-auth.ts';
import { createForeignDomainSignature } from './sip-foreign-domain.ts';
import { createInjectionSignature } from './sip-injection.ts';
import { createNmapSignature } from './sip-nmap.ts';
import { createScannerUaSignature } from './sip-scanner-ua.ts';
import { createSipviciousSignature } from './sip-vicious.ts';

export interface SipSignatureOptions {
  /** `sip.register_domains`; empty turns sip-foreign-domain off (it stays registered, matching nothing). */
  registerDomains: string[];
  /** `sip.user_agents` (builtin/add/exact/remove); default: the built-in list. */
  userAgents?: UserAgentOptions;
  /** `sip.injection`; false leaves sip-injection out. Default true. */
  injection?: boolean;
}

const SIP_EVENTS: readonly RawEvent['type'][] = ['sip'];

export function sipSignatures(opts: SipSignatureOptions): Signature[] {
  const sigs: Signature[] = [
    createScannerUaSignature(effectiveUserAgents(opts.userAgents)),
    createSipviciousSignature(),
    createNmapSignature(),
    createForeignDomainSignature(opts.registerDomains),
    createAuthFailureSignature(),
    createAuthSuccessSignature(),
  ];
  if (opts.injection !== false) sigs.splice(3, 0, createInjectionSignature());
  for (const s of sigs) s.eventTypes = SIP_EVENTS; // the daemon offers them SIP messages only
  return sigs;
}
