// Authorization / Proxy-Authorization credentials: `Digest username="100", realm="x", nc=00000001, ...`.

import type { DigestCredentials, SipParams } from './types.ts';
import { type Codes, codesOf } from './codes.ts';
import { lastQuotedEnd, MAX_PARAMS, readQuotedAt } from './params.ts';

/** Parses credentials; null when there is no scheme token. Parameters may be quoted or tokens. */
export function parseDigest(text: string): DigestCredentials | null {
  const s = text.trim();
  const m = /^([A-Za-z][A-Za-z0-9_-]*)(?:\s+|$)/.exec(s);
  if (!m) return null;
  const params = readAuthParams(s, m[0].length);
  return {
    scheme: m[1],
    username: params.get('username') ?? null,
    realm: params.get('realm') ?? null,
    nonce: params.get('nonce') ?? null,
    uri: params.get('uri') ?? null,
    response: params.get('response') ?? null,
    qop: params.get('qop') ?? null,
    nc: params.get('nc') ?? null,
    cnonce: params.get('cnonce') ?? null,
    algorithm: params.get('algorithm') ?? null,
    opaque: params.get('opaque') ?? null,
    params,
  };
}

/** `name=value, name="quoted, value", flag` from `from` on; names lower-cased, first one wins. */
function readAuthParams(s: string, from: number): SipParams {
  const params: SipParams = new Map();
  const n = s.length;
  const mayEscape = s.indexOf('\\') >= 0;
  let codes: Codes | null = null; // the header's codes, made once and only if a value has an escape
  let nextEq = -2; // re-searched only once passed: linear on `a,a,a,...`
  let i = from;
  let count = 0;
  for (let items = 0; i < n && count < MAX_PARAMS && items < 4 * MAX_PARAMS; items++) {
    let c = s.charCodeAt(i);
    while (i < n && (c === 44 || c === 32 || c === 9)) c = s.charCodeAt(++i);
    if (i >= n) break;
    if (nextEq !== -1 && nextEq < i) nextEq = s.indexOf('=', i);
    const eq = nextEq;
    let comma = s.indexOf(',', i);
    if (comma < 0) comma = n;
    if (eq < 0 || eq > comma) {
      const flag = s.slice(i, comma).trim().toLowerCase();
      if (flag !== '' && !params.has(flag)) {
        params.set(flag, '');
        count++;
      }
      i = comma;
      continue;
    }
    const name = s.slice(i, eq).trim().toLowerCase();
    let v = eq + 1;
    while (v < n && (s.charCodeAt(v) === 32 || s.charCodeAt(v) === 9)) v++;
    let value: string;
    if (s.charCodeAt(v) === 34) {
      let end: number;
      if (mayEscape) {
        value = readQuotedAt(s, (codes ??= codesOf(s)), v, n);
        end = lastQuotedEnd();
      } else {
        const close = s.indexOf('"', v + 1);
        value = close < 0 ? s.slice(v + 1) : s.slice(v + 1, close);
        end = close < 0 ? n : close + 1;
      }
      i = s.indexOf(',', end);
      if (i < 0) i = n;
    } else {
      value = s.slice(v, comma).trim();
      i = comma;
    }
    if (name !== '' && !params.has(name)) {
      params.set(name, value);
      count++;
    }
  }
  return params;
}
