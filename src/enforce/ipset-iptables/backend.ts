// The iptables backend: bans in ipsets (hash:net with per-entry timeouts), dropped from the raw
// table before conntrack; the SIP string policy in the mangle table. Every change is one
// `ipset restore` and one `iptables-restore --noflush` per family.
import type { Clock } from '../../core/clock.ts';
import { tryParsePrefix } from '../../core/ip.ts';
import type { Logger } from '../../core/log.ts';
import type { Ban, Exec, Target } from '../../core/types.ts';
import { kernelTimeout, type CommitResult, type FirewallBackend, type KernelEntry, type SetName } from '../backend.ts';
import { requireTool, run } from '../exec.ts';
import { IptablesTables, type EntryChain } from '../iptables-tables.ts';
import type { KeyValue } from '../kernel-state.ts';
import type { Policy } from '../policy.ts';
import { CHAIN } from '../sip-rules.ts';
import { IPSET, setFor } from './names.ts';
import { parseIpsetSave, parseMembers } from './parse.ts';
import { comparedSets, renderIpsetAbort, renderIpsetCommit, renderIpsetPrepare, renderIptablesScript, type IpsetState } from './render.ts';

const ENTRIES: EntryChain[] = [
  { table: 'raw', chain: CHAIN.raw },
  { table: 'mangle', chain: CHAIN.sip },
];

interface Pending {
  op: 'add' | 'del';
  set: string;
  target: Target;
  timeout?: number;
}

export interface BackendDeps {
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
  private readonly tables: IptablesTables;

  constructor(private readonly deps: BackendDeps) {
    this.tables = new IptablesTables(deps.exec, deps.kv);
  }

  /** What the kernel holds of our sets: names, and members of the static and list sets. */
  private async ipsetState(): Promise<IpsetState> {
    const ipset = requireTool('ipset');
    const names = new Set((await run(this.deps.exec, ipset, ['list', '-n'])).split('\n').filter((n) => n.startsWith('sipwarden')));
    const members = new Map<string, string[]>();
    for (const name of comparedSets(this.deps)) {
      if (!names.has(name)) continue;
      members.set(name, parseMembers(await run(this.deps.exec, ipset, ['save', name]), name));
    }
    return { names, members };
  }

  /**
   * Sets first (the rules refer to them; static ones are filled as temporary copies), then the
   * rules of both families, then the copies swapped in. A refused step undoes the earlier ones.
   */
  async init(): Promise<void> {
    const ipset = requireTool('ipset');
    const state = await this.ipsetState();
    try {
      await run(this.deps.exec, ipset, ['restore'], renderIpsetPrepare(this.deps, state), 'creating the ipsets');
      await this.tables.applyAll(ENTRIES, (family, jump) => renderIptablesScript(this.deps, family, jump));
    } catch (e) {
      await this.deps.exec(ipset, ['restore', '-exist'], `${renderIpsetAbort(this.deps, state)}\n`);
      throw e;
    }
    const commit = renderIpsetCommit(this.deps, state);
    if (commit) await run(this.deps.exec, ipset, ['restore'], commit, 'swapping in the friend and range sets');
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
    // -exist: adding refreshes the timeout of an entry already there; deleting a missing one is fine.
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
    await this.tables.teardown(ENTRIES);
    const ipset = requireTool('ipset');
    const names = (await run(this.deps.exec, ipset, ['list', '-n'])).split('\n').filter((n) => n.startsWith('sipwarden'));
    for (const n of names) {
      await run(this.deps.exec, ipset, ['destroy', n], undefined, `destroying ipset ${n}`);
    }
    this.deps.log.info('removed sipwarden rules and sets');
  }
}
