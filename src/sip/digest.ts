// Authorization / Proxy-Authorization credentials: `Digest username="100", realm="x", nc=00000001, ...`,
// read in place from a range [a, z) of a text and its char codes (codes.ts), like the other fields.

import type { DigestCredentials, SipParams } from './types.ts';
import { type Codes, codesOf, isLetter, isWord, isWs, lowerSlice, skipWs, trimEnd, word, type Word } from './codes.ts';
import { lastQuotedEnd, MAX_PARAMS, readQuotedAt } from './params.ts';

/** Parses credentials; null when there is no scheme token. Parameters may be quoted or tokens. */
export function parseDigest(text: string): DigestCredentials | null {
  return digestAt(text, codesOf(text), 0, text.length);
}

/** The fields DigestCredentials names, recognised in place (no slice, lower-casing or hash of the name). */
const FIELDS = ['username', 'realm', 'nonce', 'uri', 'response', 'qop', 'nc', 'cnonce', 'algorithm', 'opaque'] as const;
const FIELD_WORDS: Word[] = FIELDS.map((f) => word(f));
const DIGEST = word('Digest', 'Digest', false);
/** The known fields' values of the parse in progress, by FIELDS index (module state: no object per parse). */
const values: (string | null)[] = FIELDS.map(() => null);

export function digestAt(t: string, b: Codes, a0: number, z0: number): DigestCredentials | null {
  const a = skipWs(b, a0, z0);
  const z = trimEnd(b, a, z0);
  // The scheme: ALPHA *(ALPHA / DIGIT / "_" / "-"), then whitespace or the end.
  let k = a;
  if (k >= z || !isLetter(b[k])) return null;
  for (k++; k < z; k++) {
    const c = b[k];
    if (!(isLetter(c) || (c >= 48 && c <= 57) || c === 95 || c === 45)) break;
  }
  if (k < z && !isWs(b[k])) return null;
  const scheme = isWord(b, a, k, DIGEST) ? DIGEST.out : t.slice(a, k);
  const from = skipWs(b, k, z);
  readAuthParams(t, b, from, z, null);
  return new Credentials(scheme, values, t, b, from, z);
}

/**
 * `name=value, name="quoted, value", flag` in [a, z): names lower-cased, the first one wins; at most
 * 4 * MAX_PARAMS items are read. The known fields always land in `values` (no run of other items can
 * hide the username or qop), and in `out` when given, which takes other names up to MAX_PARAMS entries.
 * The searches for ',', '=', '"' and '\\' use the text's native indexOf (a JS loop over a Buffer costs
 * ~10 instructions a byte here); each remembers where it stopped and searches again only once
 * passed, so `a,a,a,...` stays linear, and a search that runs past z means none is left in range.
 */
function readAuthParams(t: string, b: Codes, a: number, z: number, out: SipParams | null): void {
  values.fill(null);
  let eq = -1;
  let comma = -1;
  let escape = -1;
  let i = a;
  for (let items = 0; i < z && items < 4 * MAX_PARAMS; items++) {
    let c = b[i];
    while (i < z && (c === 44 || c === 32 || c === 9)) c = b[++i];
    if (i >= z) break;
    const start = i;
    if (eq < i) eq = firstIn(t, '=', i, z);
    if (comma < i) comma = firstIn(t, ',', i, z);
    let nameEnd = comma;
    let value = '';
    if (eq < comma) {
      nameEnd = eq;
      let v = eq + 1;
      while (v < z && (b[v] === 32 || b[v] === 9)) v++;
      if (v < z && b[v] === 34) {
        const close = firstIn(t, '"', v + 1, z);
        if (escape < v) escape = firstIn(t, '\\', v, z);
        let end: number;
        if (escape > close) {
          value = t.slice(v + 1, close);
          end = close < z ? close + 1 : z;
        } else {
          value = readQuotedAt(t, b, v, z);
          end = lastQuotedEnd();
        }
        if (comma < end) comma = firstIn(t, ',', end, z);
        i = comma;
      } else {
        const vs = skipWs(b, v, comma);
        value = t.slice(vs, trimEnd(b, vs, comma));
        i = comma;
      }
    } else {
      i = comma; // a flag: a name without a value
    }
    const ns = skipWs(b, start, nameEnd);
    const ne = trimEnd(b, ns, nameEnd);
    if (ne > ns) record(t, b, ns, ne, value, out);
  }
}

/** The first `ch` in t[from, z), or z when there is none. */
function firstIn(t: string, ch: string, from: number, z: number): number {
  const k = t.indexOf(ch, from);
  return k < 0 || k > z ? z : k;
}

/** Records one parameter unless its name came before. */
function record(t: string, b: Codes, a: number, z: number, value: string, out: SipParams | null): void {
  let field = -1;
  for (let k = 0; k < FIELD_WORDS.length; k++) {
    if (isWord(b, a, z, FIELD_WORDS[k])) {
      field = k;
      break;
    }
  }
  if (field >= 0) {
    if (values[field] !== null) return;
    values[field] = value;
    out?.set(FIELD_WORDS[field].out, value);
  } else if (out !== null && out.size < MAX_PARAMS) {
    const name = lowerSlice(t, b, a, z);
    if (!out.has(name)) out.set(name, value);
  }
}

/** The credentials; `params` (every parameter, names lower-cased) is read again on first use. */
class Credentials implements DigestCredentials {
  readonly username: string | null;
  readonly realm: string | null;
  readonly nonce: string | null;
  readonly uri: string | null;
  readonly response: string | null;
  readonly qop: string | null;
  readonly nc: string | null;
  readonly cnonce: string | null;
  readonly algorithm: string | null;
  readonly opaque: string | null;
  #t: string;
  #b: Codes;
  #a: number;
  #z: number;
  #params: SipParams | null = null;

  constructor(readonly scheme: string, v: (string | null)[], t: string, b: Codes, a: number, z: number) {
    this.username = v[0];
    this.realm = v[1];
    this.nonce = v[2];
    this.uri = v[3];
    this.response = v[4];
    this.qop = v[5];
    this.nc = v[6];
    this.cnonce = v[7];
    this.algorithm = v[8];
    this.opaque = v[9];
    this.#t = t;
    this.#b = b;
    this.#a = a;
    this.#z = z;
  }

  get params(): SipParams {
    if (this.#params === null) {
      this.#params = new Map();
      readAuthParams(this.#t, this.#b, this.#a, this.#z, this.#params);
    }
    return this.#params;
  }
}
