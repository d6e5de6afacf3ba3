// The SIP parser library: shared by sources and detect (the one stage-to-stage import allowed).

export { parseSip, isSipParseError, isResponseStart, parserFaults, MAX_MESSAGE_BYTES, MAX_HEADERS } from './parse.ts';
export { SipMessage } from './message.ts';
export { canonicalHeaderName } from './compact.ts';
export { parseUri, parseNameAddr, parseParams, splitList, MAX_PARAMS, MAX_LIST_ITEMS } from './uri.ts';
export { parseVia } from './via.ts';
export { parseDigest } from './digest.ts';
export type {
  SipParseError,
  SipParseErrorReason,
  SipParams,
  SipUri,
  NameAddr,
  Via,
  CSeq,
  DigestCredentials,
} from './types.ts';
