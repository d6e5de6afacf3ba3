// Bytes → lines, for log files and subprocess output. Works on Buffers so a UTF-8 character split
// across two reads is decoded whole; a line longer than maxBytes is dropped (counted), not buffered
// without bound.

export const DEFAULT_MAX_LINE_BYTES = 64 * 1024;

/**
 * Lines are decoded in runs of about this many bytes. A string over 128 KB goes to V8's large-object
 * space, fresh pages every time: decoding 256 KB reads whole took 7x the CPU of 16 KB pieces.
 */
const PIECE_BYTES = 16 * 1024;

export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** True while the current line has overflowed: the rest of it is dropped up to the next newline. */
  private discarding = false;

  constructor(
    private readonly onOverlong: () => void,
    private readonly maxBytes = DEFAULT_MAX_LINE_BYTES,
  ) {}

  /** The complete lines in chunk (plus what was pending), without "\n" or a trailing "\r". */
  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    const last = chunk.lastIndexOf(10);
    if (last === -1) {
      this.append(chunk);
      return lines;
    }
    let start = 0;
    if (this.pendingBytes > 0 || this.discarding) {
      // The line begun in an earlier chunk ends at this chunk's first newline.
      const nl = chunk.indexOf(10);
      this.append(chunk.subarray(0, nl));
      if (!this.discarding) lines.push(decodeLine(Buffer.concat(this.pending, this.pendingBytes)));
      this.reset();
      start = nl + 1;
    }
    // Whole lines are decoded a piece at a time, each piece ending at a newline. A piece holds lines
    // of at most `piece` bytes, never overlong; a line longer than a piece is a piece of its own,
    // judged by its bytes (not its decoded text: an invalid byte decodes to a 3-byte U+FFFD).
    const piece = Math.min(PIECE_BYTES, this.maxBytes);
    while (start <= last) {
      let end = start + piece <= last ? chunk.lastIndexOf(10, start + piece) : last;
      if (end >= start) {
        this.splitWhole(chunk.toString('utf8', start, end + 1), lines);
      } else {
        end = chunk.indexOf(10, start + piece);
        if (end - start > this.maxBytes) this.onOverlong();
        else lines.push(decodeLine(chunk.subarray(start, end)));
      }
      start = end + 1;
    }
    if (last + 1 < chunk.length) this.append(chunk.subarray(last + 1));
    return lines;
  }

  /**
   * Splits text made of whole lines (it ends with "\n"). One decode for a run of lines, then cuts: a
   * native call per line cost more than the signatures that read it. A newline byte is never part of
   * a multi-byte UTF-8 character, so decoding the run gives the same text as line by line.
   */
  private splitWhole(text: string, lines: string[]): void {
    let pos = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', pos)) {
      lines.push(text.slice(pos, nl > pos && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl));
      pos = nl + 1;
    }
  }

  /** The unterminated last line, if any (at the end of a replayed file). */
  flush(): string | null {
    const rest = this.discarding || this.pendingBytes === 0 ? null : decodeLine(Buffer.concat(this.pending));
    this.reset();
    return rest;
  }

  /** Drops everything up to the next newline without counting it (starting mid-line at a file's end). */
  skipToNextLine(): void {
    this.reset();
    this.discarding = true;
  }

  /** Drops a partial line (after a truncation the old beginning no longer belongs to anything). */
  reset(): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.discarding = false;
  }

  private append(part: Buffer): void {
    if (this.discarding || part.length === 0) return;
    if (this.pendingBytes + part.length > this.maxBytes) {
      this.discarding = true;
      this.pending = [];
      this.pendingBytes = 0;
      this.onOverlong();
      return;
    }
    this.pending.push(Buffer.from(part)); // copy: the caller may reuse its read buffer
    this.pendingBytes += part.length;
  }
}

function decodeLine(buf: Buffer): string {
  const end = buf.length > 0 && buf[buf.length - 1] === 13 ? buf.length - 1 : buf.length;
  return buf.toString('utf8', 0, end);
}
