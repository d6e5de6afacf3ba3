// A bounded queue from a push-based socket to a pull-based async iterator. UDP cannot be slowed
// down, so when the consumer falls behind, new items are dropped (and counted) instead of growing
// memory without bound.

export class DropQueue<T> {
  private items: T[] = [];
  private head = 0;
  private wake: (() => void) | null = null;
  private failure: unknown = null;

  constructor(
    private readonly max: number,
    private readonly onDrop: () => void,
  ) {}

  push(item: T): void {
    if (this.items.length - this.head >= this.max) return this.onDrop();
    this.items.push(item);
    this.notify();
  }

  /** Ends the iteration with an error (the socket failed). */
  fail(e: unknown): void {
    this.failure = e;
    this.notify();
  }

  /** Yields items until the signal aborts; throws what fail() was given. */
  async *drain(signal: AbortSignal): AsyncGenerator<T> {
    const onAbort = (): void => this.notify();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      while (!signal.aborted) {
        if (this.head < this.items.length) {
          const item = this.items[this.head++];
          if (this.head > 1024 && this.head * 2 > this.items.length) this.compact();
          yield item;
          continue;
        }
        if (this.failure !== null) throw this.failure;
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  private compact(): void {
    this.items = this.items.slice(this.head);
    this.head = 0;
  }

  private notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }
}
