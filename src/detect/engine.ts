// The rules engine: offenses in, ban decisions out. Pure and synchronous: time comes from the offense
// (`at`, so a replayed log keeps its own windows) and from the injected Clock (only to forget idle
// state); the allowlist and the ban history come in as functions. State is bounded: every table
// has a cap (limits.max_sources) with oldest-first eviction, and idle entries expire.
import type { Clock } from '../core/clock.ts';
import { formatDuration } from '../core/duration.ts';
import { normalizeIp } from '../core/ip.ts';
import type { Decision, Offense } from '../core/types.ts';
import { isNewAttempt } from './rules/attempts.ts';
import { escalate, type EngineConfig } from './rules/config.ts';
import { countFailure, type FailureContext } from './rules/failures.ts';
import { countRequest } from './rules/flood.ts';
import { LearnedFriends } from './rules/friends.ts';
import type { RuleHit } from './rules/hit.ts';
import { instantBan, isInstant } from './rules/instant.ts';
import { BoundedTable, SourceState } from './rules/source-table.ts';

export interface EngineDeps {
  clock: Clock;
  /** The configured allowlist: friends never get a decision. */
  isFriend?: (ip: string) => boolean;
  /** How many times this IP was banned before (the store's offenders table), for escalation. */
  priorBans?: (ip: string) => number;
}

export interface EngineStats {
  offenses: number;
  /** Lines that joined an attempt already counted (same Call-ID/SessionID). */
  joinedAttempts: number;
  /** Offenses from configured friends, ignored. */
  friendOffenses: number;
  /** Offenses, and SIP requests whose signatures were skipped (isCovered), from a source our own ban already covers. */
  alreadyBanned: number;
  /** Decisions per rule id. */
  decisions: Record<string, number>;
}

/** Idle state is swept at most this often (from within offense(); tick() forces it). */
const SWEEP_EVERY_MS = 10_000;

export class DetectionEngine {
  readonly stats: EngineStats = { offenses: 0, joinedAttempts: 0, friendOffenses: 0, alreadyBanned: 0, decisions: {} };
  private readonly sources: BoundedTable<SourceState>;
  private readonly learned: LearnedFriends;
  private lastSweep: number;
  private readonly failureContext: FailureContext;

  constructor(
    private readonly config: EngineConfig,
    private readonly deps: EngineDeps,
  ) {
    const cap = config.detect.limits.max_sources;
    this.sources = new BoundedTable(cap, () => new SourceState());
    this.learned = new LearnedFriends(cap);
    this.lastSweep = deps.clock.now();
    const learning = config.detect.learn_friends.enabled;
    this.failureContext = {
      config,
      proven: (o, account) => learning && this.learned.isProven(o.ip, account, o.at),
    };
  }

  /** Sources with counting state (bounded by limits.max_sources). */
  get trackedSources(): number {
    return this.sources.size;
  }

  get learnedFriends(): number {
    return this.learned.size;
  }

  get evictedSources(): number {
    return this.sources.evicted;
  }

  isLearnedFriend(ip: string, at: number): boolean {
    return this.config.detect.learn_friends.enabled && this.learned.isFriend(ip, at);
  }

  /**
   * True while a ban this engine decided covers `ip` at event time `at`, so nothing from it can
   * change a decision: the caller may skip judging its packets. Counted and kept fresh as an offense
   * from it would be (so a banned flooder's state does not expire into a second decision).
   */
  isCovered(ip: string, at: number): boolean {
    const s = this.sources.get(ip);
    if (s === undefined || s.bannedUntil <= at) return false;
    this.sources.touch(ip, this.deps.clock.now());
    this.stats.alreadyBanned++;
    return true;
  }

  offense(o: Offense): Decision[] {
    this.stats.offenses++;
    if (this.deps.isFriend?.(o.ip)) {
      this.stats.friendOffenses++;
      return [];
    }
    const now = this.deps.clock.now();
    if (now - this.lastSweep >= SWEEP_EVERY_MS) this.tick();
    const learn = this.config.detect.learn_friends;
    if (o.kind === 'auth-success') {
      if (learn.enabled) this.learned.learn(o.ip, o.account, o.at, learn.time, now);
      return [];
    }
    // A learned friend's requests (its phones' REGISTERs, ChallengeSent) need no state at all.
    if (o.kind === 'request' && this.isLearnedFriend(o.ip, o.at)) return [];
    const s = this.sources.touch(o.ip, now);
    if (s.bannedUntil > o.at) {
      this.stats.alreadyBanned++;
      return [];
    }
    const hit = this.judge(s, o);
    return hit ? this.decide(s, o, hit) : [];
  }

  /** Forgets idle sources and expired learned friends (by the clock). */
  tick(): void {
    const now = this.deps.clock.now();
    this.lastSweep = now;
    const d = this.config.detect;
    const window = Math.max(d.brute_force.find_time, d.enumeration.find_time, 1) * 1000;
    this.sources.expire(now - window);
    this.learned.expire(now - d.learn_friends.time * 1000);
  }

  private judge(s: SourceState, o: Offense): RuleHit | null {
    if (isInstant(o)) return instantBan(o, this.isLearnedFriend(o.ip, o.at), this.config);
    if (o.kind === 'request') return countRequest(s, o, this.config);
    if (!isNewAttempt(s, o)) {
      this.stats.joinedAttempts++;
      return null;
    }
    return countFailure(s, o, this.failureContext);
  }

  private decide(s: SourceState, o: Offense, hit: RuleHit): Decision[] {
    const target = normalizeIp(o.ip);
    if (!target) return []; // a signature let a non-address through: never ban text
    const prior = this.deps.priorBans?.(target) ?? 0;
    const duration = escalate(hit.base, prior, this.config.ban);
    s.resetCounters();
    s.bannedUntil = duration === 0 ? Infinity : o.at + duration * 1000;
    this.stats.decisions[hit.rule] = (this.stats.decisions[hit.rule] ?? 0) + 1;
    const repeat = prior > 0 ? `; repeat offender (${prior} earlier ban${prior === 1 ? '' : 's'}): ${formatDuration(duration)}` : '';
    return [{ action: 'ban', target, duration, origin: `rule:${hit.rule}`, reason: hit.reason + repeat }];
  }
}

export { engineConfigFrom, escalate, type EngineConfig } from './rules/config.ts';
