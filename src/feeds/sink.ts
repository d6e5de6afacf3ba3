// Sinks: where feed changes land. The store-backed one keeps one `bans` row per target with origin
// `feed:<name>` and, given a firewall backend, mirrors the change into the feed's own kernel set.
// Both meet store and enforce through the structural interfaces below (stages never import each
// other); Store and FirewallBackend fit them as they are.
import type { Clock } from '../core/clock.ts';
import { systemClock } from '../core/clock.ts';
import type { Ban, Target } from '../core/types.ts';
import type { FeedEntry, FeedSink } from './feed.ts';

/** The part of the store a feed sink uses. */
export interface FeedBanStore {
  getBan(target: Target): { origin: string; expires: number | null } | undefined;
  upsertBan(ban: { target: Target; family: 4 | 6; origin: string; reason: string; expires: number | null }): void;
  deleteBan(target: Target): boolean;
  activeBans(origin?: string): { target: Target; expires: number | null }[];
  transaction<T>(fn: () => T): T;
}

/** The part of a firewall backend a feed sink uses: buffer into the feed's set, then commit once. */
export interface FeedSetWriter {
  add(ban: Ban, set: `feed:${string}`): void;
  remove(target: Target, set: `feed:${string}`): void;
  commit(): Promise<{ failed: { target: Target; error: string }[] }>;
}

export const feedOrigin = (feed: string): string => `feed:${feed}`;

/**
 * Store rows and kernel set for each feed. One row per target, so when a target already has a row
 * from another origin (a rule ban, another feed), the row goes to whichever ban lasts longer: a
 * feed listing (7 days) takes over a 1-hour rule ban, which would otherwise end the ban early;
 * a longer or permanent ban keeps its row. A feed deletes only rows it owns. The kernel set is the
 * feed's own, so it always gets the entry.
 */
export function createStoreSink(store: FeedBanStore, backend?: FeedSetWriter, clock: Clock = systemClock): FeedSink {
  return {
    async apply(feed, add, remove) {
      const origin = feedOrigin(feed);
      const reason = `listed by feed ${feed}`;
      store.transaction(() => {
        for (const e of add) {
          const row = store.getBan(e.target);
          if (row && row.origin !== origin && (row.expires === null || (e.expires !== null && row.expires >= e.expires))) continue;
          store.upsertBan({ target: e.target, family: e.target.includes(':') ? 6 : 4, origin, reason, expires: e.expires });
        }
        for (const t of remove) if (store.getBan(t)?.origin === origin) store.deleteBan(t);
      });
      if (!backend) return;
      const set = origin as `feed:${string}`;
      const now = clock.now();
      for (const e of add) backend.add({ target: e.target, origin, reason, created: now, expires: e.expires, hits: 1 }, set);
      for (const t of remove) backend.remove(t, set);
      const result = await backend.commit();
      if (result.failed.length > 0) {
        throw new Error(`the kernel refused ${result.failed.length} entries of set ${set}, e.g. ${result.failed[0].target}: ${result.failed[0].error}`);
      }
    },
    async current(feed) {
      return new Map(store.activeBans(feedOrigin(feed)).map((b) => [b.target, b.expires]));
    },
  };
}

/** An in-memory sink for tests and dry runs; expired entries drop out of current() by the clock. */
export class MemorySink implements FeedSink {
  readonly feeds = new Map<string, Map<Target, number | null>>();
  /** Every apply call, in order (tests check batching). */
  readonly calls: { feed: string; add: FeedEntry[]; remove: Target[] }[] = [];
  /** Set to make the next apply fail (tests of a sink failure mid-sync). */
  failNext: Error | null = null;

  constructor(private readonly clock: Clock = systemClock) {}

  async apply(feed: string, add: FeedEntry[], remove: Target[]): Promise<void> {
    if (this.failNext) {
      const e = this.failNext;
      this.failNext = null;
      throw e;
    }
    this.calls.push({ feed, add, remove });
    let m = this.feeds.get(feed);
    if (!m) this.feeds.set(feed, (m = new Map()));
    for (const e of add) {
      const old = m.get(e.target);
      m.set(e.target, old === null || e.expires === null ? null : Math.max(old ?? 0, e.expires));
    }
    for (const t of remove) m.delete(t);
  }

  async current(feed: string): Promise<Map<Target, number | null>> {
    const now = this.clock.now();
    return new Map([...(this.feeds.get(feed) ?? [])].filter(([, exp]) => exp === null || exp > now));
  }
}
