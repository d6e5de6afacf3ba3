// The daemon's composition root: config → store → backend → detection and feeds → run, and an
// ordered shutdown (sources → detection → final commit → backend → store) that leaves the bans in
// the kernel, where their timeouts keep working while sipwarden is down.
import { loadConfig } from './config/load.ts';
import type { Config } from './config/schema.ts';
import { systemClock, type Clock } from './core/clock.ts';
import { errorMessage } from './core/errors.ts';
import { PrefixSet, tryParsePrefix } from './core/ip.ts';
import type { Logger } from './core/log.ts';
import { BUILTIN_USER_AGENTS } from './detect/signatures/scanner-user-agents.ts';
import { compilePolicy, createBackend, realExec, type FirewallBackend, type Policy } from './enforce/index.ts';
import { BanService } from './service/bans.ts';
import { Store } from './store/store.ts';
import { feedNames, friendlyHostAddresses, resolveFriendNames, storeKeyValue } from './service/wiring.ts';

export interface DaemonOptions {
  configPath?: string;
  backend?: string;
  log: Logger;
  clock?: Clock;
}

/** A part of the daemon with its own lifecycle (detection, feeds, api). */
export interface Service {
  name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  status?(): unknown;
}

export class Daemon {
  config!: Config;
  store!: Store;
  backend!: FirewallBackend;
  bans!: BanService;
  policy!: Policy;
  readonly clock: Clock;
  private timers: NodeJS.Timeout[] = [];
  private services: Service[] = [];
  private stopping = false;
  readonly startedAt: number;
  readonly counters = { reconciles: 0, expired: 0, reloads: 0, errors: 0 };

  constructor(private readonly opts: DaemonOptions) {
    this.clock = opts.clock ?? systemClock;
    this.startedAt = this.clock.now();
  }

  get log(): Logger {
    return this.opts.log;
  }

  private friends = new PrefixSet();

  /** Is this address a configured friend (allow list, loopback, this host)? */
  isFriend(ip: string): boolean {
    const p = tryParsePrefix(ip);
    return !!p && this.friends.has(p);
  }

  private async build(config: Config): Promise<void> {
    const resolved = await resolveFriendNames(config, this.log);
    this.policy = compilePolicy(config, { builtinUserAgents: BUILTIN_USER_AGENTS, resolvedFriends: resolved, hostAddresses: friendlyHostAddresses() });
    const name = this.opts.backend ?? config.firewall.backend;
    this.backend = createBackend(name, { policy: this.policy, feeds: feedNames(config), exec: realExec, kv: storeKeyValue(this.store), clock: this.clock, log: this.log.child({ stage: 'enforce' }) });
    this.bans = new BanService(this.store, this.backend, this.policy, this.clock);
    this.friends = new PrefixSet();
    for (const f of this.policy.friends) this.friends.add(f, true);
    const r = await this.bans.apply(feedNames(config));
    this.log.info({ backend: name, bans: r.bans, friends: this.policy.friends.length }, 'policy applied');
  }

  async start(makeServices: (d: Daemon) => Service[] = () => []): Promise<void> {
    this.config = loadConfig(this.opts.configPath).config;
    this.store = new Store(this.config.store.path, this.clock);
    await this.build(this.config);
    this.services = makeServices(this);
    for (const s of this.services) await s.start();
    this.every(10, () => this.expire());
    this.every(this.config.firewall.reconcile_interval, () => this.reconcile());
    this.every(this.config.allow_resolve_interval, () => this.refreshFriends());
    this.every(5, () => this.writeStatus());
    this.writeStatus();
  }

  private every(seconds: number, fn: () => unknown): void {
    const t = setInterval(async () => {
      try {
        await fn();
      } catch (e) {
        this.counters.errors++;
        this.log.error({ err: errorMessage(e) }, 'periodic task failed; retrying next time');
      }
    }, Math.max(1, seconds) * 1000);
    // Not unref'd: these timers are the daemon's own work and keep the process alive when no
    // source or feed is configured.
    this.timers.push(t);
  }

  expire(): void {
    const gone = this.bans.expire();
    this.counters.expired += gone.length;
    for (const b of gone) this.log.info({ target: b.target, origin: b.origin }, 'ban expired');
  }

  async reconcile(): Promise<void> {
    const results = await this.bans.reconcileAll(feedNames(this.config));
    this.counters.reconciles++;
    for (const { set, result: r } of results) {
      if (r.failed.length) {
        this.counters.errors++;
        this.log.error({ set, failed: r.failed.length, err: r.failed[0].error }, 'kernel drifted from the store and the repair failed; run `sipwarden apply`');
      } else if (r.missing || r.extra) {
        this.log.warn({ set, missing: r.missing, extra: r.extra }, 'kernel drifted from the store; repaired');
      }
    }
  }

  /** DNS names in `allow` may move: re-apply the policy when their addresses change. */
  private async refreshFriends(): Promise<void> {
    const resolved = await resolveFriendNames(this.config, this.log);
    const before = new Set(this.policy.friends.map((f) => f.text));
    const now = compilePolicy(this.config, { builtinUserAgents: BUILTIN_USER_AGENTS, resolvedFriends: resolved, hostAddresses: friendlyHostAddresses() });
    if (now.friends.length !== before.size || now.friends.some((f) => !before.has(f.text))) await this.reload();
  }

  /** SIGHUP: read the config again and re-apply; a bad config keeps the running one. */
  async reload(): Promise<void> {
    let config: Config;
    try {
      config = loadConfig(this.opts.configPath).config;
    } catch (e) {
      this.log.error({ err: errorMessage(e) }, 'reload refused: the new config is invalid; keeping the running one');
      return;
    }
    await this.build(config);
    this.config = config;
    this.counters.reloads++;
    for (const s of this.services) (s as { reload?: (c: Config) => void }).reload?.(config);
  }

  status(): Record<string, unknown> {
    return {
      pid: process.pid,
      started: new Date(this.startedAt).toISOString(),
      backend: this.backend.name,
      bans: this.store.activeBans().length,
      counters: this.counters,
      services: Object.fromEntries(this.services.map((s) => [s.name, s.status?.() ?? {}])),
      updated: new Date(this.clock.now()).toISOString(),
    };
  }

  /** `sipwarden status` reads this snapshot from the store. */
  private writeStatus(): void {
    this.store.setKv('daemon.status', JSON.stringify(this.status()));
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const t of this.timers) clearInterval(t);
    for (const s of [...this.services].reverse()) {
      try {
        await s.stop();
      } catch (e) {
        this.log.error({ service: s.name, err: errorMessage(e) }, 'service did not stop cleanly');
      }
    }
    await this.backend.commit(); // anything still buffered
    this.store.setKv('daemon.status', JSON.stringify({ ...this.status(), stopped: new Date(this.clock.now()).toISOString() }));
    this.store.close();
    this.log.info('stopped; bans stay in the kernel until their timeouts');
  }
}
