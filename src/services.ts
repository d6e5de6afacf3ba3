// The daemon's optional parts, built from the config: detection (sources, signatures, rules) and
// the feed scheduler. Each is a Service the daemon starts in order and stops in reverse.
import { configuredSignatures } from './cli/signatures.ts';
import { Detection } from './detection.ts';
import { FeedScheduler } from './feeds/index.ts';
import { wireFeeds } from './cli/feeds-wiring.ts';
import type { Daemon, Service } from './main.ts';
import { amiSource } from './sources/ami/client.ts';
import { asteriskLogSource, journaldSource } from './sources/asterisk-log/source.ts';
import { captureSource } from './sources/capture/tcpdump.ts';
import { hepSource } from './sources/hep/listener.ts';
import { DEFAULT_BACKOFF, withRestart } from './sources/restart.ts';
import type { EventSource } from './sources/source.ts';

function buildSources(d: Daemon): EventSource[] {
  const { asterisk: a, capture, hep } = d.config.detect;
  const raw: EventSource[] = [...a.logs.map((path) => asteriskLogSource(path)), ...(a.journald ? [journaldSource()] : [])];
  // Immediate mode: without it tcpdump hands packets over in blocks up to ~1 s late, and a ban
  // decision is worth most in the first few packets of an attack.
  if (capture.interface) raw.push(captureSource({ interface: capture.interface, ports: d.config.sip.ports, immediate: true }));
  if (hep.listen) raw.push(hepSource({ listen: hep.listen, password: hep.password }));
  if (a.ami) raw.push(amiSource({ host: a.ami.host, port: a.ami.port, username: a.ami.username, secret: a.ami.secret }));
  return raw.map((s) => withRestart(s, DEFAULT_BACKOFF, d.log.child({ source: s.id })));
}

function detectionService(d: Daemon): Service | null {
  const sources = buildSources(d);
  if (sources.length === 0) return null;
  const detection = new Detection({
    config: d.config,
    sources,
    signatures: configuredSignatures(d.config),
    bans: () => d.bans,
    store: d.store,
    clock: d.clock,
    log: d.log.child({ stage: 'detect' }),
    isFriend: (ip) => d.isFriend(ip), // the daemon's current friends, also after a reload
  });
  return detection;
}

function feedService(d: Daemon): Service | null {
  const { feeds, deps } = wireFeeds(d.config, d.store, d.backend, d.policy, d.clock, d.log);
  if (feeds.length === 0) return null;
  const scheduler = new FeedScheduler({
    feeds,
    deps,
    onResult: (r) => d.log.info({ feed: r.feed, status: r.status, entries: r.entries, added: r.added, removed: r.removed, error: r.error?.message }, 'feed synced'),
  });
  const abort = new AbortController();
  return {
    name: 'feeds',
    start: async () => scheduler.start(abort.signal),
    stop: async () => {
      abort.abort();
      await scheduler.stop();
    },
    status: () => scheduler.status(),
  };
}

export function services(d: Daemon): Service[] {
  return [detectionService(d), feedService(d)].filter((s): s is Service => s !== null);
}
