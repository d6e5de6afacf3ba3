// What the firewall of a namespace holds, as comparable text: iptables-save, ip6tables-save,
// nft list ruleset and ipset list, with the parts that change by themselves (packet counters,
// "# Generated/Completed" comments, per-entry countdowns) taken out.
import { runIn } from './harness.ts';

export interface KernelSnapshot {
  iptables: string;
  ip6tables: string;
  nft: string;
  ipset: string;
}

/** Drops counters [n:m], the timestamp comments, and nft "counter packets n bytes m". */
export function normalizeSave(text: string): string {
  return text
    .split('\n')
    .filter((l) => !/^# (Generated|Completed)/.test(l))
    .map((l) => l.replace(/\[\d+:\d+\]/g, '[0:0]').replace(/ -c \d+ \d+/g, ''))
    .join('\n')
    .trim();
}

/**
 * Counters and element countdowns out; top-level tables sorted by their header, because `nft list
 * ruleset` prints tables in creation order, which carries no meaning (hook priorities order them).
 */
export function normalizeNft(text: string): string {
  const clean = text
    .replace(/counter packets \d+ bytes \d+/g, 'counter')
    .replace(/ expires [0-9dhms]+/g, '')
    .trim();
  const tables = clean.split(/\n(?=table )/).map((t) => t.trim());
  return tables.sort().join('\n');
}

/** Entry countdowns ("timeout 3597") change every second; the set header's timeout does not. */
export function normalizeIpset(text: string): string {
  let members = false;
  return text
    .split('\n')
    .map((l) => {
      if (l.startsWith('Name:')) members = false;
      if (members) return l.replace(/ timeout \d+/, '').replace(/ packets \d+ bytes \d+/, '');
      if (l.startsWith('Members:')) members = true;
      return l.replace(/^Number of references: \d+$/, 'Number of references: -').replace(/^Size in memory: \d+$/, 'Size in memory: -');
    })
    .join('\n')
    .trim();
}

async function out(ns: string, file: string, args: string[]): Promise<string> {
  const r = await runIn(ns, file, args);
  if (r.code !== 0) return `!${file} exited ${r.code}: ${r.stderr.trim()}`;
  return r.stdout;
}

export async function snapshot(ns: string): Promise<KernelSnapshot> {
  const [iptables, ip6tables, nft, ipset] = await Promise.all([
    out(ns, 'iptables-save', []),
    out(ns, 'ip6tables-save', []),
    out(ns, 'nft', ['list', 'ruleset']),
    out(ns, 'ipset', ['list']),
  ]);
  return {
    iptables: normalizeSave(iptables),
    ip6tables: normalizeSave(ip6tables),
    nft: normalizeNft(nft),
    ipset: normalizeIpset(ipset),
  };
}

/**
 * What differs between two snapshots, readably: per part, the lines only in `before` ("- ...")
 * and only in `after` ("+ ..."), compared as multisets. Empty when they are the same.
 */
export function snapshotDiff(before: KernelSnapshot, after: KernelSnapshot): string[] {
  const out: string[] = [];
  for (const part of Object.keys(before) as (keyof KernelSnapshot)[]) {
    if (before[part] === after[part]) continue;
    const count = new Map<string, number>();
    for (const l of before[part].split('\n')) count.set(l, (count.get(l) ?? 0) + 1);
    const added: string[] = [];
    for (const l of after[part].split('\n')) {
      const n = count.get(l) ?? 0;
      if (n > 0) count.set(l, n - 1);
      else added.push(l);
    }
    const removed = [...count].flatMap(([l, n]) => Array<string>(n).fill(l));
    out.push(...removed.map((l) => `${part} - ${l}`), ...added.map((l) => `${part} + ${l}`));
    if (removed.length + added.length === 0) out.push(`${part}: same lines, different order`);
  }
  return out;
}
