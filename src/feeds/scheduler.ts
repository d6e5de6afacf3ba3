// Runs each feed on its own schedule (APIBAN: a random 4-22 minutes each time, so a fleet of PBXs
// does not hit it in step). Failures back off by kind: a refused key waits hours (no retry storm),
// a rate limit waits it out and resumes from the saved ID, anything else backs off exponentially
// with jitter. next_run is saved so a restart keeps the rhythm instead of hammering the feed.
import type { Feed, FeedProgress, FeedSyncResult } from './feed.ts';
import { runFeedSync, type FeedRunDeps } from './runner.ts';

export const UNAUTHORIZED_BACKOFF_MS = 6 * 3600_000;
export const RATE_LIMIT_BACKOFF_MS = 2 * 60_000;
export const TRANSIENT_BASE_MS = 30_000;
export const TRANSIENT_MAX_MS = 30 * 60_000;

/** How long to wait after the n-th failure in a row (n ≥ 1). */
export function backoffDelay(error: NonNullable<FeedSyncResult['error']>, failures: number, random: () => number): number {
  switch (error.kind) {
    case 'unauthorized':
      return UNAUTHORIZED_BACKOFF_MS;
    case 'rate-limited':
      return Math.max(error.retryAfterMs ?? 0, RATE_LIMIT_BACKOFF_MS) + Math.round(random() * 30_000);
    default: {
      const exp = Math.min(TRANSIENT_BASE_MS * 2 ** Math.min(failures - 1, 16), TRANSIENT_MAX_MS);
      return Math.round(exp * (0.5 + random() * 0.5)); // jitter so many agents spread out
    }
  }
}

export interface SchedulerOptions {
  feeds: readonly Feed[];
  deps: Omit<FeedRunDeps, 'signal' | 'onProgress'>;
  random?: () => number;
  /** Called after every scheduled or manual sync (the daemon logs it and updates metrics). */
  onResult?: (r: FeedSyncResult) => void;
}

interface FeedSlot {
  feed: Feed;
  failures: number;
  timer: NodeJS.Timeout | null;
  running: Promise<FeedSyncResult> | null;
  nextRun: number | null;
}

export class FeedScheduler {
  private readonly slots = new Map<string, FeedSlot>();
  private readonly random: () => number;
  private signal: AbortSignal | null = null;

  constructor(private readonly opts: SchedulerOptions) {
    this.random = opts.random ?? Math.random;
    for (const feed of opts.feeds) this.slots.set(feed.id, { feed, failures: 0, timer: null, running: null, nextRun: null });
  }

  /** Starts the timers; a saved next_run in the future is honoured, one in the past runs now. */
  start(signal: AbortSignal): void {
    this.signal = signal;
    signal.addEventListener('abort', () => this.clearTimers(), { once: true });
    const now = this.opts.deps.clock.now();
    for (const slot of this.slots.values()) {
      const saved = this.opts.deps.store.feedState(slot.feed.id)?.next_run ?? null;
      const cap = Math.max(slot.feed.nextInterval(), UNAUTHORIZED_BACKOFF_MS);
      this.arm(slot, saved !== null && saved > now ? Math.min(saved - now, cap) : 0);
    }
  }

  /** Syncs one feed (or all) now, outside the schedule; the schedule then restarts from here. */
  async syncNow(name?: string, onProgress?: (p: FeedProgress) => void): Promise<FeedSyncResult[]> {
    const slots = name === undefined ? [...this.slots.values()] : [this.slots.get(name)].filter((s): s is FeedSlot => !!s);
    const out: FeedSyncResult[] = [];
    for (const slot of slots) out.push(await this.run(slot, onProgress));
    return out;
  }

  /** Stops the timers and waits for syncs in flight (they stop at their next page via the signal). */
  async stop(): Promise<void> {
    this.clearTimers();
    await Promise.allSettled([...this.slots.values()].map((s) => s.running));
  }

  status(): { feed: string; nextRun: number | null; failures: number; running: boolean }[] {
    return [...this.slots.values()].map((s) => ({ feed: s.feed.id, nextRun: s.nextRun, failures: s.failures, running: s.running !== null }));
  }

  private clearTimers(): void {
    for (const slot of this.slots.values()) {
      if (slot.timer) clearTimeout(slot.timer);
      slot.timer = null;
    }
  }

  private arm(slot: FeedSlot, delay: number): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    if (!this.signal || this.signal.aborted) return;
    slot.nextRun = this.opts.deps.clock.now() + delay;
    this.opts.deps.store.updateFeedState(slot.feed.id, { next_run: slot.nextRun });
    slot.timer = setTimeout(() => void this.run(slot), delay);
    slot.timer.unref();
  }

  private async run(slot: FeedSlot, onProgress?: (p: FeedProgress) => void): Promise<FeedSyncResult> {
    while (slot.running) await slot.running; // one sync per feed at a time
    const signal = this.signal ?? new AbortController().signal;
    slot.running = runFeedSync(slot.feed, { ...this.opts.deps, signal, onProgress });
    try {
      const result = await slot.running;
      slot.failures = result.status === 'error' ? slot.failures + 1 : 0;
      const delay = result.error && result.status === 'error' ? backoffDelay(result.error, slot.failures, this.random) : slot.feed.nextInterval();
      this.arm(slot, delay);
      this.opts.onResult?.(result);
      return result;
    } finally {
      slot.running = null;
    }
  }
}
