// Parameter lists (`;a=1;b;c="x;y"`), quoted strings and comma lists, read in place from a range
// [a, z) of a text and its char codes (codes.ts); the exported string functions wrap them.

import { type Codes, codesOf, indexIn, isWord, lowerSlice, skipWs, trimEnd, word } from './codes.ts';
import type { SipParams } from './types.ts';

/**
 * Bounds on what one header may expand into: real messages carry a handful of parameters and list
 * items; a 64 KiB header of `;a;b;c...` or `<x>,<y>,...` must not cost more than this many. A
 * parameter list is read for at most 4 * MAX_PARAMS segments, and keeps at most MAX_PARAMS names
 * besides the common ones (tag, branch, rport, received, transport), which are never pushed out.
 */
export const MAX_PARAMS = 64;
export const MAX_LIST_ITEMS = 64;

/** Parses `;a=1;b;c="x;y"` (leading ';' optional) into lower-cased names; quoted values are unquoted; bounded as MAX_PARAMS says. */
export function parseParams(text: string): SipParams {
  return paramsAt(text, codesOf(text), 0, text.length);
}

/** parseParams on text[a, z). */
export function paramsAt(t: string, b: Codes, a: number, z: number): SipParams {
  const params: SipParams = new Map();
  readParams(t, b, a, z, params);
  return params;
}

/**
 * Where a URI's or header's parameters lie, read into a Map on first use: most readers want a
 * URI's user and host, a header's tag or branch (commonParamsAt), and a Map per parameter list
 * (three per From header) cost more than the rest of the field's parse. Owners hold one in a
 * #private field (spreading an owner copies its public fields only); composition, not a base
 * class, because V8 builds a derived class through a generic stub that cost a tenth of a URI.
 */
export class ParamsRange {
  #params: SipParams | null = null;

  constructor(
    private readonly t: string,
    private readonly b: Codes,
    private readonly a: number,
    private readonly z: number,
  ) {}

  get params(): SipParams {
    return (this.#params ??= paramsAt(this.t, this.b, this.a, this.z));
  }
}

/**
 * The parameter names nearly every message carries: they come out as constants (no copy), and
 * commonParamsAt reads the first four without building a Map (From/To want the tag, Via its
 * branch, rport and received; the other parameters are read only if someone asks for them).
 */
const COMMON_NAMES = ['tag', 'rport', 'branch', 'received', 'transport'].map((n) => word(n));
export const TAG = 0;
export const RPORT = 1;
export const BRANCH = 2;
export const RECEIVED = 3;
/** The values commonParamsAt found, by the indexes above (null when absent). Module state: no object per call. */
export const commonValues: (string | null)[] = [null, null, null, null, null];

/** Reads the parameters in [a, z) into commonValues only. */
export function commonParamsAt(t: string, b: Codes, a: number, z: number): void {
  readParams(t, b, a, z, null);
}

/**
 * The one reader behind paramsAt and commonParamsAt, so both see the same parameters: the first
 * 4 * MAX_PARAMS segments (a segment with nothing in it, `;;`, is skipped without counting; one of
 * blanks or `=v` counts), a name's first occurrence wins. A common name is always kept, so no run
 * of other parameters can hide a Via's received= (the reflection guard of sip-auth) or a tag; other
 * names fill `out` up to MAX_PARAMS entries. Every segment is read once, so `;a;a;a;...` stays
 * linear. With `out` null only the common names' values are cut out.
 */
function readParams(t: string, b: Codes, a: number, z: number, out: SipParams | null): void {
  const found = commonValues;
  found[0] = found[1] = found[2] = found[3] = found[4] = null;
  let i = a;
  for (let segments = 0; i < z && segments < 4 * MAX_PARAMS; ) {
    if (b[i] === 59) {
      i++;
      continue;
    }
    segments++;
    let end = i;
    let eq = -1;
    for (; end < z; end++) {
      const c = b[end];
      if (c === 59) break;
      if (c === 61 && eq < 0) eq = end;
    }
    const nameEnd = eq >= 0 ? eq : end;
    const ns = skipWs(b, i, nameEnd);
    const ne = trimEnd(b, ns, nameEnd);
    const common = ne > ns ? commonIndex(b, ns, ne) : -1;
    const wanted = common >= 0 ? found[common] === null : out !== null && ne > ns && out.size < MAX_PARAMS;
    let value = '';
    if (eq >= 0) {
      let v = eq + 1;
      while (v < end && (b[v] === 32 || b[v] === 9)) v++;
      if (v < end && b[v] === 34) {
        // A quoted value may hold ';': the segment then ends at the first ';' after the quote.
        value = readQuotedAt(t, b, v, z);
        end = quotedEnd;
        while (end < z && b[end] !== 59) end++;
      } else if (wanted) {
        const vs = skipWs(b, eq + 1, end);
        value = t.slice(vs, trimEnd(b, vs, end));
      }
    }
    if (wanted) {
      if (common >= 0) found[common] = value;
      if (out !== null) {
        const name = common >= 0 ? COMMON_NAMES[common].out : lowerSlice(t, b, ns, ne);
        if (!out.has(name)) out.set(name, value);
      }
    }
    i = end + 1;
  }
}

/** The index of [a, z) among COMMON_NAMES (any case), or -1 (isWord rejects a different length at once). */
function commonIndex(b: Codes, a: number, z: number): number {
  for (let k = 0; k < COMMON_NAMES.length; k++) if (isWord(b, a, z, COMMON_NAMES[k])) return k;
  return -1;
}

/** Where the last readQuotedAt stopped (after the closing quote). */
let quotedEnd = 0;

export function lastQuotedEnd(): number {
  return quotedEnd;
}

/** A quoted string at b[i] === '"' up to z, backslash escapes resolved; unterminated runs to z. */
export function readQuotedAt(t: string, b: Codes, i: number, z: number): string {
  let out = '';
  let from = i + 1;
  for (let j = from; j < z; j++) {
    const c = b[j];
    if (c === 34) {
      quotedEnd = j + 1;
      return out + t.slice(from, j);
    }
    if (c === 92 && j + 1 < z) {
      out += t.slice(from, j);
      from = j + 1;
      j++;
    }
  }
  quotedEnd = z;
  return out + t.slice(from, z);
}

/** Splits a header value on commas outside quotes and <...>; empty items dropped; first MAX_LIST_ITEMS only. */
export function splitList(value: string): string[] {
  const ranges: number[] = [];
  const n = listAt(codesOf(value), 0, value.length, ranges);
  const items: string[] = [];
  for (let k = 0; k < n; k += 2) items.push(value.slice(ranges[k], ranges[k + 1]));
  return items;
}

/**
 * splitList on [a, z): writes each item's start and end into `out` from index 0 and returns how
 * many numbers it wrote (entries past that are stale: `out` is reused, and `length = 0` costs a
 * runtime call).
 */
export function listAt(b: Codes, a: number, z: number, out: number[]): number {
  if (indexIn(b, 44, a, z) < 0) {
    if (z === a) return 0;
    out[0] = a; // one item, kept as it is (its parser trims it)
    out[1] = z;
    return 2;
  }
  let inQuote = false;
  let inAngle = false;
  let start = a;
  let n = 0;
  for (let i = a; i < z; i++) {
    const c = b[i];
    if (inQuote) {
      if (c === 92) i++;
      else if (c === 34) inQuote = false;
    } else if (c === 34) inQuote = true;
    else if (c === 60) inAngle = true;
    else if (c === 62) inAngle = false;
    else if (c === 44 && !inAngle) {
      n = putTrimmed(b, start, i, out, n);
      if (n >= 2 * MAX_LIST_ITEMS) return n;
      start = i + 1;
    }
  }
  return putTrimmed(b, start, z, out, n);
}

function putTrimmed(b: Codes, a: number, z: number, out: number[], n: number): number {
  const s = skipWs(b, a, z);
  const e = trimEnd(b, s, z);
  if (e === s) return n;
  out[n] = s;
  out[n + 1] = e;
  return n + 2;
}
