// Runs one sync of one feed: builds its context (sanity filter → hold check → sink → saved state),
// records the outcome in feed_state, and turns failures into a result instead of a throw, so a
// broken feed never takes the daemon down and the last good list stays in force.
import type { Clock } from '../core/clock.ts';
import { errorMessage } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import type { Target } from '../core/types.ts';
import {
  addRefusals, EMPTY_STATE, FeedError, totalRefused,
  type BatchOutcome, type Feed, type FeedBatch, type FeedEntry, type FeedProgress, type FeedSink,
  type FeedState, type FeedStateStore, type FeedSyncContext, type FeedSyncResult, type RefusalCounts,
} from './feed.ts';
import type { SanityFilter } from './sanity.ts';

export interface HoldPolicy {
  /** feeds.max_change_ratio: hold a sync that grows or shrinks the feed by more than this. */
  maxChangeRatio: number;
  /** feeds.hold_min_entries: smaller feeds are never held. */
  minEntries: number;
}

export interface FeedRunDeps {
  store: FeedStateStore;
  sink: FeedSink;
  sanity: SanityFilter;
  clock: Clock;
  log: Logger;
  hold: HoldPolicy;
  onProgress?: (p: FeedProgress) => void;
  signal?: AbortSignal;
}

/** A sync held for the operator: everything needed to apply it later, exactly as it would have been. */
export interface HeldSync {
  at: number;
  reason: string;
  before: number;
  after: number;
  add: FeedEntry[];
  remove: Target[];
  state: Partial<FeedState>;
  marks: Record<string, string | null>;
}

export function feedState(store: FeedStateStore, feed: string): FeedState {
  const row = store.feedState(feed);
  if (!row) return { ...EMPTY_STATE };
  const { feed: _name, ...state } = row;
  return state;
}

function saveMarks(store: FeedStateStore, marks: Record<string, string | null> | undefined): void {
  for (const [k, v] of Object.entries(marks ?? {})) store.setKv(k, v ?? undefined);
}

interface Totals {
  pages: number;
  added: number;
  refreshed: number;
  removed: number;
  refused: RefusalCounts;
}

function createContext(feed: Feed, deps: FeedRunDeps, live: Map<Target, number | null>, totals: Totals): FeedSyncContext {
  const name = feed.id;
  const before = live.size;
  // A feed that never completed a sync has no "normal size" yet: its first pull is never held.
  const settled = deps.store.feedState(name)?.last_ok != null;
  const signal = deps.signal ?? new AbortController().signal;
  const apply = async (batch: FeedBatch): Promise<BatchOutcome> => {
    const { accepted, refused, refusedTargets } = deps.sanity(batch.add);
    const add = accepted.map((p) => ({ target: p.text, expires: batch.expires }));
    // An entry the feed had that is refused now (a friend added since, say) is dropped, not kept.
    const remove = [...new Set([...(batch.remove ?? []), ...refusedTargets])].filter((t) => live.has(t));
    const fresh = add.filter((e) => !live.has(e.target)).length;
    const after = live.size + fresh - remove.length;
    if (settled && before >= deps.hold.minEntries && before > 0 && Math.abs(after - before) / before > deps.hold.maxChangeRatio) {
      const reason = `the sync would change ${name} from ${before} to ${after} entries (more than ${deps.hold.maxChangeRatio * 100}%)`;
      const held: HeldSync = { at: deps.clock.now(), reason, before, after, add, remove, state: batch.state ?? {}, marks: batch.marks ?? {} };
      deps.store.updateFeedState(name, { held: JSON.stringify(held) });
      throw new FeedError('held', `feed ${name} is held: ${reason}`, { hint: `check the feed, then run: sipwarden feeds accept ${name}` });
    }
    if (add.length || remove.length) await deps.sink.apply(name, add, remove);
    for (const e of add) live.set(e.target, e.expires);
    for (const t of remove) live.delete(t);
    deps.store.updateFeedState(name, { ...batch.state, entries: live.size });
    saveMarks(deps.store, batch.marks);
    if (totalRefused(refused) > 0) deps.log.warn({ feed: name, refused }, 'feed entries refused');
    const outcome = { added: fresh, refreshed: add.length - fresh, removed: remove.length, refused };
    totals.added += outcome.added;
    totals.refreshed += outcome.refreshed;
    totals.removed += outcome.removed;
    addRefusals(totals.refused, refused);
    return outcome;
  };
  return {
    feed: name,
    signal,
    clock: deps.clock,
    log: deps.log.child({ feed: name }),
    state: () => feedState(deps.store, name),
    getMark: (key) => deps.store.getKv(key),
    apply,
    current: async () => live,
    progress: (p) => {
      totals.pages++;
      deps.onProgress?.({ feed: name, ...p });
    },
  };
}

/** One sync of one feed. Never throws: failures come back as status 'error' and land in feed_state. */
export async function runFeedSync(feed: Feed, deps: FeedRunDeps): Promise<FeedSyncResult> {
  const started = deps.clock.now();
  const name = feed.id;
  const totals: Totals = { pages: 0, added: 0, refreshed: 0, removed: 0, refused: {} };
  const result = (status: FeedSyncResult['status'], pages: number, full: boolean, entries: number): FeedSyncResult => ({
    feed: name, status, added: totals.added, refreshed: totals.refreshed, removed: totals.removed, refused: totals.refused,
    pages, full, entries, durationMs: deps.clock.now() - started,
  });
  const live = new Map<Target, number | null>();
  try {
    const state = feedState(deps.store, name);
    if (state.held) return { ...result('held', 0, false, state.entries), error: heldError(name, state.held) };
    for (const [t, exp] of await deps.sink.current(name)) live.set(t, exp);
    const report = await feed.sync(createContext(feed, deps, live, totals));
    deps.store.updateFeedState(name, { last_sync: deps.clock.now(), last_ok: deps.clock.now(), last_error: null, entries: live.size });
    return result(report.status, report.pages, report.full, live.size);
  } catch (e) {
    const err = e instanceof FeedError ? e : new FeedError('transient', `feed ${name}: ${errorMessage(e)}`, { cause: e });
    try {
      deps.store.updateFeedState(name, { last_sync: deps.clock.now(), last_error: err.message, entries: live.size });
    } catch (storeError) {
      deps.log.error({ feed: name, err: errorMessage(storeError) }, 'cannot record the feed error in the store');
    }
    if (err.kind === 'held') return { ...result('held', totals.pages, false, live.size), error: describe(err) };
    deps.log.warn({ feed: name, code: err.code, kind: err.kind, err: err.message }, 'feed sync failed; the last good list stays in force');
    return { ...result('error', totals.pages, false, live.size), error: describe(err) };
  }
}

function describe(err: FeedError): NonNullable<FeedSyncResult['error']> {
  return { code: err.code, kind: err.kind, message: err.message, hint: err.hint, retryAfterMs: err.retryAfterMs };
}

function heldError(name: string, heldJson: string): NonNullable<FeedSyncResult['error']> {
  const reason = parseHeld(heldJson)?.reason ?? 'a held sync awaits acceptance';
  return { code: 'ERR_FEED_HELD', kind: 'held', message: `feed ${name} is held: ${reason}`, hint: `check the feed, then run: sipwarden feeds accept ${name}` };
}

export function parseHeld(json: string | null): HeldSync | null {
  if (!json) return null;
  try {
    return JSON.parse(json) as HeldSync;
  } catch {
    return null;
  }
}

/** Applies a held sync as it would have been applied, and lets the feed go on. False when none is held. */
export async function acceptHeld(feed: string, deps: Pick<FeedRunDeps, 'store' | 'sink' | 'log'>): Promise<boolean> {
  const held = parseHeld(feedState(deps.store, feed).held);
  if (!held) return false;
  await deps.sink.apply(feed, held.add, held.remove);
  const entries = (await deps.sink.current(feed)).size;
  deps.store.updateFeedState(feed, { ...held.state, held: null, entries, last_error: null });
  saveMarks(deps.store, held.marks);
  deps.log.info({ feed, added: held.add.length, removed: held.remove.length }, 'held feed sync accepted');
  return true;
}

/** Throws a held sync away; the next sync fetches again and is checked again. */
export function dropHeld(feed: string, store: FeedStateStore): boolean {
  const had = feedState(store, feed).held !== null;
  store.updateFeedState(feed, { held: null });
  return had;
}

/**
 * Forgets a feed: drops all its entries through the sink and resets its state, for a feed taken out
 * of the config (`sipwarden feeds purge NAME`). Returns how many entries it had.
 */
export async function purgeFeed(feed: string, deps: Pick<FeedRunDeps, 'store' | 'sink'>): Promise<number> {
  const current = await deps.sink.current(feed);
  if (current.size > 0) await deps.sink.apply(feed, [], [...current.keys()]);
  deps.store.updateFeedState(feed, { ...EMPTY_STATE });
  for (const mark of ['last_full', 'resync_from']) deps.store.setKv(`feed:${feed}:${mark}`, undefined);
  return current.size;
}
