// SIP over TCP carries messages back to back: one segment can hold several (or part of one). We
// split a segment at message boundaries using Content-Length (RFC 3261 §18.3 makes it mandatory on
// streams). A segment that does not start a message, or ends mid-message, is passed on as it is:
// without stream reassembly we cannot do better, and the SIP parser rejects what it cannot read.

const HEADER_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = /\r\n(?:content-length|l)[ \t]*:[ \t]*(\d{1,9})[ \t]*(?=\r\n|$)/i;

export function splitSipMessages(segment: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let off = 0;
  while (off < segment.length) {
    while (off < segment.length && (segment[off] === 13 || segment[off] === 10)) off++; // CRLF keep-alives
    if (off >= segment.length) break;
    const headerEnd = segment.indexOf(HEADER_END, off);
    if (headerEnd === -1) {
      out.push(segment.subarray(off));
      break;
    }
    const m = CONTENT_LENGTH.exec(segment.toString('latin1', off, headerEnd));
    const end = headerEnd + 4 + (m ? Number(m[1]) : 0);
    if (!m || end > segment.length) {
      out.push(segment.subarray(off));
      break;
    }
    out.push(segment.subarray(off, end));
    off = end;
  }
  return out;
}
