// Renders the iptables backend: `ipset restore` scripts for the sets and one
// `iptables-restore --noflush` script per family for our chains. Nothing here runs anything.
//
// An apply is two-phase so a refused ruleset changes nothing: `prepare` creates missing sets and
// fills temporary copies of the static sets (friends, ranges); the rules go in; `commit` swaps
// the copies into place. Static sets whose content is already right are left alone, so applying
// twice changes nothing at all.
import type { Prefix } from '../../core/ip.ts';
import type { Family } from '../../core/types.ts';
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

/** What the kernel holds now: set names, and the members of the static and list sets. */
export interface IpsetState {
  names: Set<string>;
  members: Map<string, string[]>;
}

interface SetSpec {
  name: string;
  spec: string;
  /** Static content (friends, ranges), refilled by swap when it differs; undefined = dynamic. */
  content?: string[];
}

function setSpecs(layout: IptablesLayout): SetSpec[] {
  const { policy } = layout;
  const texts = (ps: Prefix[]) => ps.map((p) => p.text);
  const out: SetSpec[] = [];
  for (const f of FAMILIES) {
    out.push({ name: IPSET.allow(f), spec: `hash:net family ${INET[f]} maxelem 65536`, content: texts(policy.friends.filter((p) => p.family === f)) });
    out.push({ name: IPSET.ban(f), spec: `hash:net family ${INET[f]} timeout 0 hashsize 65536 maxelem 16777216` });
    // Fixed default timeout: the SET target gives each entry sip.scanner_ban_time, so a changed
    // ban time never clashes with the set as the kernel has it.
    out.push({ name: IPSET.scan(f), spec: `hash:ip family ${INET[f]} timeout 3600 maxelem 1048576` });
    for (const feed of layout.feeds) out.push({ name: IPSET.feed(feed, f), spec: `hash:net family ${INET[f]} timeout 0 maxelem 16777216` });
  }
  for (const r of policy.ranges) {
    out.push({ name: IPSET.range(r.name), spec: 'hash:net family inet maxelem 65536', content: texts(r.prefixes.filter((p) => p.family === 4)) });
  }
  return out;
}

const same = (a: string[] | undefined, b: string[]) => !!a && a.length === b.length && [...a].sort().join() === [...b].sort().join();

/** Sets whose members apply compares with the kernel: the static ones (friends, ranges). */
export function comparedSets(layout: IptablesLayout): string[] {
  return setSpecs(layout).filter((s) => s.content).map((s) => s.name);
}

/** The sets whose members are dropped on every protocol, for one family. */
function dropSets(layout: IptablesLayout, family: Family): string[] {
  return [
    IPSET.ban(family),
    IPSET.scan(family),
    ...layout.feeds.map((feed) => IPSET.feed(feed, family)),
    ...(family === 4 ? layout.policy.ranges.filter((r) => r.proto === 'all').map((r) => IPSET.range(r.name)) : []),
  ];
}

/** Phase one: create what is missing, fill temporary copies of changed static sets. */
export function renderIpsetPrepare(layout: IptablesLayout, state: IpsetState): string {
  const out: string[] = [];
  for (const s of setSpecs(layout)) {
    out.push(`create ${s.name} ${s.spec} -exist`);
    if (s.content && !same(state.members.get(s.name), s.content)) {
      const tmp = IPSET.tmp(s.name);
      out.push(`create ${tmp} ${s.spec} -exist`, `flush ${tmp}`, ...s.content.map((p) => `add ${tmp} ${p} -exist`));
    }
  }
  return `${out.join('\n')}\n`;
}

/** Phase two, after the rules are in: swap the copies in. */
export function renderIpsetCommit(layout: IptablesLayout, state: IpsetState): string {
  const out: string[] = [];
  for (const s of setSpecs(layout)) {
    if (s.content && !same(state.members.get(s.name), s.content)) out.push(`swap ${IPSET.tmp(s.name)} ${s.name}`, `destroy ${IPSET.tmp(s.name)}`);
  }
  return out.length ? `${out.join('\n')}\n` : '';
}

/** Cleans up after a refused apply: temporary copies, and sets this apply created. */
export function renderIpsetAbort(layout: IptablesLayout, state: IpsetState): string {
  const out: string[] = [];
  for (const s of setSpecs(layout)) {
    if (s.content && !same(state.members.get(s.name), s.content)) out.push(`destroy ${IPSET.tmp(s.name)}`);
  }
  for (const name of setSpecs(layout).map((s) => s.name)) {
    if (!state.names.has(name)) out.push(`destroy ${name}`);
  }
  return out.join('\n');
}

/** The raw and mangle sections of `iptables-restore --noflush` for one family. */
export function renderIptablesScript(layout: IptablesLayout, family: Family, jump: (chain: string) => boolean): string {
  const { policy } = layout;
  const allowSet = IPSET.allow(family);
  const lines: string[] = ['*raw', `:${CHAIN.raw} - [0:0]`, `:${CHAIN.rawDrop} - [0:0]`];
  if (!jump(CHAIN.raw)) lines.push(`-I PREROUTING 1 -j ${CHAIN.raw}`);
  // Bans drop before conntrack, so an established UDP flow from a newly banned source stops at once.
  // A friend is checked only after a set matched, so ordinary packets pay one lookup, not two.
  // One rule per set: a single hash lookup is nearly free, while one list:set over them all cost a
  // fifth of the benign packet rate when measured (bench/enforce.ts).
  for (const set of dropSets(layout, family)) lines.push(`-A ${CHAIN.raw} -m set --match-set ${set} src -j ${CHAIN.rawDrop}`);
  lines.push(`-A ${CHAIN.rawDrop} -m set --match-set ${allowSet} src -j RETURN`, `-A ${CHAIN.rawDrop} -j DROP`, 'COMMIT');
  const sip = renderSipRules(policy, family, { kind: 'drop', allowSet, scanSet: IPSET.scan(family) });
  if (policy.ranges.some((r) => r.proto === 'udp')) {
    // UDP-only ranges are static, so only a new flow can come from one: testing NEW (native in
    // nft) first spares every packet of an established flow the second set lookup.
    sip.chains.push(CHAIN.udpDrop);
    const udpOnly = policy.ranges.filter((r) => r.proto === 'udp');
    const at = sip.rules.findIndex((r) => r.startsWith(`-A ${CHAIN.sip} `) && !r.includes('--mark'));
    sip.rules.splice(at, 0, ...(family === 4 ? udpOnly : []).map((r) => `-A ${CHAIN.sip} -p udp -m conntrack --ctstate NEW -m set --match-set ${IPSET.range(r.name)} src -j ${CHAIN.udpDrop}`));
    sip.rules.push(`-A ${CHAIN.udpDrop} -m set --match-set ${allowSet} src -j RETURN`, `-A ${CHAIN.udpDrop} -j DROP`);
  }
  lines.push(...renderMangle(sip, jump));
  return `${lines.join('\n')}\n`;
}

/** The mangle section holding the SIP string rules. */
export function renderMangle(sip: RenderedSipRules, jump: (chain: string) => boolean): string[] {
  const lines = ['*mangle', ...sip.chains.map((c) => `:${c} - [0:0]`)];
  if (!jump(CHAIN.sip)) lines.push(`-I PREROUTING 1 -j ${CHAIN.sip}`);
  return [...lines, ...sip.rules, 'COMMIT'];
}

/** `sipwarden render`: both ipset phases as one script, for reading. */
export function renderIpsetScript(layout: IptablesLayout): string {
  const empty: IpsetState = { names: new Set(), members: new Map() };
  return renderIpsetPrepare(layout, empty) + renderIpsetCommit(layout, empty);
}
