// Banning and unbanning, the one way: validate, refuse what must never be banned, write the store
// (the truth), then the kernel. The CLI, the daemon's rules and the API all come through here.
import type { Clock } from '../core/clock.ts';
import { AppError } from '../core/errors.ts';
import { PrefixSet, isSingleAddress, parseTarget, rangeOf, type Prefix } from '../core/ip.ts';
import type { Ban } from '../core/types.ts';
import type { FirewallBackend, Policy, ReconcileResult, SetName } from '../enforce/index.ts';
import { reconcile } from '../enforce/index.ts';
import type { Store } from '../store/store.ts';

/** Shorter prefixes than these would cut off a country, not an attacker. */
const MIN_BAN_PREFIX = { 4: 8, 6: 16 } as const;

export interface BanRequest {
  target: string;
  /** Seconds; 0 = until unbanned. */
  duration: number;
  origin: string;
  reason: string;
}

export class BanService {
  private friends: PrefixSet;

  constructor(
    private readonly store: Store,
    private readonly backend: FirewallBackend,
    private policy: Policy,
    private readonly clock: Clock,
  ) {
    this.friends = friendSet(policy);
  }

  setPolicy(policy: Policy): void {
    this.policy = policy;
    this.friends = friendSet(policy);
  }

  /**
   * The friend entry that contains a target, if any. A ban wider than a friend is allowed: the
   * kernel checks friends before dropping, so the friend inside it still gets through.
   */
  friendOf(p: Prefix): string | undefined {
    return this.friends.lookup(p)?.prefix;
  }

  /** Throws ERR_TARGET_REFUSED for targets no ban may cover. */
  vet(p: Prefix): void {
    if (p.length < MIN_BAN_PREFIX[p.family]) {
      throw new AppError('ERR_TARGET_REFUSED', `refusing to ban ${p.text}: prefixes shorter than /${MIN_BAN_PREFIX[p.family]} are too broad`);
    }
    const range = rangeOf(p);
    if (range === 'loopback' || range === 'unspecified' || range === 'multicast' || range === 'broadcast') {
      throw new AppError('ERR_TARGET_REFUSED', `refusing to ban ${p.text}: it is a ${range} address`);
    }
    const friend = this.friendOf(p);
    if (friend) {
      throw new AppError('ERR_TARGET_REFUSED', `refusing to ban ${p.text}: it is inside the friend ${friend} (allow list, loopback or this host)`, {
        hint: 'remove it from `allow:` in the config first if it really must be banned',
      });
    }
  }

  async ban(req: BanRequest): Promise<Ban> {
    const p = parseTarget(req.target);
    this.vet(p);
    const now = this.clock.now();
    const expires = req.duration > 0 ? now + req.duration * 1000 : null;
    this.store.upsertBan({ target: p.text, family: p.family, origin: req.origin, reason: req.reason, expires });
    this.store.addEvent({ at: now, ip: p.text, kind: 'ban', origin: req.origin, detail: req.reason });
    const ban = this.store.getBan(p.text)!;
    this.backend.add(ban);
    await this.commit();
    return ban;
  }

  /**
   * Many bans in one store transaction and one kernel commit (the daemon's path: a flood can
   * produce hundreds of decisions a second). A refused target is reported, not thrown.
   */
  async banMany(reqs: readonly BanRequest[]): Promise<{ banned: Ban[]; refused: { target: string; error: string }[] }> {
    const banned: Ban[] = [];
    const refused: { target: string; error: string }[] = [];
    const now = this.clock.now();
    this.store.transaction(() => {
      for (const req of reqs) {
        try {
          const p = parseTarget(req.target);
          this.vet(p);
          const expires = req.duration > 0 ? now + req.duration * 1000 : null;
          this.store.upsertBan({ target: p.text, family: p.family, origin: req.origin, reason: req.reason, expires });
          this.store.addEvent({ at: now, ip: p.text, kind: 'ban', origin: req.origin, detail: req.reason });
          // A rule's ban counts toward the address's escalation (repeat offenders), in the same
          // transaction: one commit for a burst, and the count stands even when the kernel
          // refuses this time (the reconciler applies the stored ban later).
          if (req.origin.startsWith('rule:')) this.store.recordOffenderBan(p.text);
          const ban = this.store.getBan(p.text)!;
          this.backend.add(ban);
          banned.push(ban);
        } catch (e) {
          refused.push({ target: req.target, error: (e as Error).message });
        }
      }
    });
    if (banned.length) await this.commit();
    return { banned, refused };
  }

  /** Removes a ban from the store and every kernel set that could hold it. */
  async unban(target: string, origin = 'cli'): Promise<boolean> {
    const p = parseTarget(target);
    const existed = this.store.deleteBan(p.text);
    this.store.addEvent({ at: this.clock.now(), ip: p.text, kind: 'unban', origin, detail: 'unbanned' });
    this.backend.remove(p.text, 'ban');
    if (isSingleAddress(p)) this.backend.remove(p.text, 'scan'); // the scanner set holds addresses only
    await this.commit();
    return existed;
  }

  private async commit(): Promise<void> {
    const r = await this.backend.commit();
    if (r.failed.length) {
      throw new AppError('ERR_EXEC_FAILED', `the kernel refused ${r.failed.length} change(s): ${r.failed[0].error}`, {
        hint: 'run `sipwarden apply` to create sipwarden\'s sets, then try again; the store already has the change',
      });
    }
  }

  /** Creates the kernel objects and makes the ban set match the store. */
  async apply(feeds: readonly string[]): Promise<{ bans: number }> {
    await this.backend.init();
    const results = await this.reconcileAll(feeds);
    return { bans: results[0].wanted };
  }

  /** Makes the ban set and each feed's set hold exactly what the store has in force. */
  async reconcileAll(feeds: readonly string[]): Promise<{ set: SetName; wanted: number; result: ReconcileResult }[]> {
    const now = this.clock.now();
    const wanted: [SetName, Ban[]][] = [
      ['ban', this.store.activeBans().filter((b) => !b.origin.startsWith('feed:'))],
      ...feeds.map((f): [SetName, Ban[]] => [`feed:${f}`, this.store.activeBansByOriginPrefix(`feed:${f}`)]),
    ];
    const out: { set: SetName; wanted: number; result: ReconcileResult }[] = [];
    for (const [set, bans] of wanted) out.push({ set, wanted: bans.length, result: await reconcile(this.backend, bans, now, set) });
    return out;
  }

  /** Deletes expired rows; the kernel drops them by its own timeouts. */
  expire(): Ban[] {
    return this.store.expireBans();
  }
}

function friendSet(policy: Policy): PrefixSet {
  const s = new PrefixSet();
  for (const f of policy.friends) s.add(f, true);
  return s;
}
