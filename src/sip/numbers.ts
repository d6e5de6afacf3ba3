// CSeq and Content-Length, read in place from a header value [a, z) (see codes.ts).

import { type Codes, digitsAt, digitsValue, isWord, isWs, skipWs, word } from './codes.ts';
import type { CSeq } from './types.ts';

const METHODS = ['REGISTER', 'INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'SUBSCRIBE', 'NOTIFY', 'INFO', 'UPDATE', 'PRACK', 'REFER', 'MESSAGE', 'PUBLISH'].map(
  (m) => word(m, m, false),
);

/** `1..10 digits, whitespace, a method` (as /^\s*(\d{1,10})\s+(\S+)/ read it); seq at most 2^32-1. */
export function cseqAt(t: string, b: Codes, a: number, z: number): CSeq | null {
  const ds = skipWs(b, a, z);
  const k = digitsAt(b, ds, z);
  const seq = digitsValue();
  if (k === ds || k - ds > 10) return null;
  const ms = skipWs(b, k, z);
  if (ms === k || ms === z) return null;
  let me = ms;
  while (me < z && !isWs(b[me])) me++;
  if (seq > 0xffffffff) return null;
  return { seq, method: methodAt(t, b, ms, me) };
}

/** The RFC methods come out as constants (as sent: case kept), anything else as a copy. */
function methodAt(t: string, b: Codes, a: number, z: number): string {
  for (const m of METHODS) if (isWord(b, a, z, m)) return m.out;
  return t.slice(a, z);
}

/** Content-Length: 1-9 digits with optional whitespace around (/^\s*\d{1,9}\s*$/), else null. */
export function contentLengthAt(b: Codes, a: number, z: number): number | null {
  const ds = skipWs(b, a, z);
  const k = digitsAt(b, ds, z);
  if (k === ds || k - ds > 9 || skipWs(b, k, z) !== z) return null;
  return digitsValue();
}
