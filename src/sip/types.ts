// The shapes the SIP parser hands out. Every string is Latin-1 decoded text of the wire bytes
// (one char per byte), so offsets into the text are offsets into the Buffer.

/** Why a message could not be parsed. The reason is itself a signal (scanners send broken SIP). */
export type SipParseErrorReason =
  | 'empty' // no bytes, or only CR/LF keep-alives
  | 'too-large' // over MAX_MESSAGE_BYTES
  | 'truncated' // no line end after the start line
  | 'bad-start-line' // neither "METHOD URI SIP/2.0" nor "SIP/2.0 CODE reason"
  | 'bad-version' // a protocol version other than SIP/2.0
  | 'bad-method' // request method is not an RFC 3261 token
  | 'bad-request-uri' // empty or without a scheme
  | 'bad-status' // status code is not three digits 100..699
  | 'bad-header-line' // a header line without a colon
  | 'bad-header-name' // empty name or whitespace inside the name
  | 'bad-fold' // a continuation line before any header
  | 'too-many-headers'; // more than MAX_HEADERS header lines

export interface SipParseError {
  error: SipParseErrorReason;
}

/**
 * Parameters (`;name=value`), names lower-cased; a flag without value maps to ''. A Map: attacker
 * names cannot touch a prototype, and building one is about twice as fast as a null-prototype
 * object (whose keys V8 must internalize).
 */
export type SipParams = Map<string, string>;

export interface SipUri {
  /** Lower-cased: "sip", "sips", "tel", ... */
  scheme: string;
  /** The user part (before '@'), percent-escapes kept as sent; null when there is none. */
  user: string | null;
  password: string | null;
  /** Host as sent, IPv6 without brackets; '' for schemes without a host (tel:). */
  host: string;
  port: number | null;
  params: SipParams;
  /** Everything after '?', raw. */
  headers: string | null;
}

/** A From / To / Contact entry: `"Display" <uri>;tag=...`. */
export interface NameAddr {
  /** Display name with the quotes and escapes removed; null when absent. */
  displayName: string | null;
  /** The URI text as sent (inside <> when present). */
  rawUri: string;
  /** Parsed URI; null when the URI has no scheme (or Contact is `*`). */
  uri: SipUri | null;
  /** Shortcuts into `uri`. */
  user: string | null;
  host: string | null;
  port: number | null;
  /** The header's tag parameter. */
  tag: string | null;
  /** Header parameters (after the URI), not the URI's own. */
  params: SipParams;
}

export interface Via {
  /** "SIP/2.0" normally. */
  protocol: string;
  /** Upper-cased: "UDP", "TCP", "TLS", "WS", "WSS", ... */
  transport: string;
  /** sent-by host (attacker-controlled in a request), IPv6 without brackets. */
  host: string;
  port: number | null;
  branch: string | null;
  /** '' when the flag is present without a value (a request asking for rport), null when absent. */
  rport: string | null;
  received: string | null;
  params: SipParams;
}

export interface CSeq {
  seq: number;
  method: string;
}

/** Authorization / Proxy-Authorization credentials. */
export interface DigestCredentials {
  /** "Digest" as sent (case kept). */
  scheme: string;
  username: string | null;
  realm: string | null;
  nonce: string | null;
  uri: string | null;
  response: string | null;
  qop: string | null;
  nc: string | null;
  cnonce: string | null;
  algorithm: string | null;
  opaque: string | null;
  /** Every parameter, names lower-cased, quotes removed. */
  params: SipParams;
}
