// Friends learned from successful authentication (FreePBX's idea): an IP that logged in with a
// password is spared the flood and scanner-noise rules for learn_friends.time (renewed by every
// success from it), and the accounts it logged in with stay "proven" from that IP while it is a
// friend: an office whose other phones keep registering does not lose the office to one phone with
// a stale password (its failures count only toward the per-IP cap).
// Bounded like the source table: a flood of SuccessfulAuth cannot grow it past its cap.
import { detached } from './detached.ts';
import { BoundedTable, LruNode } from './source-table.ts';

const MAX_PROVEN_ACCOUNTS = 64;

class LearnedFriend extends LruNode {
  /** Event time until which the IP is a friend. */
  until = 0;
  /** Accounts that logged in from this IP (most recent last). */
  accounts = new Set<string>();
  /** The account of the latest success: a phone re-registering needs no reordering of the set. */
  latest: string | undefined = undefined;
}

export class LearnedFriends {
  private readonly table: BoundedTable<LearnedFriend>;

  constructor(cap: number) {
    this.table = new BoundedTable(cap, () => new LearnedFriend());
  }

  get size(): number {
    return this.table.size;
  }

  learn(ip: string, account: string | undefined, at: number, seconds: number, now: number): void {
    const f = this.table.touch(ip, now);
    const until = at + seconds * 1000;
    f.until = Math.max(f.until, until);
    if (account === undefined || account === f.latest) return;
    f.accounts.delete(account);
    f.latest = detached(account);
    f.accounts.add(f.latest);
    if (f.accounts.size > MAX_PROVEN_ACCOUNTS) f.accounts.delete(f.accounts.values().next().value as string);
  }

  isFriend(ip: string, at: number): boolean {
    const f = this.table.get(ip);
    return f !== undefined && f.until > at;
  }

  isProven(ip: string, account: string, at: number): boolean {
    const f = this.table.get(ip);
    return f !== undefined && f.until > at && f.accounts.has(account);
  }

  /** Forgets friends not refreshed since `before` (clock ms). */
  expire(before: number): void {
    this.table.expire(before);
  }
}
