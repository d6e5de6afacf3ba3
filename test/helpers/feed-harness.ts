// Shared wiring for feed tests: a FakeClock, a real SQLite store (in memory or on disk), the
// store-backed sink and the runner deps with the config's sanity and hold defaults.
import { configSchema, type Config } from '../../src/config/schema.ts';
import { FakeClock } from '../../src/core/clock.ts';
import { silentLogger } from '../../src/core/log.ts';
import { createFeedDeps, createStoreSink, type FeedRunDeps, type FeedSink } from '../../src/feeds/index.ts';
import { Store } from '../../src/store/store.ts';

export interface Harness {
  clock: FakeClock;
  store: Store;
  sink: FeedSink;
  config: Config;
  deps: Omit<FeedRunDeps, 'signal' | 'onProgress'>;
}

export function configWith(feeds: Record<string, unknown>): Config {
  return configSchema.parse({ feeds });
}

export function harness(feeds: Record<string, unknown>, opts: { path?: string; clock?: FakeClock; sink?: FeedSink; friends?: string[]; own?: string[] } = {}): Harness {
  const clock = opts.clock ?? new FakeClock();
  const store = new Store(opts.path ?? ':memory:', clock);
  const sink = opts.sink ?? createStoreSink(store, undefined, clock);
  const config = configWith(feeds);
  const deps = createFeedDeps(config, { store, sink, clock, log: silentLogger, ownAddresses: opts.own ?? ['45.99.99.99'], friends: opts.friends ?? [] });
  return { clock, store, sink, config, deps };
}

/** The targets a feed has in the store now (active rows with origin feed:<name>), sorted. */
export function feedTargets(store: Store, feed: string): string[] {
  return store.activeBans(`feed:${feed}`).map((b) => b.target).sort();
}
