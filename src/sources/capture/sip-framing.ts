// SIP over a byte stream (TCP): where one message ends and the next begins. RFC 3261 §18.3: the
// header ends at the first empty line and Content-Length (mandatory on streams) gives the body's
// size; CRLFs between messages are keep-alives (RFC 5626 §3.5.1). The reassembler (tcp-stream.ts)
// feeds the in-order bytes of one direction of one connection here.

import { isLetter } from '../../sip/codes.ts';

/** The longest start line we accept: longer lines are not SIP (or not worth reading). */
export const MAX_START_LINE = 2048;

export type Cut =
  /** A whole message in buf[start, end); the next one begins at end. */
  | { kind: 'message'; start: number; end: number }
  /** Only keep-alives or an unfinished message so far: buf[start..] waits for more bytes. */
  | { kind: 'more'; start: number }
  /**
   * The bytes at start are not a SIP message we can frame; the stream must resync from `skip`:
   * past the start line, or past the whole header when the header is what is wrong (a start line
   * inside it would share its end and its Content-Length lines: resyncing there rescans them);
   * for an oversize message with no header end yet, from the start of its last line; for an
   * unfinished line that cannot begin a message, past all the bytes held.
   */
  | { kind: 'bad'; start: number; skip: number; reason: 'tcp-not-sip' | 'tcp-bad-content-length' | 'tcp-oversize-message' };

// A request line (token SP Request-URI SP SIP/2.0) or a status line (SIP/2.0 SP 3DIGIT SP reason).
const START_LINE = String.raw`(?:[A-Za-z][A-Za-z0-9.!%*_+\x60'~-]{0,31} [^ \r\n]{1,2000} SIP\/2\.0|SIP\/2\.0 [1-6]\d\d(?: [^\r\n]*)?)\r?\n`;
const ONE_START_LINE = new RegExp(`^${START_LINE}$`);
// The value is checked apart (contentLength): a line that names the header but whose value is not
// plain digits must make the framing fail, never read as absent (0): that would let the body hide
// the next message.
const CONTENT_LENGTH = /^(?:content-length|l)[ \t]*:([^\r\n]*)$/gim;
const DIGITS = /^[ \t]*(\d+)[ \t]*\r?$/;


/**
 * How far the scan of the unfinished message at the front of a stream got, so that the next
 * segment resumes there instead of rescanning (which made small segments cost O(n²)). Offsets are
 * into the buffer passed to cutSipMessage; the caller shifts them when it drops bytes in front.
 */
export interface FrameScan {
  /** Where the message's start line begins, or -1 while only keep-alives were seen. */
  start: number;
  /** Where the search for the start line's LF resumes. */
  lineFrom: number;
  /** The start line was checked: the header-end search resumes at headerFrom. */
  headerFrom: number;
  /** The message's end once the header and Content-Length are read, else -1. */
  end: number;
}

export const newFrameScan = (): FrameScan => ({ start: -1, lineFrom: -1, headerFrom: -1, end: -1 });

/** Shifts a scan's offsets after `n` bytes were dropped from the front of its buffer. */
export function shiftFrameScan(scan: FrameScan, n: number): void {
  if (scan.start === -1) return;
  scan.start -= n;
  scan.lineFrom -= n;
  if (scan.headerFrom !== -1) scan.headerFrom -= n;
  if (scan.end !== -1) scan.end -= n;
}

/** Work done by the framing, for tests that check it stays linear in the bytes. */
export const framingWork = { bytesScanned: 0 };

/**
 * The first message in buf from offset `from`, skipping keep-alive CRLFs. maxMessage bounds
 * header plus body: a bigger message cannot be held, so it is 'bad' rather than waited for.
 * `scan` carries progress between calls on the same growing buffer: pass a fresh one
 * (newFrameScan) for each new message, and the same one again while the answer is 'more'.
 */
export function cutSipMessage(buf: Buffer, from: number, maxMessage: number, scan: FrameScan = newFrameScan()): Cut {
  if (scan.start === -1) {
    let start = from;
    while (start < buf.length && (buf[start] === 13 || buf[start] === 10)) start++;
    framingWork.bytesScanned += start - from;
    if (start >= buf.length) return { kind: 'more', start };
    [scan.start, scan.lineFrom] = [start, start];
  }
  const start = scan.start;
  if (scan.end !== -1) return scan.end <= buf.length ? { kind: 'message', start, end: scan.end } : { kind: 'more', start };
  if (scan.headerFrom === -1) {
    const bad = checkStartLine(buf, scan);
    if (bad) return bad;
    if (scan.headerFrom === -1) return { kind: 'more', start };
  }
  const header = headerEnd(buf, scan);
  // Too big and no end of header: no message inside these bytes can end before they do either.
  if (header === -1) return buf.length - start > maxMessage ? { kind: 'bad', start, skip: lastLineStart(buf, start), reason: 'tcp-oversize-message' } : { kind: 'more', start };
  framingWork.bytesScanned += header - start;
  const length = contentLength(buf.toString('latin1', start, header));
  if (length === null) return { kind: 'bad', start, skip: header, reason: 'tcp-bad-content-length' };
  if (header + length - start > maxMessage) return { kind: 'bad', start, skip: header, reason: 'tcp-oversize-message' };
  scan.end = header + length;
  return scan.end <= buf.length ? { kind: 'message', start, end: scan.end } : { kind: 'more', start };
}

/** Checks the start line once its LF is in: sets scan.headerFrom, or says why it is not SIP. */
function checkStartLine(buf: Buffer, scan: FrameScan): Cut | null {
  const start = scan.start;
  const lineEnd = buf.indexOf(10, scan.lineFrom);
  framingWork.bytesScanned += (lineEnd === -1 ? buf.length : lineEnd) - scan.lineFrom;
  if (lineEnd === -1) {
    scan.lineFrom = buf.length;
    const tooLong = buf.length - start > MAX_START_LINE;
    return tooLong || !isLetter(buf[start]) ? { kind: 'bad', start, skip: buf.length, reason: 'tcp-not-sip' } : null;
  }
  if (lineEnd - start > MAX_START_LINE || !ONE_START_LINE.test(buf.toString('latin1', start, lineEnd + 1))) return { kind: 'bad', start, skip: lineEnd + 1, reason: 'tcp-not-sip' };
  scan.headerFrom = lineEnd - 1; // the CRLF ending the start line may begin the CRLFCRLF
  return null;
}

/** Where the last (unfinished) line of buf begins, not before `from`. */
function lastLineStart(buf: Buffer, from: number): number {
  const lf = buf.lastIndexOf(10);
  framingWork.bytesScanned += buf.length - Math.max(lf, 0); // from the end back to the LF, or all of buf
  return Math.max(from + 1, lf + 1);
}

/**
 * Where the body begins: after the first CRLFCRLF or bare LFLF past the start line, or -1. The
 * search resumes where the last one stopped, and the LFLF search stops at the CRLFCRLF found.
 */
function headerEnd(buf: Buffer, scan: FrameScan): number {
  const from = scan.headerFrom;
  const crlf = buf.indexOf('\r\n\r\n', from, 'latin1');
  const lfLimit = crlf === -1 ? buf : buf.subarray(0, crlf + 2);
  const lf = lfLimit.indexOf('\n\n', from + 1, 'latin1');
  framingWork.bytesScanned += (crlf === -1 ? buf.length : crlf) - from;
  if (lf !== -1) return lf + 2;
  if (crlf !== -1) return crlf + 4;
  scan.headerFrom = Math.max(from, buf.length - 3); // a terminator may straddle the next segment
  return -1;
}

/**
 * The body length: Content-Length (or compact `l`), 0 when absent (the header alone is what the
 * signatures read). A value that is not digits ('+60', '6 0', '60;x', empty) or two different
 * values make the framing ambiguous: null. Leading zeros are fine; a huge value reads as a huge
 * number (Infinity at worst), which the caller rejects as oversize.
 */
function contentLength(header: string): number | null {
  let value: number | null = null;
  for (const m of header.matchAll(CONTENT_LENGTH)) {
    const digits = DIGITS.exec(m[1]);
    if (!digits) return null;
    const n = Number(digits[1]);
    if (value !== null && n !== value) return null;
    value = n;
  }
  return value ?? 0;
}

/**
 * Where a SIP start line begins in buf (at a line start, from offset `from`, which must itself be
 * a line start), or -1. Used to resync a stream joined mid-way or after lost bytes: everything
 * before it is dropped. Only each line's first bytes are decoded, so the cost is the distance
 * scanned, never the whole buffer.
 */
export function findStartLine(buf: Buffer, from = 0): number {
  for (let at = from; at < buf.length; ) {
    const lineEnd = buf.indexOf(10, at);
    framingWork.bytesScanned += (lineEnd === -1 ? buf.length : lineEnd + 1) - at;
    if (lineEnd === -1) return -1;
    if (lineEnd - at <= MAX_START_LINE && isLetter(buf[at]) && ONE_START_LINE.test(buf.toString('latin1', at, lineEnd + 1))) return at;
    at = lineEnd + 1;
  }
  return -1;
}
