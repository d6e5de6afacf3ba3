// Every signature the config enables: the Asterisk log and AMI families (the log ones behind their
// dispatcher) and the SIP-wire family.
import type { Config } from '../config/schema.ts';
import type { Signature } from '../detect/signature.ts';
import { asteriskDaemonSignatures, asteriskSignatures, sipSignatures, type AsteriskSignatureStats } from '../detect/signatures/index.ts';

/**
 * stats: counts the log lines the Asterisk signatures refused (the daemon shows them in status).
 * oneByOne: each Asterisk log signature on its own instead of behind the dispatcher (same offenses,
 * slower), for `test-signature`, which selects and counts signatures by id.
 */
export function configuredSignatures(config: Config, opts: { oneByOne?: boolean; stats?: AsteriskSignatureStats } = {}): Signature[] {
  return [
    ...(opts.oneByOne ? asteriskSignatures(opts.stats) : asteriskDaemonSignatures(opts.stats)),
    ...sipSignatures({ registerDomains: config.sip.register_domains, userAgents: config.sip.user_agents, injection: config.sip.injection }),
  ];
}
