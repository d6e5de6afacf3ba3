// The iptables backend: bans in ipsets (hash:net with per-entry timeouts), dropped from the raw
// table before conntrack; the SIP string policy in the mangle table. Every change is one
// `ipset restore` and one `iptables-restore --noflush` per family.
import type { Clock } from '../../core/clock.ts';
import { tryParsePrefix } from '../../core/ip.ts';
import type { Logger } from '../../core/log.ts';
import type { Ban, Exec, Family, Target } from '../../core/types.ts';
import { kernelTimeout, type CommitResult, type FirewallBackend, type KernelEntry, type SetName } from '../backend.ts';
import { requireTool, run } from '../exec.ts';
import { readCreated, recordCreated, type KeyValue } from '../kernel-state.ts';
import type { Policy } from '../policy.ts';
import { CHAIN } from '../sip-rules.ts';
import { IPSET, setFor } from './names.ts';
import { parseIpsetSave } from './parse.ts';
import { hasJump, ownChains, renderIpsetScript, renderIptablesScript, renderTeardown } from './render.ts';

const CREATED_KEY = 'iptables.created_tables';
const TABLES = ['raw', 'mangle'] as const;

interface Pending {
  op: 'add' | 'del';
  set: string;
  target: Target;
  timeout?: number;
}

export interface IptablesBackendDeps {
  policy: Policy;
  feeds: string[];
  exec: Exec;
  kv: KeyValue;
  clock: Clock;
  log: Logger;
}

export class IptablesBackend implements FirewallBackend {
  readonly name = 'iptables' as const;
  private pending: Pending[] = [];

  constructor(private readonly deps: IptablesBackendDeps) {}

  private tool(family: Family, what: 'save' | 'restore'): string {
    return requireTool(`${family === 4 ? 'iptables' : 'ip6tables'}-${what}`);
  }

  private async save(family: Family, table?: string): Promise<string> {
    return run(this.deps.exec, this.tool(family, 'save'), table ? ['-t', table] : [], undefined, 'reading the ruleset');
  }

  async init(): Promise<void> {
    const { exec, kv } = this.deps;
    const ipset = requireTool('ipset');
    // The sets come first: the rules refer to them.
    await run(exec, ipset, ['restore'], renderIpsetScript(this.deps), 'creating the ipsets');
    for (const family of [4, 6] as Family[]) {
      const saved = await this.save(family);
      for (const table of TABLES) {
        if (!saved.includes(`*${table}\n`)) recordCreated(kv, CREATED_KEY, `${family}/${table}`);
      }
      const script = renderIptablesScript(this.deps, family, {
        rawJump: hasJump(saved, CHAIN.raw),
        mangleJump: hasJump(saved, CHAIN.sip),
      });
      await run(exec, this.tool(family, 'restore'), ['--noflush'], script + this.staleChains(saved, script), `applying the IPv${family} rules`);
    }
  }

  /** Chains an earlier, larger policy declared that this one does not: flushed and deleted. */
  private staleChains(saved: string, script: string): string {
    const declared = new Set(ownChains(script));
    const out: string[] = [];
    for (const table of TABLES) {
      const section = saved.split('*').find((s) => s.startsWith(`${table}\n`)) ?? '';
      const stale = ownChains(section).filter((c) => !declared.has(c));
      if (stale.length) out.push(`*${table}`, ...stale.map((c) => `-F ${c}`), ...stale.map((c) => `-X ${c}`), 'COMMIT');
    }
    return out.length ? `${out.join('\n')}\n` : '';
  }

  add(ban: Ban, set: SetName = 'ban'): void {
    const p = tryParsePrefix(ban.target);
    if (!p) return;
    this.pending.push({ op: 'add', set: setFor(set, p.family), target: p.text, timeout: kernelTimeout(ban, this.deps.clock.now()) });
  }

  remove(target: Target, set: SetName = 'ban'): void {
    const p = tryParsePrefix(target);
    if (!p) return;
    this.pending.push({ op: 'del', set: setFor(set, p.family), target: p.text });
  }

  async commit(): Promise<CommitResult> {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return { added: 0, removed: 0, failed: [] };
    const script = batch
      .map((p) => (p.op === 'add' ? `add ${p.set} ${p.target} timeout ${p.timeout} -exist` : `del ${p.set} ${p.target} -exist`))
      .join('\n');
    const r = await this.deps.exec(requireTool('ipset'), ['restore'], `${script}\n`);
    if (r.code !== 0) {
      return { added: 0, removed: 0, failed: batch.map((p) => ({ target: p.target, error: r.stderr.trim() })) };
    }
    const added = batch.filter((p) => p.op === 'add').length;
    return { added, removed: batch.length - added, failed: [] };
  }

  private async listSets(names: string[]): Promise<Map<Target, KernelEntry>> {
    const out = new Map<Target, KernelEntry>();
    for (const name of names) {
      const r = await this.deps.exec(requireTool('ipset'), ['save', name]);
      if (r.code !== 0) continue; // not created (yet): empty
      for (const [k, v] of parseIpsetSave(r.stdout, name)) out.set(k, v);
    }
    return out;
  }

  list(set: SetName = 'ban'): Promise<Map<Target, KernelEntry>> {
    return this.listSets([setFor(set, 4), setFor(set, 6)]);
  }

  listScanners(): Promise<Map<Target, KernelEntry>> {
    return this.listSets([IPSET.scan(4), IPSET.scan(6)]);
  }

  async teardown(): Promise<void> {
    const { exec, kv, log } = this.deps;
    for (const family of [4, 6] as Family[]) {
      let script = '';
      for (const table of TABLES) {
        const saved = await this.save(family, table);
        script += renderTeardown(table, saved, table === 'raw' ? CHAIN.raw : CHAIN.sip);
      }
      if (script) await run(exec, this.tool(family, 'restore'), ['--noflush'], script, `removing the IPv${family} rules`);
    }
    const ipset = requireTool('ipset');
    const names = (await run(exec, ipset, ['list', '-n'])).split('\n').filter((n) => n.startsWith('sipwarden'));
    // list:sets hold references to the others: destroy them first.
    const ordered = [...names.filter((n) => n === IPSET.block || n === IPSET.blockUdp), ...names.filter((n) => n !== IPSET.block && n !== IPSET.blockUdp)];
    for (const n of ordered) await run(exec, ipset, ['destroy', n], undefined, `destroying ipset ${n}`);
    await this.dropCreatedTables();
    kv.set(CREATED_KEY, undefined);
    log.info('removed sipwarden rules and sets');
  }

  /** iptables-nft leaves an empty table behind once created; delete the ones we made if still empty. */
  private async dropCreatedTables(): Promise<void> {
    const { exec } = this.deps;
    const version = await exec(this.tool(4, 'save').replace(/-save$/, ''), ['--version']);
    if (!version.stdout.includes('nf_tables')) return; // legacy tables cannot be deleted
    for (const entry of readCreated(this.deps.kv, CREATED_KEY)) {
      const [fam, table] = entry.split('/') as [string, string];
      const family = Number(fam) as Family;
      const saved = await this.save(family, table);
      const busy = saved.split('\n').some((l) => l.startsWith('-A ') || (l.startsWith(':') && !/^:(PREROUTING|INPUT|FORWARD|OUTPUT|POSTROUTING) ACCEPT/.test(l)));
      if (busy || !saved.includes(`*${table}`)) continue;
      await exec(requireTool('nft'), ['delete', 'table', family === 4 ? 'ip' : 'ip6', table]);
    }
  }
}
