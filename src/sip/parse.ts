// parseSip: Buffer in, SipMessage or { error } out, never an exception. The start line is read
// here; one pass over the header lines (header-scan.wat, WebAssembly with SIMD) records where each
// name and value lies; the structured fields are parsed lazily (message.ts) from the Latin-1 text
// (one decode per message) and the Buffer. On this machine a JS loop step costs ~1 ns and
// String#indexOf ~17 ns a call; the SIMD scan looks at 16 bytes a step, and the whole parse takes
// two thirds of the time it took with a native indexOf per line and a JS loop per name.

import { HEADER_SCAN_WASM } from './header-scan-wasm.ts';
import { SipMessage } from './message.ts';
import type { SipParseError, SipParseErrorReason } from './types.ts';

/** The size cap: a SIP datagram cannot exceed this; over TCP, larger frames are suspect anyway. */
export const MAX_MESSAGE_BYTES = 65535;
/** Header lines allowed; real messages carry 10-40. */
export const MAX_HEADERS = 256;

const ERRORS = new Map<SipParseErrorReason, SipParseError>();

/** Shared frozen error objects: the reason is the signal, and allocating one per bad packet buys nothing. */
function fail(reason: SipParseErrorReason): SipParseError {
  let e = ERRORS.get(reason);
  if (e === undefined) {
    e = Object.freeze({ error: reason });
    ERRORS.set(reason, e);
  }
  return e;
}

export function isSipParseError(r: SipMessage | SipParseError): r is SipParseError {
  return (r as SipParseError).error !== undefined;
}

let faults = 0;

/** How many times the scan threw (a parser bug, reported as 'bad-start-line'); the fuzz test wants 0. */
export function parserFaults(): number {
  return faults;
}

export function parseSip(buf: Buffer): SipMessage | SipParseError {
  try {
    return scanMessage(buf);
  } catch {
    // Unreachable by design (the fuzz test holds this); kept so a bug cannot take the daemon down.
    faults++;
    return fail('bad-start-line');
  }
}

type Latin1Buffer = Buffer & { latin1Slice(start: number, end: number): string };

/** RFC 3261 token characters (a method must be one token). */
const TOKEN = new Uint8Array(256);
for (const c of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.!%*_+`'~-") TOKEN[c.charCodeAt(0)] = 1;

/**
 * What the start line and header scan found, filled in by one parse and handed to the message.
 * One module-level instance: parseSip is synchronous, so no two parses share it at once.
 */
const found = {
  method: null as string | null,
  uriStart: 0,
  uriEnd: 0,
  status: null as number | null,
  reason: null as string | null,
  folded: false,
  bodyStart: -1,
};

/** The header slots of the last scan (see message.ts for the layout), handed to the message. */
let slots: number[] = [];

function scanMessage(buf: Buffer): SipMessage | SipParseError {
  if (buf.length > MAX_MESSAGE_BYTES) return fail('too-large');
  const n = buf.length | 0; // a small integer for the JIT (see scanHeaders)
  let pos = 0;
  // RFC 5626 keep-alives and stray line ends before the start line are skipped.
  while (pos < n && (buf[pos] === 13 || buf[pos] === 10)) pos++;
  if (pos === n) return fail('empty');
  // latin1Slice skips Buffer#toString's argument juggling; one char per byte keeps offsets shared.
  const text = (buf as Latin1Buffer).latin1Slice(0, n);
  const nl = text.indexOf('\n', pos);
  if (nl < 0) return fail('truncated');
  const lineEnd = buf[nl - 1] === 13 ? nl - 1 : nl;
  const startError = parseStartLine(text, buf, pos, lineEnd);
  if (startError) return fail(startError);
  const count = scanHeaders(buf, nl + 1);
  if (count < 0) return fail(HEADER_ERRORS[-count - 1]);
  const f = found;
  return new SipMessage(text, buf, f.method, f.uriStart, f.uriEnd, f.status, f.reason, slots, f.folded, f.bodyStart);
}

function parseStartLine(text: string, buf: Buffer, pos: number, end: number): SipParseErrorReason | null {
  // The usual request line: a token method, one space, and "SIP/2.0" after the last space.
  let sp1 = pos;
  while (TOKEN[buf[sp1]] === 1) sp1++;
  if (sp1 > pos && sp1 < end && buf[sp1] === 32 && end - sp1 > 8 && buf[end - 8] === 32 && isSip20(buf, end - 7)) {
    return parseRequestLine(text, buf, pos, sp1, end - 8);
  }
  sp1 = pos;
  while (sp1 < end && buf[sp1] !== 32) sp1++;
  if (sp1 === pos || sp1 >= end) return 'bad-start-line';
  if (isSipSlash(buf, pos)) return parseStatusLine(text, buf, pos, sp1, end);
  const sp2 = text.lastIndexOf(' ', end - 1);
  if (sp2 === sp1) return 'bad-start-line';
  for (let k = pos; k < sp1; k++) if (TOKEN[buf[k]] === 0) return 'bad-method';
  if (end - sp2 - 1 !== 7 || !isSip20(buf, sp2 + 1)) return isSipSlash(buf, sp2 + 1) ? 'bad-version' : 'bad-start-line';
  return parseRequestLine(text, buf, pos, sp1, sp2);
}

/** The Request-URI between the first space (sp1) and the last (sp2): no space inside, a scheme. */
function parseRequestLine(text: string, buf: Buffer, pos: number, sp1: number, sp2: number): SipParseErrorReason | null {
  if (text.indexOf(' ', sp1 + 1) < sp2) return 'bad-start-line';
  let colon = sp1 + 1;
  while (colon < sp2 && buf[colon] !== 58) colon++;
  if (colon === sp2 || colon === sp1 + 1) return 'bad-request-uri';
  const f = found;
  f.method = text.slice(pos, sp1);
  f.uriStart = sp1 + 1;
  f.uriEnd = sp2;
  f.status = null;
  f.reason = null;
  return null;
}

/** `SIP/2.0 code reason`: the code is three digits 100..699, then a space or the line end. */
function parseStatusLine(text: string, buf: Buffer, pos: number, sp1: number, end: number): SipParseErrorReason | null {
  if (sp1 !== pos + 7 || !isSip20(buf, pos)) return 'bad-version';
  const d1 = buf[sp1 + 1] - 48;
  const d2 = buf[sp1 + 2] - 48;
  const d3 = buf[sp1 + 3] - 48;
  const codeEndsLine = end === sp1 + 4;
  // Reads past the buffer give NaN, which fails every comparison.
  if (!(d1 >= 1 && d1 <= 6 && d2 >= 0 && d2 <= 9 && d3 >= 0 && d3 <= 9)) return 'bad-status';
  if (!codeEndsLine && buf[sp1 + 4] !== 32) return 'bad-status';
  const f = found;
  f.method = null;
  f.status = d1 * 100 + d2 * 10 + d3;
  f.reason = codeEndsLine ? '' : text.slice(sp1 + 5, end);
  return null;
}

/** True when the bytes begin a response (`SIP/2.0 ...`, any case, after keep-alive CR/LFs): no parse. */
export function isResponseStart(buf: Buffer): boolean {
  let pos = 0;
  while (pos < buf.length && (buf[pos] === 13 || buf[pos] === 10)) pos++;
  return isSipSlash(buf, pos);
}

// RFC 3261 §7.1: the version is case-insensitive (sent upper-case). Bit 0x20 folds ASCII case.
function isSipSlash(buf: Buffer, at: number): boolean {
  return (buf[at] | 0x20) === 115 && (buf[at + 1] | 0x20) === 105 && (buf[at + 2] | 0x20) === 112 && buf[at + 3] === 47;
}

function isSip20(buf: Buffer, at: number): boolean {
  return isSipSlash(buf, at) && buf[at + 4] === 50 && buf[at + 5] === 46 && buf[at + 6] === 48;
}

/** Header scan failures, as the scan returns them: -(index + 1). */
export const HEADER_ERRORS: readonly SipParseErrorReason[] = ['bad-header-line', 'bad-header-name', 'bad-fold', 'too-many-headers'];

/**
 * The header scan (header-scan.wat): where each header's name and value lie, the blank line and
 * whether a header was folded. WebAssembly with SIMD finds line and name ends 16 bytes a step; the
 * JS scan it replaced (a native indexOf per line and a loop per name) took ~1.5x as long for the
 * whole parse (docs/benchmarks.md). The message is copied into the module's memory first.
 */
const scanner = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(HEADER_SCAN_WASM, 'base64'))).exports as {
  memory: WebAssembly.Memory;
  scan(n: number, from: number): number;
};
const scan = scanner.scan;
const scanBytes = new Uint8Array(scanner.memory.buffer, 0, MAX_MESSAGE_BYTES);
/** The header slots, then the body's start and the fold flag (see header-scan.wat). */
const scanOut = new Int32Array(scanner.memory.buffer, 65536, 2 * MAX_HEADERS + 2);
const BODY = 2 * MAX_HEADERS;
const FOLDED = BODY + 1;

/** Scans the header lines from `from`; returns how many headers were recorded, or a negative error. */
function scanHeaders(buf: Buffer, from: number): number {
  scanBytes.set(buf);
  const count = scan(buf.length, from);
  if (count < 0) return count;
  const f = found;
  f.folded = scanOut[FOLDED] === 1;
  f.bodyStart = scanOut[BODY];
  // A plain loop: a typed-array slice of the module's memory cost several times more.
  const out = new Array<number>(2 * count);
  for (let i = 0; i < 2 * count; i++) out[i] = scanOut[i];
  slots = out;
  return count;
}
