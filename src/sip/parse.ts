// parseSip: Buffer in, SipMessage or { error } out, never an exception. One pass over the header
// lines records where each name and value lies (plus a cheap name hash); the structured fields are
// parsed lazily (message.ts). This machine runs about 3 ns per JS loop step, so the scan leans on
// native String#indexOf and touches few characters itself.

import { nameHash } from './compact.ts';
import { SipMessage, type ScanResult } from './message.ts';
import type { SipParseError, SipParseErrorReason } from './types.ts';

/** The size cap: a SIP datagram cannot exceed this; over TCP, larger frames are suspect anyway. */
export const MAX_MESSAGE_BYTES = 65535;
/** Header lines allowed; real messages carry 10-40. */
export const MAX_HEADERS = 256;

const METHOD_TOKEN = /^[A-Za-z0-9.!%*_+`'~-]+$/;
const KNOWN_METHODS = new Set([
  'REGISTER', 'INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'SUBSCRIBE', 'NOTIFY', 'INFO', 'UPDATE',
  'PRACK', 'REFER', 'MESSAGE', 'PUBLISH',
]);
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

function scanMessage(buf: Buffer): SipMessage | SipParseError {
  if (buf.length > MAX_MESSAGE_BYTES) return fail('too-large');
  // latin1Slice skips Buffer#toString's argument juggling; one char per byte keeps offsets shared.
  const text = (buf as Latin1Buffer).latin1Slice(0, buf.length);
  const n = text.length;
  let pos = 0;
  // RFC 5626 keep-alives and stray line ends before the start line are skipped.
  while (pos < n && (text.charCodeAt(pos) === 13 || text.charCodeAt(pos) === 10)) pos++;
  if (pos === n) return fail('empty');
  const nl = text.indexOf('\n', pos);
  if (nl < 0) return fail('truncated');
  const lineEnd = text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
  const scan: ScanResult = {
    text,
    buf,
    method: null,
    requestUri: null,
    status: null,
    reason: null,
    index: [],
    folded: false,
    bodyStart: -1,
  };
  const startError = parseStartLine(text, pos, lineEnd, scan);
  if (startError) return fail(startError);
  const headerError = scanHeaders(text, nl + 1, scan);
  if (headerError) return fail(headerError);
  return new SipMessage(scan);
}

function parseStartLine(text: string, pos: number, end: number, scan: ScanResult): SipParseErrorReason | null {
  const sp1 = text.indexOf(' ', pos);
  if (sp1 <= pos || sp1 >= end) return 'bad-start-line';
  if (startsWithSip(text, pos)) {
    if (sp1 !== pos + 7 || !isSip20(text, pos)) return 'bad-version';
    const code = text.slice(sp1 + 1, sp1 + 4);
    const codeEndsLine = end === sp1 + 4;
    if (!/^[1-6]\d\d$/.test(code) || (!codeEndsLine && text.charCodeAt(sp1 + 4) !== 32)) return 'bad-status';
    scan.status = Number(code);
    scan.reason = codeEndsLine ? '' : text.slice(sp1 + 5, end);
    return null;
  }
  const sp2 = text.lastIndexOf(' ', end - 1);
  if (sp2 === sp1) return 'bad-start-line';
  const method = text.slice(pos, sp1);
  if (!KNOWN_METHODS.has(method) && !METHOD_TOKEN.test(method)) return 'bad-method';
  if (end - sp2 - 1 !== 7 || !isSip20(text, sp2 + 1)) {
    return startsWithSip(text, sp2 + 1) ? 'bad-version' : 'bad-start-line';
  }
  const uri = text.slice(sp1 + 1, sp2);
  if (uri.indexOf(' ') >= 0) return 'bad-start-line';
  if (uri.indexOf(':') <= 0) return 'bad-request-uri';
  scan.method = method;
  scan.requestUri = uri;
  return null;
}

// RFC 3261 §7.1: the version is case-insensitive (sent upper-case); the fast path is the upper case.
function startsWithSip(text: string, at: number): boolean {
  const c = text.charCodeAt(at);
  if (c !== 83 && c !== 115) return false; // every request line but a lower-case "sip/" one leaves here
  return text.startsWith('SIP/', at) || text.slice(at, at + 4).toUpperCase() === 'SIP/';
}

function isSip20(text: string, at: number): boolean {
  return text.startsWith('SIP/2.0', at) || text.slice(at, at + 7).toUpperCase() === 'SIP/2.0';
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9;
}

function scanHeaders(text: string, from: number, scan: ScanResult): SipParseErrorReason | null {
  const index = scan.index;
  const n = text.length;
  const hasTab = text.indexOf('\t', from) >= 0;
  let nextSpace = -2;
  let pos = from;
  while (pos < n) {
    const nl = text.indexOf('\n', pos);
    let end = nl < 0 ? n : nl;
    if (end > pos && text.charCodeAt(end - 1) === 13) end--;
    if (end === pos) {
      scan.bodyStart = nl < 0 ? n : nl + 1;
      return null;
    }
    while (end > pos && isBlank(text.charCodeAt(end - 1))) end--;
    if (isBlank(text.charCodeAt(pos))) {
      // A continuation line (RFC 3261 §7.3.1): it extends the previous header's value.
      if (index.length === 0) return 'bad-fold';
      if (end > pos) index[index.length - 1] = end;
      scan.folded = true;
    } else {
      if (nextSpace !== -1 && nextSpace < pos) nextSpace = text.indexOf(' ', pos);
      const err = scanHeaderLine(text, pos, end, index, hasTab, nextSpace);
      if (err) return err;
    }
    if (nl < 0) break;
    pos = nl + 1;
  }
  return null;
}

/**
 * Appends [hash, nameStart, nameEnd, valueStart, valueEnd] for one `Name: value` line. The name ends
 * at the FIRST colon: `User-Agent:friendly-scanner: x` is a User-Agent, as every SIP stack reads
 * it (a shortcut through the first space once hid it). `nextSpace` is the first space at or after
 * the line start, kept across lines by the caller so the searches stay linear.
 */
function scanHeaderLine(text: string, pos: number, end: number, index: number[], hasTab: boolean, nextSpace: number): SipParseErrorReason | null {
  const colon = text.indexOf(':', pos);
  if (colon < 0 || colon >= end) return 'bad-header-line';
  let nameEnd = colon;
  while (nameEnd > pos && isBlank(text.charCodeAt(nameEnd - 1))) nameEnd--;
  if (nameEnd === pos) return 'bad-header-name';
  // Whitespace inside a name is malformed; other odd bytes just make a name nothing looks up.
  // Tabs are rare, so the name is scanned for one only when the message has a tab at all.
  if (nextSpace >= pos && nextSpace < nameEnd) return 'bad-header-name';
  if (hasTab) for (let k = pos; k < nameEnd; k++) if (text.charCodeAt(k) === 9) return 'bad-header-name';
  if (index.length >= MAX_HEADERS * 5) return 'too-many-headers';
  let vs = colon + 1;
  while (vs < end && isBlank(text.charCodeAt(vs))) vs++;
  index.push(nameHash(text, pos, nameEnd), pos, nameEnd, vs, end);
  return null;
}
