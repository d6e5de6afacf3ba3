// A parsed SIP message. The scan (parse.ts) records where each header's value lies; everything
// else (From/To/Via/Digest...) is parsed on first use and cached, so a signature that looks at
// two headers pays for two headers. The lazy parsers read the value in place (text + Buffer).

import { type Codes, codesOf, indexIn } from './codes.ts';
import { canonicalHeaderName, headerKey, nameMatches, type HeaderKey } from './compact.ts';
import { digestAt } from './digest.ts';
import { contentLengthAt, cseqAt } from './numbers.ts';
import type { CSeq, DigestCredentials, NameAddr, SipUri, Via } from './types.ts';
import { listAt, MAX_LIST_ITEMS } from './params.ts';
import { nameAddrAt, uriAt } from './uri.ts';
import { viaAt } from './via.ts';

const KEY = {
  from: headerKey('from'),
  to: headerKey('to'),
  contact: headerKey('contact'),
  via: headerKey('via'),
  callId: headerKey('call-id'),
  cseq: headerKey('cseq'),
  userAgent: headerKey('user-agent'),
  authorization: headerKey('authorization'),
  proxyAuthorization: headerKey('proxy-authorization'),
  contentLength: headerKey('content-length'),
};

/** Where a header value lies, set by SipMessage#locate (module state: no object per lookup). */
let vText = '';
let vCodes: Codes = Buffer.alloc(0);
let vStart = 0;
let vEnd = 0;
/** Item ranges of one comma list (contacts, vias): reused, nothing re-enters while it is filled. */
const items: number[] = [];

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
    return this.first(headerKey(name));
  }

  /** The first value of the header `key` names, or null. */
  private first(key: HeaderKey): string | null {
    const i = this.find(key, 0);
    return i < 0 ? null : this.valueAt(i);
  }

  /** Every value of a header, in order (one per header line; comma lists are not split). */
  headers(name: string): string[] {
    const key = headerKey(name);
    const out: string[] = [];
    for (let i = this.find(key, 0); i >= 0; i = this.find(key, i + 2)) out.push(this.valueAt(i));
    return out;
  }

  /** The slot of the first header named `key` at or after slot `from`, or -1. */
  private find(key: HeaderKey, from: number): number {
    const { buf, index } = this;
    for (let i = from; i < index.length; i += 2) {
      if (nameMatches(buf, index[i] >>> 16, index[i] & 0xffff, key)) return i;
    }
    return -1;
  }

  private valueAt(i: number): string {
    const v = this.index[i + 1];
    const value = this.src.slice(v >>> 16, v & 0xffff);
    return this.folded && value.includes('\n') ? value.replace(/\r?\n[ \t]+/g, ' ').trim() : value;
  }

  /** Points vText/vCodes/vStart/vEnd at the value in slot i: in place, or its unfolded copy. */
  private locate(i: number): void {
    const v = this.index[i + 1];
    const a = v >>> 16;
    const z = v & 0xffff;
    if (this.folded && indexIn(this.buf, 10, a, z) >= 0) {
      vText = this.valueAt(i);
      vCodes = codesOf(vText);
      vStart = 0;
      vEnd = vText.length;
    } else {
      vText = this.src;
      vCodes = this.buf;
      vStart = a;
      vEnd = z;
    }
  }

  /** Parsed Request-URI; null for a response or an unparsable URI. */
  get uri(): SipUri | null {
    const c = this.cache;
    if (c.uri === UNSET) c.uri = this.method === null ? null : uriAt(this.src, this.buf, this.uriStart, this.uriEnd);
    return c.uri;
  }

  get from(): NameAddr | null {
    const c = this.cache;
    if (c.from === UNSET) c.from = this.nameAddr(KEY.from);
    return c.from;
  }

  get to(): NameAddr | null {
    const c = this.cache;
    if (c.to === UNSET) c.to = this.nameAddr(KEY.to);
    return c.to;
  }

  private nameAddr(key: HeaderKey): NameAddr | null {
    const i = this.find(key, 0);
    if (i < 0) return null;
    this.locate(i);
    return nameAddrAt(vText, vCodes, vStart, vEnd);
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
      for (let i = this.find(KEY.contact, 0); i >= 0 && out.length < MAX_LIST_ITEMS; i = this.find(KEY.contact, i + 2)) {
        this.locate(i);
        const t = vText;
        const b = vCodes;
        const n = listAt(b, vStart, vEnd, items);
        for (let k = 0; k < n && out.length < MAX_LIST_ITEMS; k += 2) out.push(nameAddrAt(t, b, items[k], items[k + 1]));
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
      for (let i = this.find(KEY.via, 0); i >= 0 && out.length < MAX_LIST_ITEMS; i = this.find(KEY.via, i + 2)) {
        this.locate(i);
        const t = vText;
        const b = vCodes;
        const n = listAt(b, vStart, vEnd, items);
        for (let k = 0; k < n && out.length < MAX_LIST_ITEMS; k += 2) {
          const via = viaAt(t, b, items[k], items[k + 1]);
          if (via) out.push(via);
        }
      }
      c.vias = out;
    }
    return c.vias;
  }

  get callId(): string | null {
    return this.first(KEY.callId);
  }

  get cseq(): CSeq | null {
    const c = this.cache;
    if (c.cseq === UNSET) {
      const i = this.find(KEY.cseq, 0);
      if (i >= 0) this.locate(i);
      c.cseq = i < 0 ? null : cseqAt(vText, vCodes, vStart, vEnd);
    }
    return c.cseq;
  }

  get userAgent(): string | null {
    return this.first(KEY.userAgent);
  }

  get authorization(): DigestCredentials | null {
    const c = this.cache;
    if (c.auth === UNSET) c.auth = this.digest(KEY.authorization);
    return c.auth;
  }

  get proxyAuthorization(): DigestCredentials | null {
    const c = this.cache;
    if (c.proxyAuth === UNSET) c.proxyAuth = this.digest(KEY.proxyAuthorization);
    return c.proxyAuth;
  }

  private digest(key: HeaderKey): DigestCredentials | null {
    const i = this.find(key, 0);
    if (i < 0) return null;
    this.locate(i);
    return digestAt(vText, vCodes, vStart, vEnd);
  }

  /** Content-Length as a number; null when absent or not a decimal number. */
  get contentLength(): number | null {
    const i = this.find(KEY.contentLength, 0);
    if (i < 0) return null;
    this.locate(i);
    return contentLengthAt(vCodes, vStart, vEnd);
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
