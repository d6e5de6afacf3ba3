// Our chains inside iptables tables, for both backends (the nftables backend keeps its string
// rules here too). Applies with `iptables-restore --noflush`, deletes chains a smaller policy no
// longer declares, and on teardown removes only our chains, plus any table only we created.
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
    const done: { family: Family; saved: string }[] = [];
    const rollback = async () => {
      for (const { family, saved } of done.reverse()) await this.restoreTables(family, tables, saved);
    };
    for (const family of [4, 6] as Family[]) {
      const saved = await this.save(family);
      for (const { table } of tables) {
        if (!saved.includes(`*${table}\n`)) recordCreated(this.kv, CREATED_KEY, `${family}/${table}`);
      }
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
        await rollback();
        throw e;
      }
      done.push({ family, saved });
    }
    return rollback;
  }

  /** Puts our tables of one family back to a saved state (a table that was absent is emptied). */
  private async restoreTables(family: Family, tables: readonly EntryChain[], saved: string): Promise<void> {
    const parts = tables.map(({ table }) => {
      const s = section(saved, table);
      return s || `*${table}\nCOMMIT\n`;
    });
    await run(this.exec, this.bin(family, 'restore'), [], parts.join(''), `restoring the previous IPv${family} rules`);
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
    const version = await this.exec(this.bin(4, ''), ['--version']);
    const created = readCreated(this.kv, CREATED_KEY);
    this.kv.set(CREATED_KEY, undefined);
    if (!version.stdout.includes('nf_tables')) return; // legacy tables cannot be deleted
    for (const entry of created) {
      const [fam, table] = entry.split('/') as [string, string];
      const family = Number(fam) as Family;
      const saved = await this.save(family, table);
      const builtin = /^:(PREROUTING|INPUT|FORWARD|OUTPUT|POSTROUTING) ACCEPT/;
      const busy = saved.split('\n').some((l) => l.startsWith('-A ') || (l.startsWith(':') && !builtin.test(l)));
      if (busy || !saved.includes(`*${table}`)) continue;
      await this.exec(requireTool('nft'), ['delete', 'table', family === 4 ? 'ip' : 'ip6', table]);
    }
  }
}
