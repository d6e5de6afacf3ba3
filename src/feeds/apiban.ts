// The APIBAN feed: incremental by ID, one page at a time, each page applied and its ID saved before
// the next is asked for (so a 429 or a crash mid-sync loses nothing and repeats nothing). Every
// listed IP is banned for `lifetime` from the last time APIBAN listed it. APIBAN never announces
// removals, so a periodic full resync from ID 100 drops what it no longer lists.
import type { Config } from '../config/schema.ts';
import { ApibanClient, APIBAN_START_ID, type ApibanCheck } from './apiban-client.ts';
import { FeedError, type Feed, type FeedRunReport, type FeedSyncContext } from './feed.ts';
import type { FetchFn } from './http.ts';

export type ApibanConfig = NonNullable<Config['feeds']['apiban']>;

export interface ApibanFeedOptions {
  /** The feed's name (origin feed:<name>); "apiban" unless a test wants two. */
  name?: string;
  random?: () => number;
  fetch?: FetchFn;
  timeoutMs?: number;
  /** Bounds one sync (250 entries per page): far beyond any real APIBAN list. */
  maxPages?: number;
}

export interface ApibanFeed extends Feed {
  readonly client: ApibanClient;
  checkOnline(ip: string, signal?: AbortSignal): Promise<ApibanCheck>;
}

/** kv marks: when the last full resync finished, and when the one in progress (if any) began. */
export const lastFullMark = (name: string): string => `feed:${name}:last_full`;
export const resyncFromMark = (name: string): string => `feed:${name}:resync_from`;

export function createApibanFeed(cfg: ApibanConfig, opts: ApibanFeedOptions = {}): ApibanFeed {
  const name = opts.name ?? 'apiban';
  const random = opts.random ?? Math.random;
  const client = new ApibanClient({ key: cfg.key, url: cfg.url, api: cfg.api, set: cfg.set, fetch: opts.fetch, timeoutMs: opts.timeoutMs });
  return {
    id: name,
    client,
    nextInterval() {
      if (cfg.interval !== undefined) return cfg.interval * 1000;
      const lo = Math.min(cfg.min_interval, cfg.max_interval);
      const hi = Math.max(cfg.min_interval, cfg.max_interval);
      return Math.round((lo + random() * (hi - lo)) * 1000);
    },
    sync: (ctx) => syncApiban(ctx, client, cfg, opts.maxPages ?? 2000),
    checkOnline: (ip, signal = new AbortController().signal) => client.check(ip, signal),
  };
}

async function syncApiban(ctx: FeedSyncContext, client: ApibanClient, cfg: ApibanConfig, maxPages: number): Promise<FeedRunReport> {
  const name = ctx.feed;
  const lifetimeMs = cfg.lifetime * 1000;
  const state = ctx.state();
  let resyncFrom = ctx.getMark(resyncFromMark(name));
  let id = state.last_id ?? APIBAN_START_ID;
  let marks: Record<string, string | null> | undefined;
  const lastFull = Number(ctx.getMark(lastFullMark(name)) ?? 0);
  if (resyncFrom === undefined && (state.last_id === null || ctx.clock.now() - lastFull >= cfg.full_resync * 1000)) {
    // A full resync starts; the mark is saved with its first page, so a resync cut short resumes.
    resyncFrom = String(ctx.clock.now());
    id = APIBAN_START_ID;
    marks = { [resyncFromMark(name)]: resyncFrom };
  }
  let pages = 0;
  for (; pages < maxPages; pages++) {
    const page = await client.banned(id, ctx.signal);
    if (page.kind === 'end') break;
    if (BigInt(page.id) <= BigInt(id)) {
      throw new FeedError('malformed', `APIBAN returned ID ${page.id} after ID ${id}: IDs must grow; stopping so the sync cannot loop`);
    }
    const out = await ctx.apply({ add: page.ips, expires: ctx.clock.now() + lifetimeMs, state: { last_id: page.id }, marks });
    marks = undefined;
    id = page.id;
    const refused = Object.values(out.refused).reduce((a, b) => a + (b ?? 0), 0);
    ctx.progress({ page: pages + 1, count: page.ips.length, id, added: out.added, refreshed: out.refreshed, refused });
  }
  if (pages === maxPages) ctx.log.warn({ pages }, 'APIBAN sync stopped at the page limit; the next sync goes on from here');
  const full = resyncFrom !== undefined;
  if (full && pages < maxPages) await finishResync(ctx, Number(resyncFrom), lifetimeMs);
  return { status: pages > 0 || full ? 'ok' : 'unchanged', pages, full };
}

/**
 * Every entry APIBAN listed since the resync began now expires at or after began + lifetime; an
 * entry that expires earlier was not listed again, so APIBAN no longer has it.
 */
async function finishResync(ctx: FeedSyncContext, began: number, lifetimeMs: number): Promise<void> {
  const cutoff = began + lifetimeMs;
  const remove = [...(await ctx.current())].filter(([, exp]) => exp !== null && exp < cutoff).map(([t]) => t);
  await ctx.apply({
    add: [],
    remove,
    expires: null,
    marks: { [resyncFromMark(ctx.feed)]: null, [lastFullMark(ctx.feed)]: String(ctx.clock.now()) },
  });
  ctx.log.info({ removed: remove.length }, 'APIBAN full resync finished');
}
