// Composition helpers shared by the CLI and the daemon: the host's own addresses, friend names
// resolved, the store as the backends' key/value memory, and the feeds that get kernel sets.
import { promises as dns } from 'node:dns';
import type { Config } from '../config/schema.ts';
import { hostAddresses } from '../core/host.ts';
import type { Logger } from '../core/log.ts';
import { friendNames, type KeyValue } from '../enforce/index.ts';
import type { Store } from '../store/store.ts';

/** The host's own addresses, link-local ones left out: implicit friends, never banned. */
export function friendlyHostAddresses(): string[] {
  return hostAddresses().filter((a) => !a.startsWith('fe80'));
}

/** Resolves the DNS names in `allow`; a name that does not resolve is logged and skipped. */
export async function resolveFriendNames(config: Config, log: Logger): Promise<string[]> {
  const out: string[] = [];
  for (const name of friendNames(config)) {
    try {
      for (const a of await dns.lookup(name, { all: true })) out.push(a.address);
    } catch (e) {
      log.warn({ name, err: (e as Error).message }, 'friend name does not resolve; skipped until it does');
    }
  }
  return out;
}

export function storeKeyValue(store: Store): KeyValue {
  return { get: (k) => store.getKv(k), set: (k, v) => store.setKv(k, v) };
}

/** Every feed that gets its own kernel set. */
export function feedNames(config: Config): string[] {
  return [...(config.feeds.apiban ? ['apiban'] : []), ...config.feeds.lists.map((l) => l.name)];
}
