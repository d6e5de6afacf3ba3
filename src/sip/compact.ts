// Header names are compared in one canonical form: lower case, compact forms expanded. The scan
// does not slice names out at all: lookups compare lengths, then the ASCII-lower-cased characters
// in place (a compact letter matches its full name).

/** RFC 3261 §7.3.3 and the later RFCs' single-letter forms (IANA "Header Fields" registry). */
const COMPACT: Record<string, string> = {
  a: 'accept-contact',
  b: 'referred-by',
  c: 'content-type',
  d: 'request-disposition',
  e: 'content-encoding',
  f: 'from',
  i: 'call-id',
  j: 'reject-contact',
  k: 'supported',
  l: 'content-length',
  m: 'contact',
  n: 'identity-info',
  o: 'event',
  r: 'refer-to',
  s: 'subject',
  t: 'to',
  u: 'allow-events',
  v: 'via',
  x: 'session-expires',
  y: 'identity',
};

/** ASCII lower-casing of one char code (header names are ASCII; anything else was rejected). */
function lowerCode(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

/** For a one-letter name (by lower-case char code, 0-255): its full name, or '' when none. */
const COMPACT_FULL: string[] = Array.from({ length: 256 }, (_, c) => COMPACT[String.fromCharCode(c)] ?? '');

/** The canonical (lower-case, expanded) form of a header name. */
export function canonicalHeaderName(name: string): string {
  const lower = name.toLowerCase();
  return lower.length === 1 ? (COMPACT[lower] ?? lower) : lower;
}

export interface HeaderKey {
  /** Canonical name. */
  canon: string;
  /** Lower-case char code of its compact form, or -1 when it has none. */
  letter: number;
}

const keyCache = new Map<string, HeaderKey>();

/** The lookup key of a header name; cached, since callers ask for the same few names. */
export function headerKey(name: string): HeaderKey {
  let key = keyCache.get(name);
  if (key === undefined) {
    const canon = canonicalHeaderName(name);
    const letter = COMPACT_FULL.indexOf(canon);
    key = { canon, letter: canon.length > 1 ? letter : -1 };
    if (keyCache.size < 1000) keyCache.set(name, key);
  }
  return key;
}

/** Do the bytes [start, end) name the header `key` (any case; a compact letter names its full form)? */
export function nameMatches(b: Uint8Array, start: number, end: number, key: HeaderKey): boolean {
  const canon = key.canon;
  const len = end - start;
  if (len === canon.length) {
    if (len === 1 && COMPACT_FULL[lowerCode(b[start])] !== '') return false; // 'v' is Via, not 'v'
    for (let k = 0; k < len; k++) {
      if (lowerCode(b[start + k]) !== canon.charCodeAt(k)) return false;
    }
    return true;
  }
  return len === 1 && lowerCode(b[start]) === key.letter;
}
