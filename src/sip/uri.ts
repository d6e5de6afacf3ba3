// URI and name-addr parsing. Tolerant: odd input gives nulls, never an exception. The parsers work
// on a range [a, z) of a text and its char codes (codes.ts), so a header value is parsed in place in
// the message, with no trim/slice/RegExp copies on the way; the exported string functions wrap them.

import { type Codes, codesOf, digitsAt, digitsValue, indexIn, isWord, lowerSlice, skipWs, trimEnd, word } from './codes.ts';
import { commonParamsAt, commonValues, lastQuotedEnd, ParamsRange, readQuotedAt, TAG } from './params.ts';
import type { NameAddr, SipParams, SipUri } from './types.ts';

export { listAt, MAX_LIST_ITEMS, MAX_PARAMS, paramsAt, parseParams, splitList } from './params.ts';

/** A parsed URI; its parameters are read on first use (see ParamsRange). */
class Uri implements SipUri {
  #params: ParamsRange;

  constructor(
    readonly scheme: string,
    readonly user: string | null,
    readonly password: string | null,
    readonly host: string,
    readonly port: number | null,
    readonly headers: string | null,
    params: ParamsRange,
  ) {
    this.#params = params;
  }

  get params(): SipParams {
    return this.#params.params;
  }
}

/** Results of hostPortAt (module state: no object per call). */
let hostOut = '';
let portOut: number | null = null;

export function lastHost(): string {
  return hostOut;
}

export function lastPort(): number | null {
  return portOut;
}

/**
 * Splits "host:port", "[v6]:port" or "host" in [a, z); a port that is not 1..65535 digits gives null.
 * The results are read with lastHost() and lastPort().
 */
export function hostPortAt(t: string, b: Codes, a: number, z: number): void {
  let hz = z;
  let pa = z;
  let ha = a;
  if (a < z && b[a] === 91) {
    const close = indexIn(b, 93, a, z);
    ha = a + 1;
    if (close >= 0) hz = close;
    if (close >= 0 && close + 1 < z && b[close + 1] === 58) pa = close + 2;
  } else {
    const colon = indexIn(b, 58, a, z);
    if (colon >= 0) {
      hz = colon;
      pa = colon + 1;
    }
  }
  ha = skipWs(b, ha, hz);
  hostOut = t.slice(ha, trimEnd(b, ha, hz));
  pa = skipWs(b, pa, z);
  portOut = portAt(b, pa, trimEnd(b, pa, z));
}

function portAt(b: Codes, a: number, z: number): number | null {
  if (z === a || z - a > 5 || digitsAt(b, a, z) !== z) return null;
  const port = digitsValue();
  return port >= 1 && port <= 65535 ? port : null;
}

/** Parses a URI. sip/sips get user, host, port and params; other schemes keep the rest as user. */
export function parseUri(text: string): SipUri | null {
  return uriAt(text, codesOf(text), 0, text.length);
}

export function uriAt(t: string, b: Codes, a: number, z: number): SipUri | null {
  const colon = indexIn(b, 58, a, z);
  if (colon <= a) return null;
  const scheme = schemeAt(t, b, a, colon);
  if (scheme === null) return null;
  if (scheme !== 'sip' && scheme !== 'sips') {
    const q = indexIn(b, 63, colon + 1, z);
    return otherUriAt(t, b, scheme, colon + 1, q >= 0 ? q : z, q >= 0 ? t.slice(q + 1, z) : null);
  }
  // One pass to the first '?' (the headers) finds the first '@' (ending the user part) and the
  // first ';' after it (the parameters; a ';' before the '@' belongs to the user: +49301;npdi@host).
  let at = -1;
  let semi = -1;
  let rz = z;
  for (let k = colon + 1; k < z; k++) {
    const c = b[k];
    if (c === 63) {
      rz = k;
      break;
    }
    if (c === 64) {
      if (at < 0) {
        at = k;
        semi = -1;
      }
    } else if (c === 59 && semi < 0) semi = k;
  }
  const headers = rz < z ? t.slice(rz + 1, z) : null;
  let ra = colon + 1;
  let user: string | null = null;
  let password: string | null = null;
  if (at >= 0) {
    const pc = indexIn(b, 58, ra, at);
    user = t.slice(ra, pc >= 0 ? pc : at);
    password = pc >= 0 ? t.slice(pc + 1, at) : null;
    ra = at + 1;
  }
  hostPortAt(t, b, ra, semi >= 0 ? semi : rz);
  return new Uri(scheme, user, password, hostOut, portOut, headers, new ParamsRange(t, b, semi >= 0 ? semi : rz, rz));
}

const SCHEME = /^[a-z][a-z0-9+.-]*$/;
const SIP = word('sip');
const SIPS = word('sips');

/** The lower-cased scheme, or null when it is not `ALPHA *(ALPHA / DIGIT / "+" / "-" / ".")`. */
function schemeAt(t: string, b: Codes, a: number, z: number): string | null {
  // sip and sips (any case) are valid schemes: most URIs are settled by these two compares.
  if (isWord(b, a, z, SIP)) return SIP.out;
  if (isWord(b, a, z, SIPS)) return SIPS.out;
  for (let k = a; k < z; k++) {
    let c = b[k];
    if (c >= 128) {
      const s = t.slice(a, z).toLowerCase(); // toLowerCase maps a few non-ASCII letters into ASCII
      return SCHEME.test(s) ? s : null;
    }
    if (c >= 65 && c <= 90) c += 32;
    const letter = c >= 97 && c <= 122;
    if (!letter && (k === a || !((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46))) return null;
  }
  return lowerSlice(t, b, a, z);
}

function otherUriAt(t: string, b: Codes, scheme: string, a: number, z: number, headers: string | null): SipUri {
  const semi = indexIn(b, 59, a, z);
  const user = t.slice(a, semi >= 0 ? semi : z);
  return new Uri(scheme, user, null, '', null, headers, new ParamsRange(t, b, semi >= 0 ? semi : z, z));
}

/** Parses one From/To/Contact entry: `"Name" <uri>;p=v`, `Name <uri>`, or a bare `uri;p=v`. */
export function parseNameAddr(text: string): NameAddr {
  return nameAddrAt(text, codesOf(text), 0, text.length);
}

export function nameAddrAt(t: string, b: Codes, a0: number, z0: number): NameAddr {
  let a = skipWs(b, a0, z0);
  const z = trimEnd(b, a, z0);
  let displayName: string | null = null;
  if (a < z && b[a] === 34) {
    displayName = readQuotedAt(t, b, a, z);
    a = skipWs(b, lastQuotedEnd(), z);
  }
  const lt = indexIn(b, 60, a, z);
  let ua = a;
  let uz: number;
  let pa: number;
  if (lt >= 0) {
    if (displayName === null && lt > a) {
      const da = skipWs(b, a, lt);
      const dz = trimEnd(b, da, lt);
      displayName = dz > da ? t.slice(da, dz) : null;
    }
    const gt = indexIn(b, 62, lt, z);
    ua = lt + 1;
    uz = gt >= 0 ? gt : z;
    pa = gt >= 0 ? gt + 1 : z;
  } else {
    // addr-spec form: the parameters after the URI belong to the header (RFC 3261 §20.10).
    const semi = indexIn(b, 59, a, z);
    uz = semi >= 0 ? semi : z;
    pa = uz;
  }
  ua = skipWs(b, ua, uz);
  uz = trimEnd(b, ua, uz);
  const rawUri = t.slice(ua, uz);
  const uri = uz - ua === 1 && b[ua] === 42 ? null : uriAt(t, b, ua, uz);
  commonParamsAt(t, b, pa, z);
  return new Address(displayName, rawUri, uri, commonValues[TAG], new ParamsRange(t, b, pa, z));
}

/** A From/To/Contact entry; its header parameters past the tag are read on first use (see ParamsRange). */
class Address implements NameAddr {
  readonly user: string | null;
  readonly host: string | null;
  readonly port: number | null;
  #params: ParamsRange;

  constructor(
    readonly displayName: string | null,
    readonly rawUri: string,
    readonly uri: SipUri | null,
    readonly tag: string | null,
    params: ParamsRange,
  ) {
    this.user = uri ? uri.user : null;
    this.host = uri ? uri.host : null;
    this.port = uri ? uri.port : null;
    this.#params = params;
  }

  get params(): SipParams {
    return this.#params.params;
  }
}
