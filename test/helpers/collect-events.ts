// Runs an event source in the background and lets a test wait for what it yields.
import type { RawEvent } from '../../src/core/types.ts';
import type { EventSource } from '../../src/sources/source.ts';

export interface Collector {
  events: RawEvent[];
  /** Resolves when predicate(events) holds; after timeoutMs stops the source and rejects with what was seen. */
  until(predicate: (events: RawEvent[]) => boolean, timeoutMs?: number): Promise<void>;
  /** Aborts the source and waits for it to end; rethrows what it threw (other than on abort). */
  stop(): Promise<void>;
  /** Settles when the source ends by itself (its error, or undefined). */
  done: Promise<unknown>;
}

export function collect(source: EventSource | AsyncIterable<RawEvent>): Collector {
  const ac = new AbortController();
  const events: RawEvent[] = [];
  const iterable = 'events' in source ? source.events(ac.signal) : source;
  const done = (async () => {
    try {
      for await (const ev of iterable) events.push(ev);
      return undefined;
    } catch (e) {
      return e;
    }
  })();
  return {
    events,
    done,
    async until(predicate, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(events)) {
        if (Date.now() > deadline) {
          ac.abort(); // a failing test must not leave the source running and the process alive
          throw new Error(`timed out after ${timeoutMs} ms; saw ${events.length} events: ${JSON.stringify(events.slice(-5).map(brief))}`);
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async stop() {
      ac.abort();
      const err = await done;
      if (err) throw err;
    },
  };
}

function brief(ev: RawEvent): unknown {
  if (ev.type === 'log-line') return ev.line;
  if (ev.type === 'sip') return `${ev.src.ip}:${ev.src.port} ${ev.payload.toString('latin1').slice(0, 40)}`;
  return ev.fields;
}

export function lines(events: RawEvent[]): string[] {
  return events.flatMap((e) => (e.type === 'log-line' ? [e.line] : []));
}
