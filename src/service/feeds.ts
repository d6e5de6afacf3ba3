// Builds the feeds stage over the store and the firewall backend, for the CLI and the daemon.
import type { Config } from '../config/schema.ts';
import type { Clock } from '../core/clock.ts';
import type { Logger } from '../core/log.ts';
import type { FirewallBackend, Policy } from '../enforce/index.ts';
import { createFeedDeps, createFeeds, createStoreSink, type Feed, type FeedRunDeps } from '../feeds/index.ts';
import type { Store } from '../store/store.ts';

export interface FeedWiring {
  feeds: Feed[];
  deps: Omit<FeedRunDeps, 'signal' | 'onProgress'>;
}

export function wireFeeds(config: Config, store: Store, backend: FirewallBackend, policy: Policy, clock: Clock, log: Logger): FeedWiring {
  const sink = createStoreSink(store, backend, clock);
  // Friends and the host's own addresses are already in the policy (names resolved).
  const deps = createFeedDeps(config, { store, sink, clock, log, friends: policy.friends.map((f) => f.text) });
  return { feeds: createFeeds(config), deps };
}
