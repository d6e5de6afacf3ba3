// Our chains inside iptables tables, for both backends (the nftables backend keeps its string
// rules here too). Applies with `iptables-restore --noflush`, deletes chains a smaller policy no
// longer declares, and on teardown removes only our chains, plus any table only we created.
import { AppError } from '../core/errors.ts';
import type { Exec, Family } from '../core/types.ts';
import { requireTool, run } from './exec.ts';
import { readCreated, recordCreated, type KeyValue } from './kernel-state.ts';

const CREATED_KEY = 'iptables.created_tables';

export interface EntryChain {
  table: 'raw' | 'mangle';
  chain: string;
}

export function hasJump(saved: string, chain: string): boolean {
  return saved.split('\n').some((l) => l.trim() === `-A PREROUTING -j ${chain}`);
}

export function ownChains(saved: string): string[] {
  return saved
    .split('\n')
    .filter((l) => l.startsWith(':sipwarden'))
    .map((l) => l.slice(1).split(' ')[0]);
}

/** One table's section of iptables-save output, from `*table` to its COMMIT; '' when absent. */
function section(saved: string, table: string): string {
  const lines = saved.split('\n');
  const start = lines.indexOf(`*${table}`);
  if (start < 0) return '';
  const end = lines.indexOf('COMMIT', start);
  return `${lines.slice(start, end < 0 ? undefined : end + 1).join('\n')}\n`;
}

export class IptablesTables {
  constructor(
    private readonly exec: Exec,
    private readonly kv: KeyValue,
  ) {}

  private bin(family: Family, what: 'save' | 'restore' | ''): string {
    const base = family === 4 ? 'iptables' : 'ip6tables';
    return requireTool(what ? `${base}-${what}` : base);
  }

  save(family: Family, table?: string): Promise<string> {
    return run(this.exec, this.bin(family, 'save'), table ? ['-t', table] : [], undefined, 'reading the ruleset');
  }

  /**
   * Applies every family's script (`render(family, jumpExists)`; the jump test keeps a re-apply
   * from adding a second jump). If one is refused, the families already applied are put back as
   * they were and the error is thrown: a failed apply leaves the previous ruleset in place.
   * Returns the rollback, for a caller whose own later step fails.
   */
  async applyAll(tables: readonly EntryChain[], render: (family: Family, jump: (chain: string) => boolean) => string): Promise<() => Promise<void>> {
    const done: { family: Family; saved: string; created: string[] }[] = [];
    // A refused restore changed nothing (each is one transaction): only families that went in
    // are rolled back, each on its own, so one failing rollback does not stop the other.
    const rollback = async () => {
      const errors: unknown[] = [];
      for (const d of [...done].reverse()) await this.restoreOwn(d.family, tables, d.saved, d.created).catch((e) => errors.push(e));
      if (errors.length) throw errors[0];
    };
    for (const family of [4, 6] as Family[]) {
      const saved = await this.save(family);
      const created = tables.map((t) => t.table).filter((table) => !saved.includes(`*${table}\n`));
      for (const table of created) recordCreated(this.kv, CREATED_KEY, `${family}/${table}`);
      const script = render(family, (chain) => hasJump(saved, chain));
      const declared = new Set(ownChains(script));
      let stale = '';
      for (const { table } of tables) {
        const gone = ownChains(section(saved, table)).filter((c) => !declared.has(c));
        if (gone.length) stale += [`*${table}`, ...gone.map((c) => `-F ${c}`), ...gone.map((c) => `-X ${c}`), 'COMMIT', ''].join('\n');
      }
      try {
        await run(this.exec, this.bin(family, 'restore'), ['--noflush'], script + stale, `applying the IPv${family} iptables rules`);
      } catch (e) {
        await this.deleteIfEmpty(family, created).catch(() => {});
        const undo = await rollback().then(() => null, (r: unknown) => r);
        if (undo) {
          throw new AppError('ERR_EXEC_FAILED', `${(e as Error).message}; putting the earlier rules back failed too: ${(undo as Error).message}`, {
            cause: e,
            hint: 'run `sipwarden remove` and then `sipwarden apply` with a config the kernel accepts',
          });
        }
        throw e;
      }
      done.push({ family, saved, created });
    }
    return rollback;
  }

  /**
   * Puts our chains of one family back as they were saved, touching nothing else: chains we had
   * get their saved rules back, chains we added go, jumps we added go, and a table this apply
   * created is deleted once empty. (Restoring whole tables would bring back every built-in chain
   * iptables-save prints, which nft would then hold although it never had them.)
   */
  private async restoreOwn(family: Family, tables: readonly EntryChain[], saved: string, created: string[]): Promise<void> {
    const now = await this.save(family);
    const lines: string[] = [];
    for (const { table, chain } of tables) {
      const before = section(saved, table);
      const after = section(now, table);
      if (!after) continue;
      const hadChains = new Set(ownChains(before));
      const current = ownChains(after);
      lines.push(`*${table}`, ...[...new Set([...current, ...hadChains])].map((c) => `:${c} - [0:0]`));
      if (!hasJump(before, chain) && hasJump(after, chain)) lines.push(`-D PREROUTING -j ${chain}`);
      if (hasJump(before, chain) && !hasJump(after, chain)) lines.push(`-I PREROUTING 1 -j ${chain}`);
      for (const c of current.filter((c) => !hadChains.has(c))) lines.push(`-X ${c}`);
      lines.push(...before.split('\n').filter((l) => [...hadChains].some((c) => l.startsWith(`-A ${c} `))), 'COMMIT');
    }
    if (lines.length) await run(this.exec, this.bin(family, 'restore'), ['--noflush'], `${lines.join('\n')}\n`, `restoring the previous IPv${family} rules`);
    await this.deleteIfEmpty(family, created);
  }

  /** Removes the jumps to our chains and the chains themselves, in every table given. */
  async teardown(tables: readonly EntryChain[]): Promise<void> {
    for (const family of [4, 6] as Family[]) {
      const lines: string[] = [];
      for (const { table, chain } of tables) {
        const saved = await this.save(family, table);
        const chains = ownChains(saved);
        const jumps = saved.split('\n').filter((l) => l.startsWith('-A PREROUTING') && l.includes(`-j ${chain}`));
        if (!chains.length && !jumps.length) continue;
        lines.push(`*${table}`, ...jumps.map((l) => l.replace('-A PREROUTING', '-D PREROUTING')));
        lines.push(...chains.map((c) => `-F ${c}`), ...chains.map((c) => `-X ${c}`), 'COMMIT');
      }
      if (lines.length) await run(this.exec, this.bin(family, 'restore'), ['--noflush'], `${lines.join('\n')}\n`, `removing the IPv${family} iptables rules`);
    }
    await this.dropCreatedTables();
  }

  /** iptables-nft leaves an empty table behind once created; delete the ones we made, if empty. */
  private async dropCreatedTables(): Promise<void> {
    const created = readCreated(this.kv, CREATED_KEY);
    const kept: string[] = [];
    for (const family of [4, 6] as Family[]) {
      const mine = created.filter((e) => e.startsWith(`${family}/`)).map((e) => e.slice(2));
      const left = await this.deleteIfEmpty(family, mine);
      kept.push(...left.map((t) => `${family}/${t}`));
    }
    // A table still in use (the other backend's rules, someone else's) stays on the record, so a
    // later remove can delete it once it is empty.
    this.kv.set(CREATED_KEY, kept.length ? JSON.stringify(kept) : undefined);
  }

  /** Deletes each table that holds nothing; returns the ones left because they are in use. */
  private async deleteIfEmpty(family: Family, tables: string[]): Promise<string[]> {
    if (tables.length === 0) return [];
    const version = await this.exec(this.bin(4, ''), ['--version']);
    if (!version.stdout.includes('nf_tables')) return []; // legacy tables cannot be deleted
    const builtin = /^:(PREROUTING|INPUT|FORWARD|OUTPUT|POSTROUTING) ACCEPT/;
    const left: string[] = [];
    for (const table of tables) {
      const saved = await this.save(family, table);
      if (!saved.includes(`*${table}`)) continue; // already gone
      const busy = saved.split('\n').some((l) => l.startsWith('-A ') || (l.startsWith(':') && !builtin.test(l)));
      if (busy) left.push(table);
      else await this.exec(requireTool('nft'), ['delete', 'table', family === 4 ? 'ip' : 'ip6', table]);
    }
    return left;
  }
}
