// Header names are compared in one canonical form: lower case, compact forms expanded. The scan
// does not slice names out at all: it hashes each name's lower-cased bytes (compact letters hash as
// their full name), and lookups compare hashes, then verify the characters.

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
export function lowerCode(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

/**
 * A cheap hash of a header name (length, first and last char, lower-cased), compact letters hashing
 * as their full name. Collisions are fine: lookups verify the characters (nameMatches).
 */
export function nameHash(text: string, start: number, end: number): number {
  const first = lowerCode(text.charCodeAt(start));
  if (end - start === 1) return first < 128 && COMPACT_FULL_HASH[first] !== 0 ? COMPACT_FULL_HASH[first] : hashOf(1, first, first);
  return hashOf(end - start, first, lowerCode(text.charCodeAt(end - 1)));
}

function hashOf(len: number, first: number, last: number): number {
  return (len << 16) | ((first & 0xff) << 8) | (last & 0xff);
}

function hashString(s: string): number {
  return nameHash(s, 0, s.length);
}

/** For a one-letter name (by lower-case char code): the hash of its full name, or 0 when none. */
const COMPACT_FULL_HASH = new Int32Array(128);
for (const [letter, full] of Object.entries(COMPACT)) COMPACT_FULL_HASH[letter.charCodeAt(0)] = hashString(full);

/** The canonical (lower-case, expanded) form of a header name. */
export function canonicalHeaderName(name: string): string {
  const lower = name.toLowerCase();
  return lower.length === 1 ? (COMPACT[lower] ?? lower) : lower;
}

export interface HeaderKey {
  canon: string;
  hash: number;
}

const keyCache = new Map<string, HeaderKey>();

/** The lookup key of a header name; cached, since callers ask for the same few names. */
export function headerKey(name: string): HeaderKey {
  let key = keyCache.get(name);
  if (key === undefined) {
    const canon = canonicalHeaderName(name);
    key = { canon, hash: hashString(canon) };
    if (keyCache.size < 1000) keyCache.set(name, key);
  }
  return key;
}

/** Does text[start, end) name the header `canon` (canonical form)? */
export function nameMatches(text: string, start: number, end: number, canon: string): boolean {
  if (end - start === 1) return canonicalHeaderName(text[start]) === canon;
  if (end - start !== canon.length) return false;
  for (let k = 0; k < canon.length; k++) {
    if (lowerCode(text.charCodeAt(start + k)) !== canon.charCodeAt(k)) return false;
  }
  return true;
}
