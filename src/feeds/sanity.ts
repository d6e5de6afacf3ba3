// Poisoning defence: a feed is someone else's data, so every entry passes the same checks before it
// can ban anything. Refused entries are counted per reason (and logged by the runner), never applied.
import { hostAddresses } from '../core/host.ts';
import { NON_PUBLIC_RANGES, overlaps, PrefixSet, rangeOf, specialPrefixes, tryParsePrefix, type Prefix } from '../core/ip.ts';
import type { Target } from '../core/types.ts';
import type { RefusalCounts, RefusalReason } from './feed.ts';

export interface SanityOptions {
  /** Entries broader than these prefix lengths are refused (feeds.min_prefix_v4 / _v6). */
  minPrefixV4: number;
  minPrefixV6: number;
  /** The host's own addresses (default: every interface address). */
  ownAddresses?: readonly string[];
  /** True when a prefix is a friend, inside one, or contains one. */
  isFriend?: (p: Prefix) => boolean;
}

export interface SanityResult {
  accepted: Prefix[];
  refused: RefusalCounts;
  /** Canonical text of the refused entries that parsed (so a feed can drop ones it had before). */
  refusedTargets: Target[];
}

export type SanityFilter = (entries: readonly string[]) => SanityResult;

const REASON_OF_RANGE: Record<string, RefusalReason> = {
  loopback: 'loopback',
  linkLocal: 'link-local',
  private: 'private',
  uniqueLocal: 'private',
  carrierGradeNat: 'private',
  multicast: 'multicast',
};

/** Every special-purpose range, so a broad entry that CONTAINS one is caught. */
const SPECIAL_PREFIXES: { prefix: Prefix; reason: RefusalReason }[] = specialPrefixes().map(({ name, prefix }) => ({
  prefix,
  reason: REASON_OF_RANGE[name] ?? 'reserved',
}));

/** The reason a parsed prefix is unsafe to ban, or null when it is an ordinary public target. */
function classify(p: Prefix, opts: SanityOptions, own: readonly Prefix[]): RefusalReason | null {
  const min = p.family === 4 ? opts.minPrefixV4 : opts.minPrefixV6;
  if (p.length === 0 || p.length < min) return 'too-broad';
  const range = rangeOf(p);
  if (NON_PUBLIC_RANGES.has(range) || (range !== 'unicast' && range !== 'global')) return REASON_OF_RANGE[range] ?? 'reserved';
  // The network address is public, but a broad entry may still swallow a special range.
  for (const s of SPECIAL_PREFIXES) if (s.prefix.length > p.length && overlaps(s.prefix, p)) return s.reason;
  if (own.some((o) => overlaps(o, p))) return 'own-address';
  if (opts.isFriend?.(p)) return 'friend';
  return null;
}

export function createSanityFilter(opts: SanityOptions): SanityFilter {
  const own = (opts.ownAddresses ?? hostAddresses()).map((a) => tryParsePrefix(a)).filter((p): p is Prefix => p !== null);
  return (entries) => {
    const accepted: Prefix[] = [];
    const refused: RefusalCounts = {};
    const refusedTargets: Target[] = [];
    const seen = new Set<Target>();
    for (const text of entries) {
      const p = typeof text === 'string' ? tryParsePrefix(text) : null;
      const reason = p ? classify(p, opts, own) : 'malformed';
      if (reason) {
        refused[reason] = (refused[reason] ?? 0) + 1;
        if (p) refusedTargets.push(p.text);
      } else if (!seen.has(p!.text)) {
        seen.add(p!.text);
        accepted.push(p!);
      }
    }
    return { accepted, refused, refusedTargets };
  };
}

/**
 * A friend matcher over the allowlist: true when a feed prefix is a friend, lies inside a friend's
 * prefix, or contains a friend (a feed CIDR that would swallow a friend is refused whole).
 */
export function friendMatcher(friends: readonly string[]): (p: Prefix) => boolean {
  const set = new PrefixSet();
  const list: Prefix[] = [];
  for (const f of friends) {
    const p = tryParsePrefix(f);
    if (!p) continue; // DNS names are resolved by the caller, which passes addresses
    set.add(p, true);
    list.push(p);
  }
  return (p) => set.has(p) || list.some((f) => f.length >= p.length && overlaps(f, p));
}
