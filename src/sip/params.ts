// Parameter lists (`;a=1;b;c="x;y"`), quoted strings and comma lists, read in place from a range
// [a, z) of a text and its char codes (codes.ts); the exported string functions wrap them.

import { type Codes, codesOf, indexIn, isWord, lowerSlice, skipWs, trimEnd, word } from './codes.ts';
import type { SipParams } from './types.ts';

/**
 * Bounds on what one header may expand into: real messages carry a handful of parameters and list
 * items; a 64 KiB header of `;a;b;c...` or `<x>,<y>,...` must not cost more than this many.
 */
export const MAX_PARAMS = 64;
export const MAX_LIST_ITEMS = 64;

/** Parses `;a=1;b;c="x;y"` (leading ';' optional) into lower-cased names; quoted values are unquoted; first MAX_PARAMS only. */
export function parseParams(text: string): SipParams {
  return paramsAt(text, codesOf(text), 0, text.length);
}

/** parseParams on text[a, z). Every segment is read once, so `;a;a;a;...` stays linear. */
export function paramsAt(t: string, b: Codes, a: number, z: number): SipParams {
  const params: SipParams = new Map();
  let i = a;
  let count = 0;
  // Repeated names do not count as parameters, so non-empty segments are bounded too; empty ones
  // (`;;;;`) are skipped without counting, so they cannot push a tag out.
  for (let segments = 0; i < z && count < MAX_PARAMS && segments < 4 * MAX_PARAMS; ) {
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
    let value = '';
    let nameEnd = end;
    if (eq >= 0) {
      nameEnd = eq;
      let v = eq + 1;
      while (v < end && (b[v] === 32 || b[v] === 9)) v++;
      if (v < end && b[v] === 34) {
        // A quoted value may hold ';': the segment then ends at the first ';' after the quote.
        value = readQuotedAt(t, b, v, z);
        end = quotedEnd;
        while (end < z && b[end] !== 59) end++;
      } else {
        const vs = skipWs(b, eq + 1, end);
        value = t.slice(vs, trimEnd(b, vs, end));
      }
    }
    const ns = skipWs(b, i, nameEnd);
    const ne = trimEnd(b, ns, nameEnd);
    if (ne > ns) {
      const name = paramName(t, b, ns, ne);
      if (count === 0 || !params.has(name)) {
        params.set(name, value);
        count++;
      }
    }
    i = end + 1;
  }
  return params;
}

/** The parameter names nearly every message carries: they come out as constants (no copy). */
const COMMON_NAMES = ['tag', 'rport', 'branch', 'received', 'transport'].map((n) => word(n));

/** The lower-cased name (isWord rejects a different length at once, so the loop is cheap). */
function paramName(t: string, b: Codes, a: number, z: number): string {
  for (const w of COMMON_NAMES) if (isWord(b, a, z, w)) return w.out;
  return lowerSlice(t, b, a, z);
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
