// Authorization / Proxy-Authorization credentials: `Digest username="100", realm="x", nc=00000001, ...`.

import type { DigestCredentials, SipParams } from './types.ts';
import { readValue } from './uri.ts';

/** Parses credentials; null when there is no scheme token. Parameters may be quoted or tokens. */
export function parseDigest(text: string): DigestCredentials | null {
  const s = text.trim();
  const m = /^([A-Za-z][A-Za-z0-9_-]*)(?:\s+|$)/.exec(s);
  if (!m) return null;
  const params: SipParams = Object.create(null);
  let i = m[0].length;
  const n = s.length;
  while (i < n) {
    while (i < n && (s[i] === ',' || s[i] === ' ' || s[i] === '\t')) i++;
    if (i >= n) break;
    let j = i;
    while (j < n && s[j] !== '=' && s[j] !== ',') j++;
    const name = s.slice(i, j).trim().toLowerCase();
    if (j < n && s[j] === '=') {
      const [value, next] = readValue(s, j + 1, ',');
      if (name !== '' && !(name in params)) params[name] = value;
      i = next;
    } else {
      if (name !== '' && !(name in params)) params[name] = '';
      i = j;
    }
  }
  const get = (k: string): string | null => params[k] ?? null;
  return {
    scheme: m[1],
    username: get('username'),
    realm: get('realm'),
    nonce: get('nonce'),
    uri: get('uri'),
    response: get('response'),
    qop: get('qop'),
    nc: get('nc'),
    cnonce: get('cnonce'),
    algorithm: get('algorithm'),
    opaque: get('opaque'),
    params,
  };
}
