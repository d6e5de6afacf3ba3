// Keeps a source running: a failure is logged, counted and retried with exponential backoff, so a
// dropped AMI connection or a crashed tcpdump never takes the daemon down.
import { errorMessage } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { type EventSource, SourceSetupError, sleep } from './source.ts';

export interface Backoff {
  /** First delay after a failure, ms. */
  min: number;
  /** Longest delay, ms; an attempt that ran this long counts as healthy and resets the delay. */
  max: number;
}

export const DEFAULT_BACKOFF: Backoff = { min: 1000, max: 60_000 };

/**
 * Wraps a source so its events() never throws once started: a SourceSetupError on the very first
 * attempt is passed through (the daemon should refuse to start); anything else, and any later
 * failure, is logged, stored in stats.lastError, and retried after min, 2·min, ... up to max ms.
 * A source that ends without an abort is restarted too: a follower is not supposed to end.
 */
export function withRestart(source: EventSource, backoff: Backoff, log: Logger): EventSource {
  const wrapped: EventSource = {
    id: source.id,
    stats: source.stats,
    setupMs: source.setupMs,
    events: (signal) => restartLoop(source, (s) => source.events(s), backoff, log, signal),
  };
  const batches = source.batches?.bind(source);
  if (batches) wrapped.batches = (signal) => restartLoop(source, batches, backoff, log, signal);
  return wrapped;
}

/** Runs `run` (the source's events() or batches()) again after each failure, as described above. */
async function* restartLoop<T>(
  source: EventSource,
  run: (signal: AbortSignal) => AsyncIterable<T>,
  backoff: Backoff,
  log: Logger,
  signal: AbortSignal,
): AsyncGenerator<T> {
  let delay = backoff.min;
  for (let attempt = 0; !signal.aborted; attempt++) {
    const started = Date.now();
    let failure: unknown = null;
    try {
      yield* run(signal);
    } catch (e) {
      if (attempt === 0 && e instanceof SourceSetupError) throw e;
      failure = e;
    }
    if (signal.aborted) return;
    const message = failure === null ? 'the source ended' : errorMessage(failure);
    source.stats.lastError = message;
    if (Date.now() - started >= backoff.max) delay = backoff.min;
    log.warn({ source: source.id, err: message, retryInMs: delay }, 'event source failed; restarting');
    await sleep(delay, signal);
    if (signal.aborted) return;
    source.stats.restarts++;
    delay = Math.min(delay * 2, backoff.max);
  }
}
