// Renders the iptables backend: one `ipset restore` script for the sets and one
// `iptables-restore --noflush` script per family for our chains. Nothing here runs anything.
import type { Family } from '../../core/types.ts';
import type { Prefix } from '../../core/ip.ts';
import type { Policy } from '../policy.ts';
import { CHAIN, renderSipRules, type RenderedSipRules } from '../sip-rules.ts';
import { IPSET } from './names.ts';

const FAMILIES: Family[] = [4, 6];
const INET: Record<Family, string> = { 4: 'inet', 6: 'inet6' };

export interface IptablesLayout {
  policy: Policy;
  /** Feed names that get their own sets. */
  feeds: string[];
}

/** Creates every set (idempotent with -exist) and refills the static ones (friends, ranges) by swap. */
export function renderIpsetScript(layout: IptablesLayout): string {
  const { policy } = layout;
  const out: string[] = [];
  const create = (name: string, spec: string) => out.push(`create ${name} ${spec} -exist`);
  const refill = (name: string, spec: string, prefixes: Prefix[]) => {
    const tmp = IPSET.tmp(name);
    create(tmp, spec);
    out.push(`flush ${tmp}`);
    for (const p of prefixes) out.push(`add ${tmp} ${p.text} -exist`);
    out.push(`swap ${tmp} ${name}`, `destroy ${tmp}`);
  };
  for (const f of FAMILIES) {
    const allowSpec = `hash:net family ${INET[f]} maxelem 65536`;
    create(IPSET.allow(f), allowSpec);
    refill(IPSET.allow(f), allowSpec, policy.friends.filter((p) => p.family === f));
    create(IPSET.ban(f), `hash:net family ${INET[f]} timeout 0 hashsize 65536 maxelem 16777216`);
    create(IPSET.scan(f), `hash:ip family ${INET[f]} timeout ${policy.scannerBanTime || 3600} maxelem 1048576`);
    for (const feed of layout.feeds) create(IPSET.feed(feed, f), `hash:net family ${INET[f]} timeout 0 maxelem 16777216`);
  }
  for (const r of policy.ranges) {
    const spec = 'hash:net family inet maxelem 65536';
    create(IPSET.range(r.name), spec);
    refill(IPSET.range(r.name), spec, r.prefixes.filter((p) => p.family === 4));
  }
  // The list:sets are rebuilt each time so a range switched off stops being dropped.
  create(IPSET.block, 'list:set size 64');
  create(IPSET.blockUdp, 'list:set size 64');
  out.push(`flush ${IPSET.block}`, `flush ${IPSET.blockUdp}`);
  const all = [
    ...FAMILIES.flatMap((f) => [IPSET.ban(f), IPSET.scan(f), ...layout.feeds.map((feed) => IPSET.feed(feed, f))]),
    ...policy.ranges.filter((r) => r.proto === 'all').map((r) => IPSET.range(r.name)),
  ];
  for (const s of all) out.push(`add ${IPSET.block} ${s}`);
  for (const r of policy.ranges.filter((r) => r.proto === 'udp')) out.push(`add ${IPSET.blockUdp} ${IPSET.range(r.name)}`);
  return `${out.join('\n')}\n`;
}

/** The raw and mangle sections of `iptables-restore --noflush` for one family. */
export function renderIptablesScript(layout: IptablesLayout, family: Family, jump: (chain: string) => boolean): string {
  const { policy } = layout;
  const allowSet = IPSET.allow(family);
  const lines: string[] = ['*raw', `:${CHAIN.raw} - [0:0]`, `:${CHAIN.rawDrop} - [0:0]`];
  if (!jump(CHAIN.raw)) lines.push(`-I PREROUTING 1 -j ${CHAIN.raw}`);
  // Bans drop before conntrack, so an established UDP flow from a newly banned source stops at once.
  // A friend is checked only after a set matched, so ordinary packets pay one lookup, not two.
  lines.push(`-A ${CHAIN.raw} -m set --match-set ${IPSET.block} src -j ${CHAIN.rawDrop}`);
  if (policy.ranges.some((r) => r.proto === 'udp')) {
    lines.push(`-A ${CHAIN.raw} -p udp -m set --match-set ${IPSET.blockUdp} src -j ${CHAIN.rawDrop}`);
  }
  lines.push(`-A ${CHAIN.rawDrop} -m set --match-set ${allowSet} src -j RETURN`, `-A ${CHAIN.rawDrop} -j DROP`, 'COMMIT');
  lines.push(...renderMangle(renderSipRules(policy, family, { kind: 'drop', allowSet, scanSet: IPSET.scan(family) }), jump));
  return `${lines.join('\n')}\n`;
}

/** The mangle section holding the SIP string rules. */
export function renderMangle(sip: RenderedSipRules, jump: (chain: string) => boolean): string[] {
  const lines = ['*mangle', ...sip.chains.map((c) => `:${c} - [0:0]`)];
  if (!jump(CHAIN.sip)) lines.push(`-I PREROUTING 1 -j ${CHAIN.sip}`);
  return [...lines, ...sip.rules, 'COMMIT'];
}
