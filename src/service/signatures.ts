// Every signature the config enables: the Asterisk log and AMI families and the SIP-wire family.
import type { Config } from '../config/schema.ts';
import type { Signature } from '../detect/signature.ts';
import { asteriskSignatures, asteriskStats, sipSignatures, type AsteriskSignatureStats } from '../detect/signatures/index.ts';

/** `stats` counts the log lines the Asterisk signatures refused (the daemon shows them in status). */
export function configuredSignatures(config: Config, stats: AsteriskSignatureStats = asteriskStats): Signature[] {
  return [
    ...asteriskSignatures(stats),
    ...sipSignatures({ registerDomains: config.sip.register_domains, userAgents: config.sip.user_agents, injection: config.sip.injection }),
  ];
}
