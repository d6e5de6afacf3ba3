// Every Asterisk log/AMI signature, in the order the daemon tries them (the commonest first).
import type { Signature } from '../signature.ts';
import { asteriskStats, type AsteriskSignatureStats, type LogSignature } from './asterisk-common.ts';
import { asteriskLogDispatch } from './asterisk-dispatch.ts';
import { asteriskFreepbxUnknown, asteriskIax2, asteriskManager } from './asterisk-other.ts';
import { asteriskSecurityAmi, asteriskSecurityLog } from './asterisk-security.ts';
import { asteriskCallRejected, asteriskPjsipRequest, asteriskSipHacking, asteriskSipRegister } from './asterisk-sip.ts';

function logSignatures(stats: AsteriskSignatureStats): LogSignature[] {
  return [
    asteriskSecurityLog(stats),
    asteriskPjsipRequest(stats),
    asteriskSipRegister(stats),
    asteriskCallRejected(stats),
    asteriskSipHacking(stats),
    asteriskIax2(stats),
    asteriskManager(stats),
    asteriskFreepbxUnknown(stats),
  ];
}

/** The registry: each signature on its own (samples, `sipwarden test-signature`, the tests). */
export function asteriskSignatures(stats: AsteriskSignatureStats = asteriskStats): Signature[] {
  return [...logSignatures(stats), asteriskSecurityAmi()];
}

/** The same signatures as the daemon runs them: the log ones behind one dispatcher (asterisk-dispatch.ts). */
export function asteriskDaemonSignatures(stats: AsteriskSignatureStats = asteriskStats): Signature[] {
  return [asteriskLogDispatch(logSignatures(stats)), asteriskSecurityAmi()];
}
