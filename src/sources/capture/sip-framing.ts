// SIP over a byte stream (TCP): where one message ends and the next begins. RFC 3261 §18.3: the
// header ends at the first empty line and Content-Length (mandatory on streams) gives the body's
// size; CRLFs between messages are keep-alives (RFC 5626 §3.5.1). The reassembler (tcp-stream.ts)
// feeds the in-order bytes of one direction of one connection here.

/** The longest start line we accept: longer lines are not SIP (or not worth reading). */
export const MAX_START_LINE = 2048;

export type Cut =
  /** A whole message in buf[start, end); the next one begins at end. */
  | { kind: 'message'; start: number; end: number }
  /** Only keep-alives or an unfinished message so far: buf[start..] waits for more bytes. */
  | { kind: 'more'; start: number }
  /** The bytes at start are not a SIP message we can frame; the stream must resync. */
  | { kind: 'bad'; start: number; reason: 'tcp-not-sip' | 'tcp-bad-content-length' | 'tcp-oversize-message' };

// A request line (token SP Request-URI SP SIP/2.0) or a status line (SIP/2.0 SP 3DIGIT SP reason).
const START_LINE = String.raw`(?:[A-Za-z][A-Za-z0-9.!%*_+\x60'~-]{0,31} [^ \r\n]{1,2000} SIP\/2\.0|SIP\/2\.0 [1-6]\d\d(?: [^\r\n]*)?)\r?\n`;
const ONE_START_LINE = new RegExp(`^${START_LINE}$`);
const START_LINES = new RegExp(`^${START_LINE}`, 'gm');
const CONTENT_LENGTH = /^(?:content-length|l)[ \t]*:[ \t]*(\d{1,9})[ \t]*\r?$/gim;


/**
 * The first message in buf from offset `from`, skipping keep-alive CRLFs. maxMessage bounds
 * header plus body: a bigger message cannot be held, so it is 'bad' rather than waited for.
 */
export function cutSipMessage(buf: Buffer, from: number, maxMessage: number): Cut {
  let start = from;
  while (start < buf.length && (buf[start] === 13 || buf[start] === 10)) start++;
  if (start >= buf.length) return { kind: 'more', start };
  const lineEnd = buf.indexOf(10, start);
  if (lineEnd === -1) {
    const tooLong = buf.length - start > MAX_START_LINE;
    return tooLong || !/^[A-Za-z]/.test(String.fromCharCode(buf[start])) ? { kind: 'bad', start, reason: 'tcp-not-sip' } : { kind: 'more', start };
  }
  if (!ONE_START_LINE.test(buf.toString('latin1', start, lineEnd + 1))) return { kind: 'bad', start, reason: 'tcp-not-sip' };
  const header = headerEnd(buf, lineEnd);
  if (header === -1) return buf.length - start > maxMessage ? { kind: 'bad', start, reason: 'tcp-oversize-message' } : { kind: 'more', start };
  const length = contentLength(buf.toString('latin1', start, header));
  if (length === null) return { kind: 'bad', start, reason: 'tcp-bad-content-length' };
  const end = header + length;
  if (end - start > maxMessage) return { kind: 'bad', start, reason: 'tcp-oversize-message' };
  return end <= buf.length ? { kind: 'message', start, end } : { kind: 'more', start };
}

/** Where the body begins: after the first CRLFCRLF or bare LFLF past the start line, or -1. */
function headerEnd(buf: Buffer, lineEnd: number): number {
  const crlf = buf.indexOf('\r\n\r\n', lineEnd - 1, 'latin1');
  const lf = buf.indexOf('\n\n', lineEnd, 'latin1');
  if (crlf === -1) return lf === -1 ? -1 : lf + 2;
  return lf === -1 || crlf < lf ? crlf + 4 : lf + 2;
}

/**
 * The body length: Content-Length (or compact `l`), 0 when absent (the header alone is what the
 * signatures read). Two different values make the framing ambiguous: null.
 */
function contentLength(header: string): number | null {
  let value: number | null = null;
  for (const m of header.matchAll(CONTENT_LENGTH)) {
    const n = Number(m[1]);
    if (value !== null && n !== value) return null;
    value = n;
  }
  return value ?? 0;
}

/**
 * Where a SIP start line begins in buf (at a line start, from offset 0), or -1. Used to resync a
 * stream joined mid-way or after lost bytes: everything before it is dropped.
 */
export function findStartLine(buf: Buffer): number {
  const text = buf.toString('latin1');
  START_LINES.lastIndex = 0;
  for (let m = START_LINES.exec(text); m; m = START_LINES.exec(text)) {
    // The m flag also counts a bare CR as a line end; only LF (or the buffer's start) does here.
    if (m.index === 0 || text.charCodeAt(m.index - 1) === 10) return m.index;
    START_LINES.lastIndex = m.index + 1;
  }
  return -1;
}
