// parseSip: Buffer in, SipMessage or { error } out, never an exception. One pass over the header
// lines records names and value offsets; the structured fields are parsed lazily (message.ts).

import { canonicalHeaderName } from './compact.ts';
import { SipMessage, type ScanResult } from './message.ts';
import type { SipParseError, SipParseErrorReason } from './types.ts';

/** The size cap: a SIP datagram cannot exceed this; over TCP, larger frames are suspect anyway. */
export const MAX_MESSAGE_BYTES = 65535;
/** Header lines allowed; real messages carry 10-40. */
export const MAX_HEADERS = 256;

const METHOD_TOKEN = /^[A-Za-z0-9.!%*_+`'~-]+$/;
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

export function parseSip(buf: Buffer): SipMessage | SipParseError {
  try {
    return scanMessage(buf);
  } catch {
    // Unreachable by design (the fuzz test holds this); kept so a bug cannot take the daemon down.
    return fail('bad-start-line');
  }
}

function scanMessage(buf: Buffer): SipMessage | SipParseError {
  if (buf.length > MAX_MESSAGE_BYTES) return fail('too-large');
  const text = buf.toString('latin1');
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
    names: [],
    spans: [],
    folded: false,
    bodyStart: -1,
  };
  const startError = parseStartLine(text.slice(pos, lineEnd), scan);
  if (startError) return fail(startError);
  const headerError = scanHeaders(text, nl + 1, scan);
  if (headerError) return fail(headerError);
  return new SipMessage(scan);
}

function parseStartLine(line: string, scan: ScanResult): SipParseErrorReason | null {
  const sp1 = line.indexOf(' ');
  if (sp1 <= 0) return 'bad-start-line';
  if (line.charCodeAt(0) === 83 /* S */ && line.startsWith('SIP/')) {
    if (line.slice(0, sp1) !== 'SIP/2.0') return 'bad-version';
    const code = line.slice(sp1 + 1, sp1 + 4);
    const codeEndsLine = line.length === sp1 + 4;
    if (!/^[1-6]\d\d$/.test(code) || (!codeEndsLine && line.charCodeAt(sp1 + 4) !== 32)) return 'bad-status';
    scan.status = Number(code);
    scan.reason = line.slice(sp1 + 5);
    return null;
  }
  const sp2 = line.lastIndexOf(' ');
  if (sp2 === sp1) return 'bad-start-line';
  const method = line.slice(0, sp1);
  const uri = line.slice(sp1 + 1, sp2);
  if (!METHOD_TOKEN.test(method)) return 'bad-method';
  if (line.slice(sp2 + 1).toUpperCase() !== 'SIP/2.0') return line.slice(sp2 + 1).startsWith('SIP/') ? 'bad-version' : 'bad-start-line';
  if (uri.indexOf(' ') >= 0) return 'bad-start-line';
  if (uri.indexOf(':') <= 0) return 'bad-request-uri';
  scan.method = method;
  scan.requestUri = uri;
  return null;
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9;
}

function scanHeaders(text: string, from: number, scan: ScanResult): SipParseErrorReason | null {
  const { names, spans } = scan;
  const n = text.length;
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
      if (names.length === 0) return 'bad-fold';
      if (end > pos) spans[spans.length - 1] = end;
      scan.folded = true;
    } else {
      const err = scanHeaderLine(text, pos, end, scan);
      if (err) return err;
    }
    if (nl < 0) break;
    pos = nl + 1;
  }
  return null;
}

function scanHeaderLine(text: string, pos: number, end: number, scan: ScanResult): SipParseErrorReason | null {
  const colon = text.indexOf(':', pos);
  if (colon < 0 || colon >= end) return 'bad-header-line';
  let nameEnd = colon;
  while (nameEnd > pos && isBlank(text.charCodeAt(nameEnd - 1))) nameEnd--;
  if (nameEnd === pos) return 'bad-header-name';
  for (let k = pos; k < nameEnd; k++) {
    const c = text.charCodeAt(k);
    if (c <= 32 || c >= 127) return 'bad-header-name';
  }
  if (scan.names.length >= MAX_HEADERS) return 'too-many-headers';
  let vs = colon + 1;
  while (vs < end && isBlank(text.charCodeAt(vs))) vs++;
  scan.names.push(canonicalHeaderName(text.slice(pos, nameEnd)));
  scan.spans.push(vs, end);
  return null;
}
