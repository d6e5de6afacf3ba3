// Friends learned from successful authentication (FreePBX's idea): an IP that logged in with a
// password is spared the flood and scanner-noise rules for learn_friends.time, and the accounts it
// logged in with are "proven" from that IP (their failures count only toward the per-IP cap).
// Bounded like the source table: a flood of SuccessfulAuth cannot grow it past its cap.
import { BoundedTable, LruNode } from './source-table.ts';

const MAX_PROVEN_ACCOUNTS = 64;

class LearnedFriend extends LruNode {
  /** Event time until which the IP is a friend. */
  until = 0;
  /** Account → event time until which it is proven from this IP. */
  accounts = new Map<string, number>();
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
    if (account === undefined) return;
    f.accounts.delete(account);
    f.accounts.set(account, until);
    if (f.accounts.size > MAX_PROVEN_ACCOUNTS) f.accounts.delete(f.accounts.keys().next().value as string);
  }

  isFriend(ip: string, at: number): boolean {
    const f = this.table.get(ip);
    return f !== undefined && f.until > at;
  }

  isProven(ip: string, account: string, at: number): boolean {
    const until = this.table.get(ip)?.accounts.get(account);
    return until !== undefined && until > at;
  }

  /** Forgets friends not refreshed since `before` (clock ms). */
  expire(before: number): void {
    this.table.expire(before);
  }
}
