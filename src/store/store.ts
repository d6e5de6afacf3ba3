// The store is the truth: bans, friends, events and feed state in SQLite. Synchronous
// (better-sqlite3), so callers batch writes in transactions and keep it off the packet path.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Clock } from '../core/clock.ts';
import { AppError } from '../core/errors.ts';
import type { Ban, FeedState, Target } from '../core/types.ts';
import { MIGRATIONS } from './migrations.ts';

export interface BanRow extends Ban {
  family: 4 | 6;
}

export interface EventRow {
  id: number;
  at: number;
  ip: string;
  kind: string;
  origin: string;
  detail: string;
}

export interface FeedStateRow extends FeedState {
  feed: string;
}

export class Store {
  readonly db: Database.Database;

  constructor(
    readonly path: string,
    private readonly clock: Clock,
  ) {
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      this.db = new Database(path);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('busy_timeout = 5000');
      this.db.pragma('synchronous = NORMAL');
      this.migrate();
    } catch (e) {
      if (e instanceof AppError) throw e;
      throw new AppError('ERR_STORE', `cannot open store ${path}: ${(e as Error).message}`, {
        cause: e,
        hint: 'check store.path in the config and that the directory is writable (run as root)',
      });
    }
  }

  private readonly statements = new Map<string, Database.Statement>();

  /** Prepared once per SQL text: preparing costs more than running (~60 µs against a few µs). */
  private stmt(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  private migrate(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version > MIGRATIONS.length) {
      throw new AppError('ERR_STORE', `store ${this.path} has schema version ${version}, newer than this sipwarden (${MIGRATIONS.length})`, {
        hint: 'upgrade sipwarden, or point store.path at another file',
      });
    }
    for (let v = version; v < MIGRATIONS.length; v++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[v]);
        this.db.pragma(`user_version = ${v + 1}`);
      })();
    }
  }

  get schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  /** Adds or refreshes a ban. A re-ban keeps the earlier created time and counts a hit. */
  upsertBan(ban: Omit<Ban, 'hits' | 'created'> & { family: 4 | 6; created?: number }): void {
    this.stmt(
        `INSERT INTO bans (target, family, origin, reason, created, expires, hits)
         VALUES (@target, @family, @origin, @reason, @created, @expires, 1)
         ON CONFLICT(target) DO UPDATE SET origin = excluded.origin, reason = excluded.reason,
           expires = CASE WHEN bans.expires IS NULL OR excluded.expires IS NULL THEN NULL
                          ELSE max(bans.expires, excluded.expires) END,
           hits = bans.hits + 1`,
      )
      .run({ ...ban, created: ban.created ?? this.clock.now() });
  }

  deleteBan(target: Target): boolean {
    return this.stmt('DELETE FROM bans WHERE target = ?').run(target).changes > 0;
  }

  getBan(target: Target): BanRow | undefined {
    return this.stmt('SELECT * FROM bans WHERE target = ?').get(target) as BanRow | undefined;
  }

  /** Bans still in force at the clock's now. */
  activeBans(origin?: string): BanRow[] {
    const now = this.clock.now();
    const sql = `SELECT * FROM bans WHERE (expires IS NULL OR expires > ?)${origin ? ' AND origin = ?' : ''} ORDER BY created`;
    return this.stmt(sql).all(...(origin ? [now, origin] : [now])) as BanRow[];
  }

  /** Bans whose origin starts with a prefix ("feed:apiban"), active ones only. */
  activeBansByOriginPrefix(prefix: string): BanRow[] {
    return this.stmt('SELECT * FROM bans WHERE (expires IS NULL OR expires > ?) AND origin LIKE ? ORDER BY created')
      .all(this.clock.now(), `${prefix}%`) as BanRow[];
  }

  /** Deletes expired bans and returns them (so the daemon can log and remove them). */
  expireBans(): BanRow[] {
    const now = this.clock.now();
    return this.db.transaction(() => {
      const rows = this.stmt('SELECT * FROM bans WHERE expires IS NOT NULL AND expires <= ?').all(now) as BanRow[];
      this.stmt('DELETE FROM bans WHERE expires IS NOT NULL AND expires <= ?').run(now);
      return rows;
    })();
  }

  addEvent(ev: Omit<EventRow, 'id'>): void {
    this.stmt('INSERT INTO events (at, ip, kind, origin, detail) VALUES (@at, @ip, @kind, @origin, @detail)').run(ev);
  }

  eventsFor(ip: string, limit = 20): EventRow[] {
    return this.stmt('SELECT * FROM events WHERE ip = ? ORDER BY at DESC, id DESC LIMIT ?').all(ip, limit) as EventRow[];
  }

  /** Keeps the events table bounded: drops the oldest beyond max rows. */
  pruneEvents(maxRows = 200_000): void {
    this.stmt('DELETE FROM events WHERE id <= (SELECT max(id) FROM events) - ?').run(maxRows);
  }

  /** How many bans rules have issued to an IP (escalation), remembered across restarts. */
  offenderBans(ip: string): number {
    const row = this.stmt('SELECT bans FROM offenders WHERE ip = ?').get(ip) as { bans: number } | undefined;
    return row?.bans ?? 0;
  }

  recordOffenderBan(ip: string): void {
    this.stmt('INSERT INTO offenders (ip, bans, last) VALUES (?, 1, ?) ON CONFLICT(ip) DO UPDATE SET bans = bans + 1, last = excluded.last')
      .run(ip, this.clock.now());
  }

  upsertFriend(f: { target: Target; origin: string; reason: string; expires: number | null }): void {
    this.stmt(
        `INSERT INTO friends (target, origin, reason, created, expires) VALUES (@target, @origin, @reason, @created, @expires)
         ON CONFLICT(target) DO UPDATE SET origin = excluded.origin, reason = excluded.reason, expires = excluded.expires`,
      )
      .run({ ...f, created: this.clock.now() });
  }

  activeFriends(): { target: string; origin: string; reason: string; expires: number | null }[] {
    return this.stmt('SELECT * FROM friends WHERE expires IS NULL OR expires > ?').all(this.clock.now()) as never;
  }

  feedState(feed: string): FeedStateRow | undefined {
    return this.stmt('SELECT * FROM feed_state WHERE feed = ?').get(feed) as FeedStateRow | undefined;
  }

  allFeedStates(): FeedStateRow[] {
    return this.stmt('SELECT * FROM feed_state ORDER BY feed').all() as FeedStateRow[];
  }

  updateFeedState(feed: string, patch: Partial<Omit<FeedStateRow, 'feed'>>): void {
    this.stmt('INSERT INTO feed_state (feed) VALUES (?) ON CONFLICT(feed) DO NOTHING').run(feed);
    const keys = Object.keys(patch);
    if (keys.length === 0) return;
    const sets = keys.map((k) => `${k} = @${k}`).join(', ');
    this.stmt(`UPDATE feed_state SET ${sets} WHERE feed = @feed`).run({ ...patch, feed });
  }

  getKv(key: string): string | undefined {
    return (this.stmt('SELECT value FROM kv WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  setKv(key: string, value: string | undefined): void {
    if (value === undefined) this.stmt('DELETE FROM kv WHERE key = ?').run(key);
    else this.stmt('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
