// The daemon's Asterisk-log path, for bench/log-ingest.ts: the log source as createSources builds it
// (asteriskLogSource read from the start, wrapped in withRestart) feeding Detection with every
// configured signature and the rules engine, exactly as `sipwarden run` does. Only the kernel commit
// is stubbed (BanService.banMany records the targets): the bench measures reading and detection.
import { configSchema } from '../../src/config/schema.ts';
import { FakeClock } from '../../src/core/clock.ts';
import { silentLogger } from '../../src/core/log.ts';
import type { Ban } from '../../src/core/types.ts';
import { Detection } from '../../src/detection.ts';
import type { BanRequest, BanService } from '../../src/service/bans.ts';
import { configuredSignatures } from '../../src/service/signatures.ts';
import { asteriskLogSource } from '../../src/sources/asterisk-log/source.ts';
import { DEFAULT_BACKOFF, withRestart } from '../../src/sources/restart.ts';
import { Store } from '../../src/store/store.ts';

export interface IngestRun {
  events: number;
  offenses: number;
  decisions: number;
  /** Addresses the stubbed BanService was asked to ban. */
  banned: Set<string>;
  /** From Detection.start() until it had handled `lines` events. */
  seconds: number;
  /** Process CPU time (user + system, every thread) over the same span. */
  cpu: number;
}

/** Follows `file` from its start until Detection has handled `lines` events (or timeoutMs passed). */
export async function daemonLogIngest(file: string, lines: number, timeoutMs = 600_000): Promise<IngestRun> {
  // The year of the log's "[Nov 27 ...]" stamps comes from the clock: a fixed one keeps runs equal.
  const clock = new FakeClock(new Date(2026, 10, 27, 12).getTime());
  const config = configSchema.parse({});
  const store = new Store(':memory:', clock);
  const banned = new Set<string>();
  const bans = {
    async banMany(reqs: readonly BanRequest[]) {
      const done: Ban[] = reqs.map((r) => ({ target: r.target, origin: r.origin, reason: r.reason, created: clock.now(), expires: null, hits: 1 }));
      for (const r of reqs) banned.add(r.target);
      return { banned: done, refused: [] };
    },
  } as unknown as BanService;
  const source = withRestart(asteriskLogSource(file, { clock, fromStart: true }), DEFAULT_BACKOFF, silentLogger);
  const detection = new Detection({
    config, sources: [source], signatures: configuredSignatures(config), bans: () => bans, store, clock, log: silentLogger, isFriend: () => false,
  });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  try {
    await detection.start(); // consumes while it waits for setup errors (500 ms)
    while (detection.counts.events < lines && performance.now() - t0 < timeoutMs) await new Promise((r) => setTimeout(r, 2));
    const seconds = (performance.now() - t0) / 1000;
    const used = process.cpuUsage(cpu0);
    const { events, offenses, decisions } = detection.counts;
    return { events, offenses, decisions, banned, seconds, cpu: (used.user + used.system) / 1e6 };
  } finally {
    await detection.stop();
    store.close();
  }
}
