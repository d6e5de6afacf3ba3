// A parsed SIP message. The scan (parse.ts) records where each header's value lies; everything
// else (From/To/Via/Digest...) is parsed on first use and cached, so a signature that looks at
// two headers pays for two headers.

import { canonicalHeaderName, headerKey, nameMatches } from './compact.ts';
import { parseDigest } from './digest.ts';
import type { CSeq, DigestCredentials, NameAddr, SipUri, Via } from './types.ts';
import { MAX_LIST_ITEMS, parseNameAddr, parseUri, splitList } from './uri.ts';
import { parseVia } from './via.ts';

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

/**
 * A parsed SIP message. `index` holds two numbers per header line, in order: nameStart << 16 |
 * nameEnd, and valueStart << 16 | valueEnd (offsets into `text`; a message is at most 64 KiB).
 */
export class SipMessage {
  private readonly src: string;
  private readonly buf: Buffer;
  /** Request method as sent (case kept); null for a response. */
  readonly method: string | null;
  private readonly uriStart: number;
  private readonly uriEnd: number;
  readonly status: number | null;
  readonly reason: string | null;
  private readonly index: number[];
  /** True if some header was folded over several lines (its value then needs unfolding). */
  private readonly folded: boolean;
  /** Offset of the body; -1 when the blank line ending the headers never came. */
  private readonly bodyStart: number;
  private lazy: LazyFields | null = null;

  constructor(text: string, buf: Buffer, method: string | null, uriStart: number, uriEnd: number, status: number | null, reason: string | null, index: number[], folded: boolean, bodyStart: number) {
    this.src = text;
    this.buf = buf;
    this.method = method;
    this.uriStart = uriStart;
    this.uriEnd = uriEnd;
    this.status = status;
    this.reason = reason;
    this.index = index;
    this.folded = folded;
    this.bodyStart = bodyStart;
  }

  private get cache(): LazyFields {
    return (this.lazy ??= new LazyFields());
  }

  get kind(): 'request' | 'response' {
    return this.method !== null ? 'request' : 'response';
  }

  /** Request-URI text; null for a response. */
  get requestUri(): string | null {
    return this.method === null ? null : this.src.slice(this.uriStart, this.uriEnd);
  }

  /** False when the headers were not ended by a blank line (a truncated datagram). */
  get complete(): boolean {
    return this.bodyStart >= 0;
  }

  /** The whole message as Latin-1 text. */
  get text(): string {
    return this.src;
  }

  /** Canonical (lower-case, compact forms expanded) names of all header lines, in order. */
  get headerNames(): string[] {
    const { src, index } = this;
    const out: string[] = [];
    for (let i = 0; i < index.length; i += 2) out.push(canonicalHeaderName(src.slice(index[i] >>> 16, index[i] & 0xffff)));
    return out;
  }

  /** The first value of a header (any case, compact or full name), or null. */
  header(name: string): string | null {
    const key = headerKey(name);
    const { src, index } = this;
    for (let i = 0; i < index.length; i += 2) {
      if (nameMatches(src, index[i] >>> 16, index[i] & 0xffff, key)) return this.valueAt(i);
    }
    return null;
  }

  /** Every value of a header, in order (one per header line; comma lists are not split). */
  headers(name: string): string[] {
    const key = headerKey(name);
    const { src, index } = this;
    const out: string[] = [];
    for (let i = 0; i < index.length; i += 2) {
      if (nameMatches(src, index[i] >>> 16, index[i] & 0xffff, key)) out.push(this.valueAt(i));
    }
    return out;
  }

  private valueAt(i: number): string {
    const v = this.index[i + 1];
    const value = this.src.slice(v >>> 16, v & 0xffff);
    return this.folded && value.includes('\n') ? value.replace(/\r?\n[ \t]+/g, ' ').trim() : value;
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
    const { buf, bodyStart } = this;
    if (bodyStart < 0) return buf.subarray(buf.length);
    const cl = this.contentLength;
    const end = cl === null ? buf.length : Math.min(buf.length, bodyStart + cl);
    return buf.subarray(bodyStart, end);
  }

  /** True when Content-Length promises more bytes than arrived. */
  get bodyTruncated(): boolean {
    const cl = this.contentLength;
    return cl !== null && (this.bodyStart < 0 ? cl > 0 : this.bodyStart + cl > this.buf.length);
  }
}
