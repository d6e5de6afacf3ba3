// Character-level helpers for the lazy field parsers. They read char codes from a typed array (the
// message Buffer: a byte read costs about half a String#charCodeAt here) and slice the output
// strings from the matching text, where text.charCodeAt(i) === codes[i] for every i.

/** The message Buffer; a Uint16Array only for a string handed to the exported parsers with chars above 0xff. */
export type Codes = Uint8Array | Uint16Array;

/** String#trim's whitespace, which is also RegExp \s (WhiteSpace and LineTerminator). */
export function isWs(c: number): boolean {
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13);
  if (c < 160) return false;
  return c === 160 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

export function skipWs(b: Codes, a: number, z: number): number {
  while (a < z && isWs(b[a])) a++;
  return a;
}

export function trimEnd(b: Codes, a: number, z: number): number {
  while (z > a && isWs(b[z - 1])) z--;
  return z;
}

/** The first `c` in [a, z), or -1. */
export function indexIn(b: Codes, c: number, a: number, z: number): number {
  for (let k = a; k < z; k++) if (b[k] === c) return k;
  return -1;
}

/** An ASCII letter, A-Z or a-z. */
export function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** text[a, z) as String#toLowerCase gives it; no call when nothing in it has a lower case. */
export function lowerSlice(t: string, b: Codes, a: number, z: number): string {
  for (let k = a; k < z; k++) {
    const c = b[k];
    if ((c >= 65 && c <= 90) || c >= 128) return t.slice(a, z).toLowerCase();
  }
  return t.slice(a, z);
}

/** A word to recognise in place; a match hands out `out`, a constant (no copy, hash computed once). */
export interface Word {
  out: string;
  codes: Uint8Array;
  /** 0x20 where the word has an ASCII letter and case does not matter, else 0. */
  fold: Uint8Array;
}

/** `text` (lower case when `anyCase`) as a Word. */
export function word(text: string, out = text, anyCase = true): Word {
  const codes = Uint8Array.from(text, (ch) => ch.charCodeAt(0));
  const fold = codes.map((c) => (anyCase && c >= 97 && c <= 122 ? 0x20 : 0));
  return { out, codes, fold };
}

/** Does text[a, z) spell `w`? (c | 0x20) equals a lower-case letter only for that letter in either case. */
export function isWord(b: Codes, a: number, z: number, w: Word): boolean {
  const codes = w.codes;
  if (z - a !== codes.length) return false;
  const fold = w.fold;
  for (let k = 0; k < codes.length; k++) if ((b[a + k] | fold[k]) !== codes[k]) return false;
  return true;
}

/** The codes of a string from outside the message: Latin-1 bytes when it fits, else UTF-16 units. */
export function codesOf(s: string): Codes {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0xff) {
      const wide = new Uint16Array(s.length);
      for (let k = 0; k < s.length; k++) wide[k] = s.charCodeAt(k);
      return wide;
    }
  }
  return Buffer.from(s, 'latin1');
}

/** The value of the digits digitsAt last read (module state: no object per call). */
let lastDigits = 0;

export function digitsValue(): number {
  return lastDigits;
}

/** Reads the decimal digits from `a` (at most up to z); returns where they end, their value in digitsValue(). */
export function digitsAt(b: Codes, a: number, z: number): number {
  let k = a;
  let n = 0;
  for (; k < z; k++) {
    const d = b[k] - 48;
    if (d < 0 || d > 9) break;
    n = n * 10 + d;
  }
  lastDigits = n;
  return k;
}
