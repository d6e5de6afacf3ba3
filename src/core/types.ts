// The shared vocabulary of the pipeline: event → offense → decision → ban.
// Stages meet only through these types; nothing here does I/O.

/** An IPv4 or IPv6 address or prefix in canonical text form ("192.0.2.7", "192.0.2.0/24", "2001:db8::/32"). */
export type Target = string;

export type Family = 4 | 6;

export interface Endpoint {
  ip: string;
  port: number;
}

/** Raw input from a source, before any judgement. */
export type RawEvent =
  | { type: 'log-line'; source: string; at: number; line: string }
  | {
      type: 'sip';
      source: string;
      at: number;
      transport: 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';
      src: Endpoint;
      dst: Endpoint;
      /** The SIP message as it was on the wire. */
      payload: Buffer;
    }
  | {
      type: 'ami';
      source: string;
      at: number;
      /** The manager event's fields, exactly as received (Key: value). */
      fields: Readonly<Record<string, string>>;
    };

/** What kind of misbehaviour an offense is; rules count offenses by kind. */
export type OffenseKind =
  | 'scanner' // a scanner fingerprint (User-Agent, SIPVicious shapes, nmap probe)
  | 'injection' // SQL injection probe
  | 'foreign-domain' // REGISTER/INVITE for a domain that is not ours
  | 'auth-failure' // a failed authentication (wrong password, unknown account)
  | 'acl' // refused by an ACL or policy
  | 'request' // a request counted for flood detection
  | 'auth-success'; // a successful authentication (learns a friend)

export interface Offense {
  ip: string;
  kind: OffenseKind;
  /** The signature that matched, e.g. "asterisk-security". */
  signature: string;
  /** The account (username, extension) the attempt was for, if known. */
  account?: string;
  /** Identifies one attempt across the several lines Asterisk writes for it (Call-ID, SessionID). */
  attempt?: string;
  /** Call-ID and CSeq, for flood detection of one dialog with a rising CSeq. */
  callId?: string;
  at: number;
  /** Short human text: what was seen. */
  detail: string;
}

/** The origin of a decision: rule:<id>, feed:<id>, signature:<id>, cli, api, fleet. */
export type Origin = string;

export interface Decision {
  action: 'ban' | 'unban';
  target: Target;
  /** Seconds; 0 means "until unbanned". */
  duration: number;
  origin: Origin;
  reason: string;
}

/** An active ban: a store row and a kernel entry. */
export interface Ban {
  target: Target;
  origin: Origin;
  reason: string;
  /** Unix milliseconds. */
  created: number;
  /** Unix milliseconds; null = never expires. */
  expires: number | null;
  hits: number;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program with an argument vector: never a shell. stdin is written and closed. */
export type Exec = (file: string, args: readonly string[], stdin?: string) => Promise<ExecResult>;

/** What the store keeps per feed (the feed_state table); the feeds stage reads and writes it. */
export interface FeedState {
  last_id: string | null;
  last_sync: number | null;
  last_ok: number | null;
  last_error: string | null;
  entries: number;
  etag: string | null;
  modified: string | null;
  next_run: number | null;
  /** JSON of a sync held for the operator. */
  held: string | null;
}
