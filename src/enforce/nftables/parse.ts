// Reads `nft -j list set` output back into entries.
import { formatPrefix, tryParsePrefix } from '../../core/ip.ts';
import type { KernelEntry } from '../backend.ts';

type NftElem = string | { prefix: { addr: string; len: number } } | { elem: { val: NftElem; timeout?: number; expires?: number } } | { range: [string, string] };

function elemTarget(v: NftElem): string | null {
  if (typeof v === 'string') return tryParsePrefix(v)?.text ?? null;
  if ('prefix' in v) return tryParsePrefix(`${v.prefix.addr}/${v.prefix.len}`)?.text ?? null;
  if ('range' in v) return rangeToPrefix(v.range[0], v.range[1]);
  return null;
}

/** nft prints a merged interval as a range; convert back when it is an exact prefix. */
function rangeToPrefix(lo: string, hi: string): string | null {
  const a = tryParsePrefix(lo);
  const b = tryParsePrefix(hi);
  if (!a || !b || a.family !== b.family) return null;
  const bits = a.family === 4 ? 32 : 128;
  const span = b.network - a.network + 1n;
  const len = bits - (span.toString(2).length - 1);
  return span > 0n && (span & (span - 1n)) === 0n ? formatPrefix(a.family, a.network, len) : `${a.text}-${b.text}`;
}

export function parseNftSet(json: string): Map<string, KernelEntry> {
  const out = new Map<string, KernelEntry>();
  let doc: { nftables?: { set?: { elem?: NftElem[] } }[] };
  try {
    doc = JSON.parse(json);
  } catch {
    return out;
  }
  for (const item of doc.nftables ?? []) {
    for (const e of item.set?.elem ?? []) {
      const inner = typeof e === 'object' && 'elem' in e ? e.elem : null;
      const target = elemTarget(inner ? inner.val : e);
      if (!target) continue;
      out.set(target, { target, timeout: inner?.expires ?? inner?.timeout ?? null });
    }
  }
  return out;
}
