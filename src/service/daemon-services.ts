// The daemon's optional parts, built from the config: detection (sources, signatures, rules) and
// the feed scheduler. Each is a Service the daemon starts in order and stops in reverse.
import { configuredSignatures } from './signatures.ts';
import { AsteriskSignatureStats } from '../detect/signatures/index.ts';
import { Detection } from '../detection.ts';
import { FeedScheduler } from '../feeds/index.ts';
import { wireFeeds } from './feeds.ts';
import type { Daemon, Service } from '../main.ts';
import { createSources } from '../sources/index.ts';

function detectionService(d: Daemon): Service | null {
  const sources = createSources(d.config, { log: d.log, clock: d.clock });
  if (sources.length === 0) return null;
  const refusals = new AsteriskSignatureStats();
  const detection = new Detection({
    config: d.config,
    sources,
    signatures: configuredSignatures(d.config, { stats: refusals }),
    refusals,
    bans: () => d.bans,
    store: d.store,
    clock: d.clock,
    log: d.log.child({ stage: 'detect' }),
    isFriend: (ip) => d.isFriend(ip), // the daemon's current friends, also after a reload
  });
  return detection;
}

function feedService(d: Daemon): Service | null {
  const { feeds, deps } = wireFeeds(d.config, d.store, d.backend, d.policy, d.clock, d.log);
  if (feeds.length === 0) return null;
  const scheduler = new FeedScheduler({
    feeds,
    deps,
    onResult: (r) => d.log.info({ feed: r.feed, status: r.status, entries: r.entries, added: r.added, removed: r.removed, error: r.error?.message }, 'feed synced'),
  });
  const abort = new AbortController();
  return {
    name: 'feeds',
    start: async () => scheduler.start(abort.signal),
    stop: async () => {
      abort.abort();
      await scheduler.stop();
    },
    status: () => scheduler.status(),
  };
}

export function services(d: Daemon): Service[] {
  return [detectionService(d), feedService(d)].filter((s): s is Service => s !== null);
}
