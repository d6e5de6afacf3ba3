// Bounded per-source state: a Map for lookup plus an intrusive doubly-linked list in touch order,
// giving oldest-first eviction in O(1) and an expiry sweep that stops at the first fresh entry. So a
// million spoofed sources cost at most `cap` entries and never a full scan. (A bare Map in insertion
// order is not enough: V8 leaves deleted slots at its front, and finding the oldest live key then
// walks them all, which turns eviction quadratic.)

import { detached } from './detached.ts';

export class LruNode {
  key = '';
  /** Processing time (clock ms) of the last touch: drives expiry and eviction, never the windows. */
  touched = 0;
  older: LruNode | null = null;
  newer: LruNode | null = null;
}

/** An attempt group: the lines Asterisk writes for one REGISTER/INVITE share a key (Call-ID). */
export interface AttemptGroup {
  key: string;
  /** Event times of the group's earliest and latest line. */
  start: number;
  last: number;
  /** Pairs of signature id and line count: the group counts as its most frequent signature. */
  tally: (string | number)[];
}

// Kept lean (one object plus one array for a typical source) because a flood of spoofed sources
// fills the table to its cap, and every extra object per source is garbage-collector work.
export class SourceState extends LruNode {
  /** Counted failures, oldest first, as pairs: event time, account ('' when none). */
  fails: (number | string)[] | null = null;
  /** The latest attempt group, inline (no object per source); older interleaved ones in `moreGroups`. */
  groupKey = '';
  groupStart = 0;
  groupLast = 0;
  /** The latest group's tally: pairs of signature id and line count (see attempts.ts). */
  groupTally: (string | number)[] | null = null;
  moreGroups: AttemptGroup[] | null = null;
  /** Flood counting: the current and previous second's request counts. */
  floodSecond = -1;
  floodCurrent = 0;
  floodPrevious = 0;
  /** Event time until which our own ban covers this source (suppresses repeat decisions). */
  bannedUntil = 0;

  resetCounters(): void {
    this.fails = null;
    this.groupKey = '';
    this.groupTally = null;
    this.moreGroups = null;
    this.floodCurrent = 0;
    this.floodPrevious = 0;
  }
}

export class BoundedTable<V extends LruNode> {
  private readonly map = new Map<string, V>();
  private oldest: LruNode | null = null;
  private newest: LruNode | null = null;
  evicted = 0;
  expired = 0;

  constructor(
    private readonly cap: number,
    private readonly create: () => V,
  ) {}

  get size(): number {
    return this.map.size;
  }

  get(key: string): V | undefined {
    return this.map.get(key);
  }

  /** The entry for `key`, created if absent, moved to the fresh end; evicts the oldest past the cap. */
  touch(key: string, now: number): V {
    let e = this.map.get(key);
    if (e) {
      this.unlink(e);
    } else {
      e = this.create();
      e.key = detached(key);
      this.map.set(e.key, e);
    }
    e.touched = now;
    this.append(e);
    while (this.map.size > this.cap && this.oldest) {
      this.remove(this.oldest);
      this.evicted++;
    }
    return e;
  }

  /** Drops entries not touched since `before` (oldest first, stopping at the first fresh one). */
  expire(before: number): void {
    while (this.oldest && this.oldest.touched < before) {
      this.remove(this.oldest);
      this.expired++;
    }
  }

  private remove(e: LruNode): void {
    this.unlink(e);
    this.map.delete(e.key);
  }

  private append(e: LruNode): void {
    e.older = this.newest;
    e.newer = null;
    if (this.newest) this.newest.newer = e;
    else this.oldest = e;
    this.newest = e;
  }

  private unlink(e: LruNode): void {
    if (e.older) e.older.newer = e.newer;
    else this.oldest = e.newer;
    if (e.newer) e.newer.older = e.older;
    else this.newest = e.older;
    e.older = e.newer = null;
  }
}
