// The feed contract. A feed fetches entries from somewhere (APIBAN, a list URL, a file) and hands
// them to its context; the runner passes them through the sanity filter and the hold check and then
// to a sink, which the composition root implements over the store and the firewall backend. Feeds
// never touch the store or the kernel themselves, so they stay testable with in-memory parts.
import type { Clock } from '../core/clock.ts';
import { AppError, type ErrorCode } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import type { FeedState, Target } from '../core/types.ts';

/** One entry to ban for a feed: the target and when its ban ends (Unix ms; null = never). */
export interface FeedEntry {
  target: Target;
  expires: number | null;
}

/**
 * Where feed changes land. `feed` is the feed's name ("apiban", "voipbl"); the origin of its rows is
 * `feed:<name>` and its kernel set is `feed:<name>`.
 */
export interface FeedSink {
  apply(feed: string, add: FeedEntry[], remove: Target[]): Promise<void>;
  /** The entries in force for the feed now (not expired), with their expiry. */
  current(feed: string): Promise<Map<Target, number | null>>;
}

/** The row the store keeps per feed (the `feed_state` table). */
export type { FeedState };

/** The part of the store feeds use: feed_state rows and small key/value marks. Store fits it. */
export interface FeedStateStore {
  feedState(feed: string): (FeedState & { feed: string }) | undefined;
  updateFeedState(feed: string, patch: Partial<FeedState>): void;
  getKv(key: string): string | undefined;
  setKv(key: string, value: string | undefined): void;
}

/** Why an entry was refused by the sanity filter; counted per reason and logged. */
export type RefusalReason =
  | 'malformed' | 'too-broad' | 'loopback' | 'link-local' | 'private' | 'multicast' | 'reserved'
  | 'own-address' | 'friend';

export type RefusalCounts = Partial<Record<RefusalReason, number>>;

/** A batch a feed wants applied. State and marks are saved only when the batch is applied. */
export interface FeedBatch {
  /** Targets as the feed listed them (raw text); they are parsed and checked here. */
  add: string[];
  /** Targets to drop (already in the feed). */
  remove?: Target[];
  /** When the added entries' bans end (Unix ms). */
  expires: number | null;
  /** feed_state columns to save with this batch (last_id, etag, modified). */
  state?: Partial<FeedState>;
  /** kv marks to save with this batch (key → value; undefined deletes). */
  marks?: Record<string, string | null>;
}

export interface BatchOutcome {
  /** Sane targets added that the feed did not have before. */
  added: number;
  /** Sane targets the feed already had (their expiry was refreshed). */
  refreshed: number;
  removed: number;
  refused: RefusalCounts;
}

export interface FeedProgress {
  feed: string;
  page: number;
  /** Entries in this page (before the sanity filter). */
  count: number;
  /** The feed's position after this page (APIBAN ID), if it has one. */
  id?: string;
  added: number;
  refreshed: number;
  refused: number;
}

export interface FeedSyncContext {
  feed: string;
  signal: AbortSignal;
  clock: Clock;
  log: Logger;
  /** This feed's feed_state row (defaults when the feed never ran). */
  state(): FeedState;
  getMark(key: string): string | undefined;
  /** Filters, hold-checks, applies and saves one batch; throws FeedError 'held' when it holds it. */
  apply(batch: FeedBatch): Promise<BatchOutcome>;
  current(): Promise<Map<Target, number | null>>;
  progress(p: Omit<FeedProgress, 'feed'>): void;
}

/** What one sync did. Counts include the pages applied before an error stopped the sync. */
export interface FeedSyncResult {
  feed: string;
  status: 'ok' | 'unchanged' | 'held' | 'error';
  added: number;
  refreshed: number;
  removed: number;
  refused: RefusalCounts;
  pages: number;
  /** Entries in force after the sync. */
  entries: number;
  /** A full resync (APIBAN from ID 100, or a list replacement). */
  full: boolean;
  error?: { code: ErrorCode; kind: FeedErrorKind; message: string; hint?: string; retryAfterMs?: number };
  durationMs: number;
}

/** What a feed's sync reports; the runner adds the totals and the status. */
export interface FeedRunReport {
  status: 'ok' | 'unchanged' | 'held';
  pages: number;
  full: boolean;
}

export interface Feed {
  /** The feed's name; its origin is `feed:<id>`. */
  readonly id: string;
  /** Milliseconds until the next regular sync (APIBAN draws a random one each time). */
  nextInterval(): number;
  sync(ctx: FeedSyncContext): Promise<FeedRunReport>;
}

/** How a feed failed, which decides how long the scheduler backs off. */
export type FeedErrorKind = 'unauthorized' | 'rate-limited' | 'transient' | 'malformed' | 'held';

export class FeedError extends AppError {
  readonly kind: FeedErrorKind;
  /** The server's Retry-After, when it sent one. */
  readonly retryAfterMs?: number;
  constructor(kind: FeedErrorKind, message: string, opts: { cause?: unknown; hint?: string; retryAfterMs?: number } = {}) {
    super(kind === 'unauthorized' ? 'ERR_FEED_UNAUTHORIZED' : kind === 'held' ? 'ERR_FEED_HELD' : 'ERR_FEED', message, opts);
    this.kind = kind;
    this.retryAfterMs = opts.retryAfterMs;
  }
}

export const EMPTY_STATE: FeedState = {
  last_id: null, last_sync: null, last_ok: null, last_error: null, entries: 0, etag: null,
  modified: null, next_run: null, held: null,
};

export function totalRefused(r: RefusalCounts): number {
  return Object.values(r).reduce((a, b) => a + (b ?? 0), 0);
}

export function addRefusals(into: RefusalCounts, from: RefusalCounts): void {
  for (const [k, v] of Object.entries(from) as [RefusalReason, number][]) into[k] = (into[k] ?? 0) + v;
}
