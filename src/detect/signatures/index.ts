// The signature registry: each family exports a function returning its signatures.
export { asteriskDaemonSignatures, asteriskSignatures } from './asterisk-all.ts';
export { asteriskStats, AsteriskSignatureStats } from './asterisk-common.ts';
export { sipSignatures, type SipSignatureOptions } from './sip-all.ts';
