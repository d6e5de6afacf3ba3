// A parsed SIP message. The scan (parse.ts) records where each header's value lies; everything
// else (From/To/Via/Digest...) is parsed on first use and cached, so a signature that looks at
// two headers pays for two headers.

import { canonicalHeaderName, headerKey, nameMatches } from './compact.ts';
import { parseDigest } from './digest.ts';
import type { CSeq, DigestCredentials, NameAddr, SipUri, Via } from './types.ts';
import { MAX_LIST_ITEMS, parseNameAddr, parseUri, splitList } from './uri.ts';
import { parseVia } from './via.ts';

export interface ScanResult {
  text: string;
  buf: Buffer;
  method: string | null;
  requestUri: string | null;
  status: number | null;
  reason: string | null;
  /** Five numbers per header line, in order: name hash (compact.ts), name start, name end, value start, value end. */
  index: number[];
  /** True if some header was folded over several lines (its value then needs unfolding). */
  folded: boolean;
  /** Offset of the body; -1 when the blank line ending the headers never came. */
  bodyStart: number;
}

const UNSET = undefined;

/** The lazily parsed fields (undefined = not parsed yet); allocated on the first accessor call. */
class LazyFields {
  uri: SipUri | null | undefined = UNSET;
  from: NameAddr | null | undefined = UNSET;
  to: NameAddr | null | undefined = UNSET;
  contacts: NameAddr[] | undefined = UNSET;
  vias: Via[] | undefined = UNSET;
  cseq: CSeq | null | undefined = UNSET;
  auth: DigestCredentials | null | undefined = UNSET;
  proxyAuth: DigestCredentials | null | undefined = UNSET;
}

export class SipMessage {
  // Two fields only: the header-level parse allocates as little as it can.
  private readonly scan: ScanResult;
  private lazy: LazyFields | null = null;

  constructor(scan: ScanResult) {
    this.scan = scan;
  }

  private get cache(): LazyFields {
    return (this.lazy ??= new LazyFields());
  }

  get kind(): 'request' | 'response' {
    return this.scan.method !== null ? 'request' : 'response';
  }

  /** Request method as sent (case kept); null for a response. */
  get method(): string | null {
    return this.scan.method;
  }

  /** Request-URI text; null for a response. */
  get requestUri(): string | null {
    return this.scan.requestUri;
  }

  get status(): number | null {
    return this.scan.status;
  }

  get reason(): string | null {
    return this.scan.reason;
  }

  /** False when the headers were not ended by a blank line (a truncated datagram). */
  get complete(): boolean {
    return this.scan.bodyStart >= 0;
  }

  /** The whole message as Latin-1 text. */
  get text(): string {
    return this.scan.text;
  }

  /** Canonical (lower-case, compact forms expanded) names of all header lines, in order. */
  get headerNames(): string[] {
    const { text, index } = this.scan;
    const out: string[] = [];
    for (let i = 0; i < index.length; i += 5) out.push(canonicalHeaderName(text.slice(index[i + 1], index[i + 2])));
    return out;
  }

  /** The first value of a header (any case, compact or full name), or null. */
  header(name: string): string | null {
    const { hash, canon } = headerKey(name);
    const { index, text } = this.scan;
    for (let i = 0; i < index.length; i += 5) {
      if (index[i] === hash && nameMatches(text, index[i + 1], index[i + 2], canon)) return this.valueAt(i);
    }
    return null;
  }

  /** Every value of a header, in order (one per header line; comma lists are not split). */
  headers(name: string): string[] {
    const { hash, canon } = headerKey(name);
    const { index, text } = this.scan;
    const out: string[] = [];
    for (let i = 0; i < index.length; i += 5) {
      if (index[i] === hash && nameMatches(text, index[i + 1], index[i + 2], canon)) out.push(this.valueAt(i));
    }
    return out;
  }

  private valueAt(i: number): string {
    const { text, index, folded } = this.scan;
    const value = text.slice(index[i + 3], index[i + 4]);
    return folded && value.includes('\n') ? value.replace(/\r?\n[ \t]+/g, ' ').trim() : value;
  }

  /** Parsed Request-URI; null for a response or an unparsable URI. */
  get uri(): SipUri | null {
    const c = this.cache;
    if (c.uri === UNSET) c.uri = this.requestUri === null ? null : parseUri(this.requestUri);
    return c.uri;
  }

  get from(): NameAddr | null {
    const c = this.cache;
    if (c.from === UNSET) c.from = this.nameAddr('from');
    return c.from;
  }

  get to(): NameAddr | null {
    const c = this.cache;
    if (c.to === UNSET) c.to = this.nameAddr('to');
    return c.to;
  }

  private nameAddr(name: string): NameAddr | null {
    const v = this.header(name);
    return v === null ? null : parseNameAddr(v);
  }

  /** The first Contact entry, or null. */
  get contact(): NameAddr | null {
    return this.contacts[0] ?? null;
  }

  /** Every Contact entry across all Contact headers (at most MAX_LIST_ITEMS). */
  get contacts(): NameAddr[] {
    const c = this.cache;
    if (c.contacts === UNSET) {
      const out: NameAddr[] = [];
      for (const v of this.headers('contact')) {
        for (const item of splitList(v)) if (out.length < MAX_LIST_ITEMS) out.push(parseNameAddr(item));
      }
      c.contacts = out;
    }
    return c.contacts;
  }

  /** Every Via entry, top first (comma lists split; at most MAX_LIST_ITEMS); unparsable ones left out. */
  get vias(): Via[] {
    const c = this.cache;
    if (c.vias === UNSET) {
      const out: Via[] = [];
      for (const v of this.headers('via')) {
        for (const item of splitList(v)) {
          const via = out.length < MAX_LIST_ITEMS ? parseVia(item) : null;
          if (via) out.push(via);
        }
      }
      c.vias = out;
    }
    return c.vias;
  }

  get callId(): string | null {
    return this.header('call-id');
  }

  get cseq(): CSeq | null {
    const c = this.cache;
    if (c.cseq === UNSET) {
      const m = /^\s*(\d{1,10})\s+(\S+)/.exec(this.header('cseq') ?? '');
      const seq = m ? Number(m[1]) : NaN;
      c.cseq = m && seq <= 0xffffffff ? { seq, method: m[2] } : null;
    }
    return c.cseq;
  }

  get userAgent(): string | null {
    return this.header('user-agent');
  }

  get authorization(): DigestCredentials | null {
    const c = this.cache;
    if (c.auth === UNSET) c.auth = this.digest('authorization');
    return c.auth;
  }

  get proxyAuthorization(): DigestCredentials | null {
    const c = this.cache;
    if (c.proxyAuth === UNSET) c.proxyAuth = this.digest('proxy-authorization');
    return c.proxyAuth;
  }

  private digest(name: string): DigestCredentials | null {
    const v = this.header(name);
    return v === null ? null : parseDigest(v);
  }

  /** Content-Length as a number; null when absent or not a decimal number. */
  get contentLength(): number | null {
    const v = this.header('content-length');
    if (v === null || !/^\s*\d{1,9}\s*$/.test(v)) return null;
    return Number(v);
  }

  /** The body bytes: from the blank line to Content-Length (or to the end when absent). */
  get body(): Buffer {
    const { buf, bodyStart } = this.scan;
    if (bodyStart < 0) return buf.subarray(buf.length);
    const cl = this.contentLength;
    const end = cl === null ? buf.length : Math.min(buf.length, bodyStart + cl);
    return buf.subarray(bodyStart, end);
  }

  /** True when Content-Length promises more bytes than arrived. */
  get bodyTruncated(): boolean {
    const cl = this.contentLength;
    return cl !== null && (this.scan.bodyStart < 0 ? cl > 0 : this.scan.bodyStart + cl > this.scan.buf.length);
  }
}
