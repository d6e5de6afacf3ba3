// The feeds stage's front door for main, cli and the daemon: build the configured feeds, run one,
// list their state, accept a held sync, ask APIBAN about one address.
import type { Config } from '../config/schema.ts';
import type { Clock } from '../core/clock.ts';
import { AppError } from '../core/errors.ts';
import { normalizeIp, type Prefix } from '../core/ip.ts';
import type { Logger } from '../core/log.ts';
import { createApibanFeed, lastFullMark, type ApibanFeedOptions } from './apiban.ts';
import type { ApibanCheck } from './apiban-client.ts';
import type { Feed, FeedProgress, FeedStateStore, FeedSink, FeedSyncResult } from './feed.ts';
import { createListFeed, type ListFeedOptions } from './list.ts';
import { feedState, parseHeld, runFeedSync, type FeedRunDeps, type HeldSync } from './runner.ts';
import { createSanityFilter, friendMatcher } from './sanity.ts';

export * from './feed.ts';
export { createApibanFeed, type ApibanFeed } from './apiban.ts';
export { ApibanClient, APIBAN_START_ID } from './apiban-client.ts';
export { createListFeed, parseList } from './list.ts';
export { acceptHeld, dropHeld, purgeFeed, runFeedSync, type FeedRunDeps, type HeldSync } from './runner.ts';
export { createSanityFilter, friendMatcher } from './sanity.ts';
export { FeedScheduler, backoffDelay } from './scheduler.ts';
export { createStoreSink, MemorySink, feedOrigin, type FeedBanStore, type FeedSetWriter } from './sink.ts';

export interface CreateFeedsOptions extends Pick<ApibanFeedOptions, 'fetch' | 'random' | 'timeoutMs'>, ListFeedOptions {}

/** The feeds the config enables: APIBAN (when feeds.apiban is set) and each of feeds.lists. */
export function createFeeds(config: Config, opts: CreateFeedsOptions = {}): Feed[] {
  const feeds: Feed[] = [];
  if (config.feeds.apiban) feeds.push(createApibanFeed(config.feeds.apiban, opts));
  for (const list of config.feeds.lists) {
    if (list.name === 'apiban') throw new AppError('ERR_CONFIG_INVALID', `feeds.lists: the name 'apiban' is taken by feeds.apiban`);
    feeds.push(createListFeed(list, opts));
  }
  return feeds;
}

export interface FeedDepsInput {
  store: FeedStateStore;
  sink: FeedSink;
  clock: Clock;
  log: Logger;
  /** The host's addresses; default: every interface address. */
  ownAddresses?: readonly string[];
  /** Friends as addresses/prefixes (DNS names already resolved), or a matcher of your own. */
  friends?: readonly string[] | ((p: Prefix) => boolean);
}

/** Runner deps from the config's feeds.* keys (sanity limits and the hold policy). */
export function createFeedDeps(config: Config, input: FeedDepsInput): Omit<FeedRunDeps, 'signal' | 'onProgress'> {
  const f = config.feeds;
  const isFriend = typeof input.friends === 'function' ? input.friends : friendMatcher(input.friends ?? []);
  return {
    store: input.store,
    sink: input.sink,
    clock: input.clock,
    log: input.log.child({ stage: 'feeds' }),
    sanity: createSanityFilter({ minPrefixV4: f.min_prefix_v4, minPrefixV6: f.min_prefix_v6, ownAddresses: input.ownAddresses, isFriend }),
    hold: { maxChangeRatio: f.max_change_ratio, minEntries: f.hold_min_entries },
  };
}

/** `sipwarden feeds sync [NAME]`: one sync of one feed, a progress line per page. */
export async function syncFeed(
  name: string,
  feeds: readonly Feed[],
  deps: Omit<FeedRunDeps, 'onProgress'>,
  onProgress?: (p: FeedProgress) => void,
): Promise<FeedSyncResult> {
  const feed = feeds.find((f) => f.id === name);
  if (!feed) {
    throw new AppError('ERR_NOT_FOUND', `no feed named '${name}'`, { hint: `configured feeds: ${feeds.map((f) => f.id).join(', ') || 'none'}` });
  }
  return runFeedSync(feed, { ...deps, onProgress });
}

export interface FeedStatus {
  feed: string;
  kind: 'apiban' | 'list';
  /** Where it comes from (the APIBAN URL or the list's URL or file). */
  source: string;
  entries: number;
  lastId: string | null;
  lastSync: number | null;
  lastOk: number | null;
  lastError: string | null;
  nextRun: number | null;
  lastFullResync: number | null;
  held: HeldSync | null;
}

/** `sipwarden feeds`: every configured feed with its saved state (feeds never run show zeros). */
export function listFeedStates(store: FeedStateStore, config: Config): FeedStatus[] {
  const out: FeedStatus[] = [];
  const row = (feed: string, kind: FeedStatus['kind'], source: string): FeedStatus => {
    const s = feedState(store, feed);
    const full = store.getKv(lastFullMark(feed));
    return {
      feed, kind, source, entries: s.entries, lastId: s.last_id, lastSync: s.last_sync, lastOk: s.last_ok,
      lastError: s.last_error, nextRun: s.next_run, lastFullResync: full ? Number(full) : null, held: parseHeld(s.held),
    };
  };
  if (config.feeds.apiban) out.push(row('apiban', 'apiban', config.feeds.apiban.url));
  for (const l of config.feeds.lists) out.push(row(l.name, 'list', l.url ?? l.file ?? ''));
  return out;
}

/** `sipwarden check IP --online`: asks APIBAN whether it lists the address now. */
export async function checkOnline(config: Config, ip: string, opts: CreateFeedsOptions & { signal?: AbortSignal } = {}): Promise<ApibanCheck> {
  if (!config.feeds.apiban) {
    throw new AppError('ERR_USAGE', 'check --online asks APIBAN, but feeds.apiban is not configured', { hint: 'run: sipwarden install --apiban-key KEY' });
  }
  const addr = normalizeIp(ip);
  if (!addr) throw new AppError('ERR_TARGET_INVALID', `invalid IP address '${ip}': expected an IPv4 or IPv6 address like 192.0.2.7`);
  return createApibanFeed(config.feeds.apiban, opts).checkOnline(addr, opts.signal);
}
