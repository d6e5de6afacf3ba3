// The contract every event source keeps: bytes in, RawEvent out. A source counts what it received
// and what it skipped, so the daemon can show why a log line or a packet led to nothing.
import { AppError, type ErrorCode } from '../core/errors.ts';
import type { RawEvent } from '../core/types.ts';

export interface SourceStats {
  /** Events yielded. */
  received: number;
  /** Inputs dropped: malformed frames, records or lines, wrong HEP password, overlong lines. */
  skipped: number;
  /** The same count split by reason ('truncated', 'bad-magic', 'auth', ...). */
  skippedByReason: Record<string, number>;
  /** Times withRestart started the source again after a failure. */
  restarts: number;
  /** The last failure's message, or null. */
  lastError: string | null;
  /**
   * For a source that has a set-up step (EventSource.setupMs): true while it is set up (AMI: logged
   * in). The daemon's start waits for it, so a refusal that takes a while still stops the start.
   */
  ready?: boolean;
}

export interface EventSource {
  /** Stable, human-readable: "asterisk-log:/var/log/asterisk/security", "hep:127.0.0.1:9060". */
  id: string;
  stats: SourceStats;
  /**
   * How long the first attempt may take to be set up (it then sets stats.ready) or to fail with a
   * SourceSetupError; the daemon's start waits that long at most. Absent: a setup problem shows
   * at once (a busy port, a missing program), within the start's short wait.
   */
  setupMs?: number;
  /** Yields events until the signal aborts. Ends quietly on abort; throws on failure (see withRestart). */
  events(signal: AbortSignal): AsyncIterable<RawEvent>;
  /**
   * Optional: the same events in the batches the source reads them (one log chunk's lines), with
   * the same contract as events(). The daemon prefers it: on a busy log, an async step per event
   * (a promise per line, twice through withRestart) cost more than the signatures themselves.
   */
  batches?(signal: AbortSignal): AsyncIterable<readonly RawEvent[]>;
}

/** One event at a time out of a batch iterable: events() for a source built on batches(). */
export async function* eachEvent(batches: AsyncIterable<readonly RawEvent[]>): AsyncGenerator<RawEvent> {
  for await (const batch of batches) yield* batch;
}

export function createStats(): SourceStats {
  return { received: 0, skipped: 0, skippedByReason: {}, restarts: 0, lastError: null };
}

export function countSkip(stats: SourceStats, reason: string): void {
  stats.skipped++;
  stats.skippedByReason[reason] = (stats.skippedByReason[reason] ?? 0) + 1;
}

/**
 * A failure the operator must fix (a busy port, a missing tcpdump, a refused AMI login). On the
 * first attempt withRestart lets it through: during the daemon's start it stops the start, after
 * it the daemon logs it and tries the source again later (Detection).
 */
export class SourceSetupError extends AppError {
  constructor(code: ErrorCode, message: string, opts: { cause?: unknown; hint?: string } = {}) {
    super(code, message, opts);
    this.name = 'SourceSetupError';
  }
}

/** Resolves after ms, or at once when the signal aborts (never rejects). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
