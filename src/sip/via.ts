// Via header entries: `SIP/2.0/UDP host:port;branch=z9hG4bK...;rport;received=...`.

import { type Codes, codesOf, indexIn, isWord, isWs, skipWs, trimEnd, word } from './codes.ts';
import type { SipParams, Via } from './types.ts';
import { BRANCH, commonParamsAt, commonValues, ParamsRange, RECEIVED, RPORT } from './params.ts';
import { hostPortAt, lastHost, lastPort } from './uri.ts';

/** Parses one Via entry (already split on commas); null when there is no protocol/transport. */
export function parseVia(text: string): Via | null {
  return viaAt(text, codesOf(text), 0, text.length);
}

/** The end of a run of chars that are not whitespace, '/' (nor ';' when `semi`), from `a`. */
function tokenEnd(b: Codes, a: number, z: number, semi: boolean): number {
  while (a < z) {
    const c = b[a];
    if (c === 47 || (semi && c === 59) || isWs(c)) break;
    a++;
  }
  return a;
}

/**
 * parseVia on [a, z). sent-protocol allows LWS around the slashes ("SIP / 2.0 / UDP"): name,
 * version and transport are each a run of non-space, non-slash chars (the transport also stops
 * at ';'), as the RegExp `^([^\s/]+)\s*\/\s*([^\s/]+)\s*\/\s*([^\s/;]+)\s*` read them.
 */
export function viaAt(t: string, b: Codes, a0: number, z0: number): Via | null {
  const p1 = skipWs(b, a0, z0);
  const z = trimEnd(b, p1, z0);
  const p1z = tokenEnd(b, p1, z, false);
  let a = skipWs(b, p1z, z);
  if (p1z === p1 || a >= z || b[a] !== 47) return null;
  const p2 = skipWs(b, a + 1, z);
  const p2z = tokenEnd(b, p2, z, false);
  a = skipWs(b, p2z, z);
  if (p2z === p2 || a >= z || b[a] !== 47) return null;
  const p3 = skipWs(b, a + 1, z);
  const p3z = tokenEnd(b, p3, z, true);
  if (p3z === p3) return null;
  a = skipWs(b, p3z, z);
  const semi = indexIn(b, 59, a, z);
  const sentByEnd = semi >= 0 ? semi : z;
  const sa = skipWs(b, a, sentByEnd);
  hostPortAt(t, b, sa, trimEnd(b, sa, sentByEnd));
  const pa = semi >= 0 ? semi : z;
  commonParamsAt(t, b, pa, z);
  return new ViaEntry(protocolAt(t, b, p1, p1z, p2, p2z), transportAt(t, b, p3, p3z), lastHost(), lastPort(), new ParamsRange(t, b, pa, z));
}

/** A Via entry; its parameters past branch, rport and received are read on first use (see ParamsRange). */
class ViaEntry implements Via {
  readonly branch = commonValues[BRANCH];
  readonly rport = commonValues[RPORT];
  readonly received = commonValues[RECEIVED];
  #params: ParamsRange;

  constructor(
    readonly protocol: string,
    readonly transport: string,
    readonly host: string,
    readonly port: number | null,
    params: ParamsRange,
  ) {
    this.#params = params;
  }

  get params(): SipParams {
    return this.#params.params;
  }
}

function protocolAt(t: string, b: Codes, p1: number, p1z: number, p2: number, p2z: number): string {
  if (p2 !== p1z + 1) return `${t.slice(p1, p1z)}/${t.slice(p2, p2z)}`;
  return isWord(b, p1, p2z, SIP_2_0) ? SIP_2_0.out : t.slice(p1, p2z);
}

const SIP_2_0 = word('SIP/2.0', 'SIP/2.0', false);
const TRANSPORTS = ['UDP', 'TCP', 'TLS', 'WS', 'WSS', 'SCTP'].map((s) => word(s.toLowerCase(), s));

/** Upper-cased, as String#toUpperCase would; the usual ones come out as constants. */
function transportAt(t: string, b: Codes, a: number, z: number): string {
  for (const w of TRANSPORTS) if (isWord(b, a, z, w)) return w.out;
  return t.slice(a, z).toUpperCase();
}
