// APIBAN sync throughput: 10,000 and 100,000 entries from the local APIBAN-compatible server through
// the client (v2, pages of 250) into the SQLite store, and (as root) into the kernel set feed:apiban
// of the iptables (ipset) and nftables backends, each inside a fresh network namespace (unshare -n).
// Every measurement runs in its own child process so peak RSS is its own.
//   node --import tsx bench/feed-sync.ts [--sizes 10000,100000] [--modes store,iptables,nftables]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

type Mode = 'store' | 'iptables' | 'nftables';
interface Row {
  mode: Mode;
  size: number;
  ms: number;
  pages: number;
  stored: number;
  kernel: number | null;
  baseRssMb: number;
  peakRssMb: number;
}

const SELF = fileURLToPath(import.meta.url);

async function child(mode: Mode, size: number): Promise<Row> {
  const { configSchema } = await import('../src/config/schema.ts');
  const { systemClock } = await import('../src/core/clock.ts');
  const { silentLogger } = await import('../src/core/log.ts');
  const { createApibanFeed, createFeedDeps, createStoreSink, runFeedSync } = await import('../src/feeds/index.ts');
  const { Store } = await import('../src/store/store.ts');
  const { startApibanServer, publicIps } = await import('../test/helpers/apiban-server.ts');
  if (mode !== 'store') execFileSync('ip', ['link', 'set', 'lo', 'up']); // a fresh namespace starts with lo down
  const server = await startApibanServer({ keys: ['bench'] });
  server.add(publicIps(size));
  const dir = mkdtempSync(join(tmpdir(), 'sipwarden-bench-'));
  const store = new Store(join(dir, 'bench.db'), systemClock);
  const config = configSchema.parse({ feeds: { apiban: { key: 'bench', url: server.url } } });
  let backend: import('../src/enforce/backend.ts').FirewallBackend | undefined;
  if (mode !== 'store') {
    const e = await import('../src/enforce/index.ts');
    const { BUILTIN_USER_AGENTS } = await import('../src/detect/signatures/scanner-user-agents.ts');
    const policy = e.compilePolicy(config, { builtinUserAgents: BUILTIN_USER_AGENTS });
    backend = e.createBackend(mode, { policy, feeds: ['apiban'], exec: e.realExec, kv: new e.MemoryKeyValue(), clock: systemClock, log: silentLogger });
    await backend.init();
  }
  try {
    const sink = createStoreSink(store, backend, systemClock);
    const deps = createFeedDeps(config, { store, sink, clock: systemClock, log: silentLogger, ownAddresses: [] });
    const feed = createApibanFeed(config.feeds.apiban!, { timeoutMs: 30_000 });
    const baseRssMb = process.memoryUsage().rss / 2 ** 20;
    const t0 = performance.now();
    const r = await runFeedSync(feed, deps);
    const ms = performance.now() - t0;
    if (r.status !== 'ok') throw new Error(`sync ended ${r.status}: ${r.error?.message}`);
    const kernel = backend ? (await backend.list('feed:apiban')).size : null;
    const peakRssMb = process.resourceUsage().maxRSS / 1024;
    return { mode, size, ms, pages: r.pages, stored: store.activeBans('feed:apiban').length, kernel, baseRssMb, peakRssMb };
  } finally {
    await backend?.teardown().catch(() => undefined);
    store.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function runChild(mode: Mode, size: number): Row | string {
  const node = [process.execPath, '--import', 'tsx', SELF, '--child', mode, String(size)];
  const [cmd, ...args] = mode === 'store' ? node : ['unshare', '-n', ...node];
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 15 * 60_000 });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !line.startsWith('{')) return `failed: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`;
  return JSON.parse(line) as Row;
}

function kernelModes(): { modes: Mode[]; why?: string } {
  if (process.getuid?.() !== 0) return { modes: [], why: 'not root: kernel modes skipped (store only)' };
  const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
  const modes: Mode[] = [];
  if (has('ipset') && has('iptables')) modes.push('iptables');
  if (has('nft')) modes.push('nftables');
  return { modes, why: modes.length ? undefined : 'ipset/iptables/nft missing: kernel modes skipped' };
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
}

async function main(): Promise<void> {
  if (arg('--child')) {
    const row = await child(arg('--child') as Mode, Number(process.argv[process.argv.indexOf('--child') + 2]));
    console.log(JSON.stringify(row));
    return;
  }
  const sizes = (arg('--sizes') ?? '10000,100000').split(',').map(Number);
  const kernel = kernelModes();
  const modes = (arg('--modes')?.split(',') as Mode[] | undefined) ?? ['store', ...kernel.modes];
  if (kernel.why) console.log(`note: ${kernel.why}`);
  console.log('APIBAN sync from the local server (v2, 250 per page), one child process per row');
  console.log('mode      entries   pages   time (s)   entries/s   stored   kernel    base RSS   peak RSS');
  for (const size of sizes) {
    for (const mode of modes) {
      const r = runChild(mode, size);
      if (typeof r === 'string') {
        console.log(`${mode.padEnd(9)} ${String(size).padStart(7)}   ${r}`);
        continue;
      }
      const cols = [
        r.mode.padEnd(9), String(r.size).padStart(7), String(r.pages).padStart(7), (r.ms / 1000).toFixed(2).padStart(10),
        String(Math.round(r.size / (r.ms / 1000))).padStart(11), String(r.stored).padStart(8), String(r.kernel ?? '-').padStart(8),
        `${r.baseRssMb.toFixed(0)} MB`.padStart(10), `${r.peakRssMb.toFixed(0)} MB`.padStart(10),
      ];
      console.log(cols.join(' '));
    }
  }
  console.log('base RSS: the child after loading the server with the entries (the server runs in the same process); peak: its maximum.');
}

await main();
