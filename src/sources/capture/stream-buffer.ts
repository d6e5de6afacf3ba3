// The in-order bytes of one TCP flow not yet cut into messages. Segments are appended into spare
// capacity (doubling when full), and cut messages are consumed from the front by moving a start
// offset, so a byte is copied a bounded number of times however small the segments are: the
// old way (concatenating the whole buffer on every segment) let 1-byte segments cost O(n²).
const MIN_CAPACITY = 2048;

export class StreamBuffer {
  private store = Buffer.alloc(0);
  private start = 0;
  private end = 0;

  get length(): number {
    return this.end - this.start;
  }

  /** The buffered bytes: a view, valid until the next append or consume. */
  view(): Buffer {
    return this.store.subarray(this.start, this.end);
  }

  /** Copies data in (never keeps a view of the caller's buffer: captures reuse theirs). */
  append(data: Buffer): void {
    if (data.length === 0) return;
    if (this.end + data.length > this.store.length) this.makeRoom(data.length);
    data.copy(this.store, this.end);
    this.end += data.length;
  }

  /** Drops n bytes from the front. */
  consume(n: number): void {
    this.start += Math.min(n, this.length);
    if (this.start === this.end) return this.clear();
    // Give back a big store once little of it is used (a large message was just cut).
    if (this.store.length > 4 * MIN_CAPACITY && this.length * 4 < this.store.length) this.resize(this.length * 2);
  }

  clear(): void {
    this.store = Buffer.alloc(0);
    this.start = this.end = 0;
  }

  private makeRoom(extra: number): void {
    const needed = this.length + extra;
    // Moving the live bytes to the front is enough when at most half the store would be in use.
    if (needed * 2 <= this.store.length) {
      this.store.copy(this.store, 0, this.start, this.end);
      [this.start, this.end] = [0, this.length];
      return;
    }
    this.resize(Math.max(needed, this.store.length * 2, this.store.length === 0 ? 0 : MIN_CAPACITY));
  }

  private resize(capacity: number): void {
    const next = Buffer.allocUnsafe(capacity);
    this.store.copy(next, 0, this.start, this.end);
    [this.store, this.start, this.end] = [next, 0, this.length];
  }
}
