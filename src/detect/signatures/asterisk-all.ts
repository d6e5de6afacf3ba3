// Every Asterisk log/AMI signature, in the order the daemon tries them (the commonest first).
import type { Signature } from '../signature.ts';
import { asteriskStats, type AsteriskSignatureStats } from './asterisk-common.ts';
import { asteriskFreepbxUnknown, asteriskIax2, asteriskManager } from './asterisk-other.ts';
import { asteriskSecurityAmi, asteriskSecurityLog } from './asterisk-security.ts';
import { asteriskCallRejected, asteriskPjsipRequest, asteriskSipHacking, asteriskSipRegister } from './asterisk-sip.ts';

export function asteriskSignatures(stats: AsteriskSignatureStats = asteriskStats): Signature[] {
  return [
    asteriskSecurityLog(stats),
    asteriskPjsipRequest(stats),
    asteriskSipRegister(stats),
    asteriskCallRejected(stats),
    asteriskSipHacking(stats),
    asteriskIax2(stats),
    asteriskManager(stats),
    asteriskFreepbxUnknown(stats),
    asteriskSecurityAmi(),
  ];
}
