// What every command needs, built once from the config: store, policy and backend. This is the
// composition root for one-shot commands (the daemon has its own in src/main.ts).
import { loadConfig, type LoadedConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { systemClock, type Clock } from '../core/clock.ts';
import { AppError } from '../core/errors.ts';
import { createLogger, type Logger } from '../core/log.ts';
import { BUILTIN_USER_AGENTS } from '../detect/signatures/scanner-user-agents.ts';
import { compilePolicy, createBackend, realExec, type FirewallBackend, type Policy } from '../enforce/index.ts';
import { feedNames, friendlyHostAddresses, resolveFriendNames, storeKeyValue } from '../service/wiring.ts';
import { Store } from '../store/store.ts';

export interface GlobalOptions {
  config?: string;
  backend?: string;
  json?: boolean;
}

export interface Context {
  loaded: LoadedConfig;
  config: Config;
  clock: Clock;
  log: Logger;
  store: Store;
  policy: Policy;
  backend: FirewallBackend;
  close(): void;
}

export async function openContext(opts: GlobalOptions, extra: { resolveNames?: boolean; logLevel?: string } = {}): Promise<Context> {
  const loaded = loadConfig(opts.config);
  const config = loaded.config;
  const log = createLogger(extra.logLevel ?? (opts.json ? 'error' : 'warn'));
  const clock = systemClock;
  const backendName = opts.backend ?? config.firewall.backend;
  if (!['iptables', 'nftables', 'none'].includes(backendName)) {
    throw new AppError('ERR_BACKEND_UNKNOWN', `--backend '${backendName}' is not supported: use iptables, nftables or none`);
  }
  const store = new Store(config.store.path, clock);
  const resolved = extra.resolveNames ? await resolveFriendNames(config, log) : [];
  const policy = compilePolicy(config, {
    builtinUserAgents: BUILTIN_USER_AGENTS,
    resolvedFriends: resolved,
    hostAddresses: friendlyHostAddresses(),
  });
  const feeds = feedNames(config);
  const backend = createBackend(backendName, { policy, feeds, exec: realExec, kv: storeKeyValue(store), clock, log });
  return { loaded, config, clock, log, store, policy, backend, close: () => store.close() };
}

/** Root is needed for anything that touches the kernel. */
export function requireRoot(backend: FirewallBackend): void {
  if (backend.name !== 'none' && process.getuid?.() !== 0) {
    throw new AppError('ERR_NOT_ROOT', `the ${backend.name} backend needs root (CAP_NET_ADMIN) to change the firewall`, {
      hint: 'run it with sudo, or add --backend none to try it without touching the kernel',
    });
  }
}
