// Runs inside the benchmark's receiver namespace: builds sipwarden's firewall backend from a
// config, init()s it (sets, chains, rules of the compiled policy), then adds N bans in one
// commit(), timing both. Prints one JSON line. The bans are N distinct random public IPv4
// addresses from a seeded generator (never 0/8, 10/8, 127/8 or 224/3, so never the sender).
//   node --import tsx bench/tools/load-bans.ts '{"backend":"iptables","n":1000,"config":{...}}'
import { pathToFileURL } from 'node:url';
import { configSchema } from '../../src/config/schema.ts';
import { systemClock } from '../../src/core/clock.ts';
import { silentLogger } from '../../src/core/log.ts';
import type { Ban } from '../../src/core/types.ts';
import { BUILTIN_USER_AGENTS } from '../../src/detect/signatures/scanner-user-agents.ts';
import { compilePolicy, createBackend, MemoryKeyValue, realExec } from '../../src/enforce/index.ts';
import { prng } from '../../src/sip/testgen.ts';

interface Job {
  backend: 'iptables' | 'nftables';
  n: number;
  config?: Record<string, unknown>;
  seed?: number;
}


export function banAddresses(n: number, seed = n): string[] {
  const next = prng(seed);
  const seen = new Set<number>();
  while (seen.size < n) {
    const v = Math.floor(next() * 2 ** 32) >>> 0;
    const a = v >>> 24;
    if (a === 0 || a === 10 || a === 127 || a >= 224) continue;
    seen.add(v);
  }
  return [...seen].map((v) => `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`);
}

async function main(job: Job): Promise<void> {
  const config = configSchema.parse({ ...(job.config ?? {}), firewall: { backend: job.backend } });
  const policy = compilePolicy(config, { builtinUserAgents: BUILTIN_USER_AGENTS, hostAddresses: [] });
  const backend = createBackend(job.backend, {
    policy,
    feeds: [],
    exec: realExec,
    kv: new MemoryKeyValue(),
    clock: systemClock,
    log: silentLogger,
  });
  const addresses = banAddresses(job.n, job.seed ?? job.n);
  const t0 = process.hrtime.bigint();
  await backend.init();
  const t1 = process.hrtime.bigint();
  const now = Date.now();
  for (const target of addresses) {
    const ban: Ban = { target, origin: 'cli', reason: 'bench', created: now, expires: now + 3_600_000, hits: 0 };
    backend.add(ban);
  }
  const tAdded = process.hrtime.bigint();
  const result = await backend.commit();
  const t2 = process.hrtime.bigint();
  const out = {
    initS: Number(t1 - t0) / 1e9,
    /** add() of every ban (buffering, address parsing) plus commit(): what a bulk load costs. */
    loadS: Number(t2 - t1) / 1e9,
    addS: Number(tAdded - t1) / 1e9,
    commitS: Number(t2 - tAdded) / 1e9,
    added: result.added,
    failed: result.failed.length,
    firstError: result.failed[0]?.error.slice(0, 300),
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(JSON.parse(process.argv[2]) as Job).catch((e: Error) => {
    process.stderr.write(`load-bans: ${e.message}\n`);
    process.exit(1);
  });
}
