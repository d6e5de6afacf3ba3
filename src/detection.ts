// The detection pipeline inside the daemon: sources → signatures → rules engine → BanService.
// Sources do the I/O and detect stays pure; this file only moves events along, batches the
// resulting bans into one kernel commit, and keeps counts for `sipwarden status`.
import type { Config } from './config/schema.ts';
import { AppError, errorMessage } from './core/errors.ts';
import type { Logger } from './core/log.ts';
import type { Decision, Offense, RawEvent } from './core/types.ts';
import { DetectionEngine } from './detect/engine.ts';
import { engineConfigFrom } from './detect/rules/config.ts';
import { signaturesByType, type Signature } from './detect/signature.ts';
import type { AsteriskSignatureStats } from './detect/signatures/asterisk-common.ts';
import type { BanService } from './service/bans.ts';
import { isResponseStart } from './sip/index.ts';
import { sleep, SourceSetupError, type EventSource } from './sources/source.ts';
import type { Store } from './store/store.ts';
import type { Clock } from './core/clock.ts';

export interface DetectionDeps {
  config: Config;
  sources: EventSource[];
  signatures: Signature[];
  bans: () => BanService;
  store: Store;
  clock: Clock;
  log: Logger;
  isFriend: (ip: string) => boolean;
  /** The Asterisk signatures' counts of refused (hostile or unparsable) lines. */
  refusals?: AsteriskSignatureStats;
  /** How often skipped inputs and refused log lines are summed up in the log; default 60 s. */
  summaryEveryMs?: number;
  /** How long a source whose setup failed after the start waits to be tried again, ms (default 60 000). */
  setupRetryMs?: number;
}

/**
 * Skipped inputs (per source) and refused log lines are logged as one summary this often, not one
 * line each: an attacker can make thousands.
 */
const SUMMARY_EVERY_MS = 60_000;

/** How long start() waits for sources to report a setup problem. */
const SETUP_GRACE_MS = 500;

/** How long a source whose setup failed after the start waits before it is tried again. */
const LATE_SETUP_RETRY_MS = 60_000;

/** How long decisions wait to share one kernel commit: fast enough, far below 50 ms. */
const FLUSH_MS = 5;

export class Detection {
  readonly name = 'detection';
  private readonly engine: DetectionEngine;
  private readonly abort = new AbortController();
  private loops: Promise<void>[] = [];
  private queue: Decision[] = [];
  private flushing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  readonly counts = { events: 0, offenses: 0, decisions: 0, bans: 0, refused: 0, errors: 0 };
  private readonly signaturesFor: Record<RawEvent['type'], Signature[]>;

  constructor(private readonly deps: DetectionDeps) {
    this.signaturesFor = signaturesByType(deps.signatures);
    this.engine = new DetectionEngine(engineConfigFrom(deps.config), {
      clock: deps.clock,
      isFriend: deps.isFriend,
      priorBans: (ip) => deps.store.offenderBans(ip),
    });
  }

  /**
   * Starts every source. A setup problem the operator must fix (a busy HEP port, no tcpdump, a
   * refused AMI login) fails the start, so `sipwarden run` refuses to run half-blind: the start
   * waits SETUP_GRACE_MS for such problems, and for a source with a set-up step (AMI's login, which
   * Asterisk refuses only after a second) until it is ready or its setupMs has passed. A setup
   * problem after the start is logged and the source tried again (consume); other failures are
   * retried by the sources themselves (withRestart).
   */
  async start(): Promise<void> {
    let setupError: unknown = null;
    for (const source of this.deps.sources) this.loops.push(this.consume(source).catch((e) => void (setupError ??= e)));
    const slow = this.deps.sources.filter((s) => s.setupMs !== undefined);
    const deadline = Date.now() + Math.max(SETUP_GRACE_MS, ...slow.map((s) => s.setupMs!));
    await sleep(SETUP_GRACE_MS, this.abort.signal);
    while (!setupError && slow.some((s) => !s.stats.ready) && Date.now() < deadline) await sleep(20, this.abort.signal);
    // From here on a setup problem is logged and retried (consume): one flag decides, set in the
    // same step as the check, so no error can fall between the two.
    this.started = true;
    if (setupError) {
      await this.stop();
      throw setupError;
    }
    this.summaryTimer = setInterval(() => this.logSummaries(), this.deps.summaryEveryMs ?? SUMMARY_EVERY_MS);
    this.summaryTimer.unref();
    const waiting = slow.filter((s) => !s.stats.ready).map((s) => s.id);
    if (waiting.length > 0) this.deps.log.warn({ sources: waiting }, 'detection started; these sources are not set up yet and keep trying');
    this.deps.log.info({ sources: this.deps.sources.map((s) => s.id), signatures: this.deps.signatures.length }, 'detection started');
  }

  /** True once start() has decided: a setup problem from then on no longer stops the daemon. */
  private started = false;

  private summaryTimer: NodeJS.Timeout | null = null;
  /** Per source, the skip counts by reason already logged. */
  private readonly skipsLogged = new Map<string, Map<string, number>>();
  /** The refused-line counts by reason already logged. */
  private readonly refusalsLogged = new Map<string, number>();

  /** Logs what was skipped or refused since the last summary; nothing when nothing changed. */
  private logSummaries(): void {
    this.logSkips();
    this.logRefusals();
  }

  /** Logs, per source, the inputs skipped since the last summary (malformed frames, records, lines). */
  private logSkips(): void {
    for (const source of this.deps.sources) {
      let logged = this.skipsLogged.get(source.id);
      if (!logged) this.skipsLogged.set(source.id, (logged = new Map()));
      const { fresh, total } = countsSince(Object.entries(source.stats.skippedByReason), logged);
      if (total === 0) continue;
      this.deps.log.warn({ source: source.id, skipped: total, reasons: fresh }, `${total} inputs skipped (malformed or refused): counted, nobody banned`);
    }
  }

  /** Logs the log lines the Asterisk signatures refused since the last summary, by reason. */
  private logRefusals(): void {
    const counts = this.deps.refusals?.refused;
    if (!counts) return;
    const { fresh, total } = countsSince(counts, this.refusalsLogged);
    if (total === 0) return;
    const why = fresh['ambiguous RemoteAddress'] ? '; someone may be trying to get another address banned' : '';
    this.deps.log.warn({ refused: total, reasons: fresh }, `${total} log lines refused: nobody banned${why}`);
  }

  private async consume(source: EventSource): Promise<void> {
    for (;;) {
      try {
        // Batches when the source offers them: one async step per chunk read, not per line.
        if (source.batches) for await (const batch of source.batches(this.abort.signal)) this.handleBatch(batch);
        else for await (const ev of source.events(this.abort.signal)) this.handle(ev);
        return;
      } catch (e) {
        if (this.abort.signal.aborted) return;
        if (e instanceof SourceSetupError && !this.started) throw e;
        this.counts.errors++;
        const hint = e instanceof AppError ? e.hint : undefined;
        if (!(e instanceof SourceSetupError)) {
          this.deps.log.error({ source: source.id, err: errorMessage(e), hint }, 'source stopped');
          return;
        }
        // After the start (an AMI login refused late, a source whose first attempt came late):
        // the operator must fix it; try again now and then, so the source comes back by itself.
        source.stats.lastError = errorMessage(e);
        const retryInMs = this.deps.setupRetryMs ?? LATE_SETUP_RETRY_MS;
        this.deps.log.error({ source: source.id, err: errorMessage(e), hint, retryInMs }, 'source cannot start; trying again');
        await sleep(retryInMs, this.abort.signal);
        if (this.abort.signal.aborted) return;
        source.stats.restarts++;
      }
    }
  }

  /** The events a source read together (a log chunk's lines), one after the other. */
  handleBatch(batch: readonly RawEvent[]): void {
    for (const ev of batch) this.handle(ev);
  }

  /** One event through every signature; synchronous, so a flood cannot interleave half-counted state. */
  handle(ev: RawEvent): void {
    this.counts.events++;
    // A request from a source our own ban covers changes nothing (the engine would only count its
    // offenses), and capture sees a banned scanner's flood before the firewall drops it: such a
    // request skips the signatures. Responses are always read: the auth signatures judge a
    // response's destination, and a server we banned may still answer others' guesses.
    if (ev.type === 'sip' && !isResponseStart(ev.payload) && this.engine.isCovered(ev.src.ip, ev.at)) return;
    for (const sig of this.signaturesFor[ev.type]) {
      let o: Offense | null = null;
      try {
        o = sig.match(ev);
      } catch (e) {
        this.counts.errors++; // a signature must never throw; count it and go on
        this.deps.log.error({ signature: sig.id, err: errorMessage(e) }, 'signature threw');
      }
      if (!o) continue;
      this.counts.offenses++;
      try {
        for (const d of this.engine.offense(o)) this.enqueue(d);
      } catch (e) {
        // The engine asks the store (escalation history); a failing disk must not stop the source.
        this.counts.errors++;
        this.deps.log.error({ signature: sig.id, ip: o.ip, err: errorMessage(e) }, 'offense could not be judged');
      }
    }
  }

  private enqueue(d: Decision): void {
    this.counts.decisions++;
    this.queue.push(d);
    this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  /** Writes queued decisions: one store transaction, one kernel commit. */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flushing;
    const batch = this.queue.splice(0);
    if (batch.length === 0) return;
    this.flushing = (async () => {
      try {
        const r = await this.deps.bans().banMany(batch.map((d) => ({ target: d.target, duration: d.duration, origin: d.origin, reason: d.reason })));
        for (const b of r.banned) this.deps.log.info({ target: b.target, origin: b.origin, reason: b.reason, expires: b.expires }, 'banned');
        this.counts.bans += r.banned.length;
        this.counts.refused += r.refused.length;
        for (const x of r.refused) this.deps.log.warn({ target: x.target, err: x.error }, 'decision refused');
      } catch (e) {
        this.counts.errors++;
        this.deps.log.error({ err: errorMessage(e) }, 'could not apply bans; the store keeps them and the reconciler retries');
      }
    })();
    await this.flushing;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.allSettled(this.loops);
    if (this.summaryTimer) clearInterval(this.summaryTimer);
    this.logSummaries();
    await this.flush(); // the final commit
  }

  status(): unknown {
    return {
      counts: this.counts,
      engine: { ...this.engine.stats, tracked: this.engine.trackedSources, evicted: this.engine.evictedSources, learnedFriends: this.engine.learnedFriends },
      refusedLines: Object.fromEntries(this.deps.refusals?.refused ?? []),
      sources: Object.fromEntries(this.deps.sources.map((s) => [s.id, s.stats])),
    };
  }
}

/** What each count grew by since `logged` (zeros left out) and their sum; brings `logged` up to date. */
function countsSince(now: Iterable<readonly [string, number]>, logged: Map<string, number>): { fresh: Record<string, number>; total: number } {
  const fresh: Record<string, number> = {};
  let total = 0;
  for (const [reason, n] of now) {
    const delta = n - (logged.get(reason) ?? 0);
    if (delta > 0) {
      fresh[reason] = delta;
      total += delta;
    }
    logged.set(reason, n);
  }
  return { fresh, total };
}
