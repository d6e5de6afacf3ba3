// Bytes → lines, for log files and subprocess output. Works on Buffers so a UTF-8 character split
// across two reads is decoded whole; a line longer than maxBytes is dropped (counted), not buffered
// without bound.

export const DEFAULT_MAX_LINE_BYTES = 64 * 1024;

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
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      if (this.pendingBytes === 0 && !this.discarding) {
        // The common case, a whole line inside this chunk: decode it in place, no copy.
        if (nl - start > this.maxBytes) this.onOverlong();
        else lines.push(chunk.toString('utf8', start, nl > start && chunk[nl - 1] === 13 ? nl - 1 : nl));
      } else {
        this.append(chunk.subarray(start, nl));
        if (!this.discarding) lines.push(decodeLine(Buffer.concat(this.pending, this.pendingBytes)));
        this.reset();
      }
      start = nl + 1;
    }
    if (start < chunk.length) this.append(chunk.subarray(start));
    return lines;
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
