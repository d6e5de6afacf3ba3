// Every signature the config enables: the Asterisk log and AMI families and the SIP-wire family.
import type { Config } from '../config/schema.ts';
import type { Signature } from '../detect/signature.ts';
import { asteriskSignatures, sipSignatures } from '../detect/signatures/index.ts';

export function configuredSignatures(config: Config): Signature[] {
  return [
    ...asteriskSignatures(),
    ...sipSignatures({ registerDomains: config.sip.register_domains, userAgents: config.sip.user_agents, injection: config.sip.injection }),
  ];
}
