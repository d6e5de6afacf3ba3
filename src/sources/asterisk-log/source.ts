// Asterisk's log as events: one 'log-line' per line, from a followed file or from journald.
import { systemClock, type Clock } from '../../core/clock.ts';
import { silentLogger, type Logger } from '../../core/log.ts';
import type { RawEvent } from '../../core/types.ts';
import { LineSplitter } from '../lines.ts';
import { countSkip, createStats, eachEvent, type EventSource, type SourceStats } from '../source.ts';
import { runProcess } from '../subprocess.ts';
import { followLines, type FollowOptions } from './follow.ts';

export interface LogSourceOptions extends Pick<FollowOptions, 'fromStart' | 'pollMs' | 'drainMs'> {
  clock?: Clock;
  log?: Logger;
}

/** Follows an Asterisk log file (security, messages, full) across rotation and truncation. */
export function asteriskLogSource(path: string, opts: LogSourceOptions = {}): EventSource {
  const id = `asterisk-log:${path}`;
  const stats = createStats();
  const clock = opts.clock ?? systemClock;
  const log = (opts.log ?? silentLogger).child({ source: id });
  async function* batches(signal: AbortSignal): AsyncGenerator<RawEvent[]> {
    const lines = followLines(path, signal, {
      ...opts,
      onOverlong: () => countSkip(stats, 'overlong-line'),
      onNotice: (what, detail) => log[what === 'missing' ? 'warn' : 'info']({ file: detail }, `log file ${what}`),
    });
    // fromStart is for the first attempt only: a restart re-reading the whole file would repeat it.
    opts = { ...opts, fromStart: false };
    for await (const batch of lines) {
      const evs = toEvents(batch, id, clock.now(), stats);
      if (evs.length > 0) yield evs;
    }
  }
  return { id, stats, events: (signal) => eachEvent(batches(signal)), batches };
}

export interface JournaldOptions {
  /** The systemd unit (default "asterisk"). */
  unit?: string;
  /** The journalctl program (tests put a fake one here). */
  command?: string;
  env?: NodeJS.ProcessEnv;
  clock?: Clock;
}

/**
 * Follows Asterisk's journal: `journalctl -f -o cat -n 0 -u UNIT`. -n 0 starts at the end, like the
 * file follower; -o cat gives the message alone, as Asterisk wrote it (ANSI colour codes included).
 */
export function journaldSource(opts: JournaldOptions = {}): EventSource {
  const unit = opts.unit ?? 'asterisk';
  const id = `journald:${unit}`;
  const stats = createStats();
  const clock = opts.clock ?? systemClock;
  async function* batches(signal: AbortSignal): AsyncGenerator<RawEvent[]> {
    const splitter = new LineSplitter(() => countSkip(stats, 'overlong-line'));
    const args = ['-f', '-o', 'cat', '-n', '0', '-u', unit];
    for await (const chunk of runProcess(opts.command ?? 'journalctl', args, signal, { env: opts.env })) {
      const evs = toEvents(splitter.push(chunk), id, clock.now(), stats);
      if (evs.length > 0) yield evs;
    }
  }
  return { id, stats, events: (signal) => eachEvent(batches(signal)), batches };
}

/** One event per non-blank line; lines read together share their arrival time `at`. */
function toEvents(lines: string[], source: string, at: number, stats: SourceStats): RawEvent[] {
  const events: RawEvent[] = [];
  for (const line of lines) {
    if (isBlank(line)) continue;
    stats.received++;
    events.push({ type: 'log-line', source, at, line });
  }
  return events;
}

/** Blank or whitespace only; a line starting with a visible ASCII character is settled without trim(). */
function isBlank(line: string): boolean {
  const c = line.charCodeAt(0);
  return line.length === 0 || ((c <= 32 || c > 126) && line.trim() === '');
}
