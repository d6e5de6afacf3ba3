// Renders the nftables backend as one `nft -f` file: one transaction, so a refused file changes
// nothing. Bans of single addresses live in hash sets and prefixes in interval sets, because an
// interval set refuses overlapping elements and most bans are single addresses.
import type { Prefix } from '../../core/ip.ts';
import type { Family } from '../../core/types.ts';
import type { SetName } from '../backend.ts';
import type { Policy } from '../policy.ts';

export const TABLE = 'inet sipwarden';
const ADDR: Record<Family, string> = { 4: 'ipv4_addr', 6: 'ipv6_addr' };
const SADDR: Record<Family, string> = { 4: 'ip saddr', 6: 'ip6 saddr' };

export const NFT_SET = {
  allow: (f: Family) => `allow${f}`,
  scan: (f: Family) => `scan${f}`,
  range: (name: string) => `r_${name}4`,
  /** Single addresses of a ban set or feed. */
  hosts: (set: SetName, f: Family) => `${set === 'ban' ? 'ban' : `f_${set.slice(5)}`}${f}`,
  /** Prefixes of a ban set or feed. */
  nets: (set: SetName, f: Family) => `${set === 'ban' ? 'bannet' : `f_${set.slice(5)}_net`}${f}`,
};

export interface NftLayout {
  policy: Policy;
  feeds: string[];
}

function elements(prefixes: Prefix[]): string {
  return prefixes.map((p) => p.text).join(', ');
}

/** Sets, chains and rules; static sets (friends, ranges) refilled; ban sets keep their contents. */
export function renderNftRuleset(layout: NftLayout): string {
  const { policy } = layout;
  const sets: SetName[] = ['ban', ...layout.feeds.map((f) => `feed:${f}` as const)];
  const out: string[] = [`add table ${TABLE}`];
  const staticSet = (name: string, f: Family, prefixes: Prefix[]) => {
    out.push(`add set ${TABLE} ${name} { type ${ADDR[f]}; flags interval; auto-merge; }`, `flush set ${TABLE} ${name}`);
    if (prefixes.length) out.push(`add element ${TABLE} ${name} { ${elements(prefixes)} }`);
  };
  for (const f of [4, 6] as Family[]) {
    staticSet(NFT_SET.allow(f), f, policy.friends.filter((p) => p.family === f));
    for (const s of sets) {
      out.push(`add set ${TABLE} ${NFT_SET.hosts(s, f)} { type ${ADDR[f]}; flags timeout; size 16777216; }`);
      out.push(`add set ${TABLE} ${NFT_SET.nets(s, f)} { type ${ADDR[f]}; flags interval, timeout; }`);
    }
    // The set's own default timeout is fixed; the rule gives each entry sip.scanner_ban_time, so a
    // changed ban time never clashes with the set as the kernel has it.
    out.push(`add set ${TABLE} ${NFT_SET.scan(f)} { type ${ADDR[f]}; flags dynamic, timeout; timeout 3600s; size 1048576; }`);
  }
  for (const r of policy.ranges) staticSet(NFT_SET.range(r.name), 4, r.prefixes.filter((p) => p.family === 4));

  // Prerouting at raw priority: before conntrack, so a banned source's established flow dies at once.
  out.push(`add chain ${TABLE} raw { type filter hook prerouting priority raw; policy accept; }`, `flush chain ${TABLE} raw`);
  for (const f of [4, 6] as Family[]) {
    const spare = `${SADDR[f]} != @${NFT_SET.allow(f)}`;
    const drop = (match: string) => out.push(`add rule ${TABLE} raw ${match} ${spare} drop`);
    for (const s of sets) {
      drop(`${SADDR[f]} @${NFT_SET.hosts(s, f)}`);
      drop(`${SADDR[f]} @${NFT_SET.nets(s, f)}`);
    }
    drop(`${SADDR[f]} @${NFT_SET.scan(f)}`);
  }
  for (const r of policy.ranges) {
    const proto = r.proto === 'udp' ? 'meta l4proto udp ' : '';
    out.push(`add rule ${TABLE} raw ${proto}ip saddr @${NFT_SET.range(r.name)} ip saddr != @allow4 drop`);
  }

  // After iptables' mangle PREROUTING (-150), where the string rules mark what they caught.
  const m = `0x${policy.mark.toString(16)}`;
  const fm = `0x${(policy.mark * 2).toString(16)}`;
  out.push(`add chain ${TABLE} sip { type filter hook prerouting priority mangle + 10; policy accept; }`, `flush chain ${TABLE} sip`);
  for (const f of [4, 6] as Family[]) {
    const spare = `${SADDR[f]} != @${NFT_SET.allow(f)}`;
    const ban = policy.scannerBanTime > 0 ? `update @${NFT_SET.scan(f)} { ${SADDR[f]} timeout ${policy.scannerBanTime}s } ` : '';
    out.push(`add rule ${TABLE} sip meta nfproto ${f === 4 ? 'ipv4' : 'ipv6'} meta mark & ${m} == ${m} ${spare} ${ban}drop`);
    out.push(`add rule ${TABLE} sip meta nfproto ${f === 4 ? 'ipv4' : 'ipv6'} meta mark & ${fm} == ${fm} ${spare} drop`);
  }
  return `${out.join('\n')}\n`;
}
