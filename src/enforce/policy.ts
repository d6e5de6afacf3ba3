// Compiles the config into a backend-neutral policy: what to drop, what to spare, and the strings
// the kernel looks for. Backends render this; they never read the config themselves.
import type { Config } from '../config/schema.ts';
import { parseTarget, tryParsePrefix, type Prefix } from '../core/ip.ts';
import { BUILTIN_RANGES } from './ranges.ts';

export interface UserAgentEntry {
  text: string;
  match: 'substring' | 'exact';
}

export interface PolicyRange {
  name: string;
  proto: 'all' | 'udp';
  prefixes: Prefix[];
}

export interface Policy {
  ports: { from: number; to: number }[];
  userAgents: UserAgentEntry[];
  /** Strings whose presence in a request marks an SQL-injection probe (case-insensitive). */
  injection: string[];
  registerDomains: string[];
  ranges: PolicyRange[];
  /** Friends: config CIDRs, resolved names, loopback and the host's own addresses. */
  friends: Prefix[];
  scannerBanTime: number;
  /** String rules inspect this many packets at the start of each flow. */
  inspectPackets: number;
  mark: number;
}

/**
 * The SQL-injection family seen in SIP probes (`sip:a'or'3=3--@`, `'or''='`). Each needs a quote
 * next to SQL syntax, so an apostrophe in a display name ("O'Brien", "D'Orsay") is not one.
 */
export const INJECTION_STRINGS: readonly string[] = [
  "'or'", "'or ", "' or ", "' or'", "'and'", "' and ", "'and ",
  "'='", "''=", "'--", "--@", "%27or", "%27 or", "%27--", "' union ", "'union", "';", "'/*",
];

export const LOOPBACK_FRIENDS = ['127.0.0.0/8', '::1'];

function userAgentList(config: Config, builtin: readonly UserAgentEntry[]): UserAgentEntry[] {
  const ua = config.sip.user_agents;
  const removed = new Set(ua.remove.map((s) => s.toLowerCase()));
  const out: UserAgentEntry[] = [];
  const seen = new Set<string>();
  const push = (e: UserAgentEntry) => {
    const key = `${e.match}:${e.text.toLowerCase()}`;
    if (removed.has(e.text.toLowerCase()) || seen.has(key)) return;
    seen.add(key);
    out.push(e);
  };
  if (ua.builtin) builtin.forEach(push);
  ua.add.forEach((text) => push({ text, match: 'substring' }));
  ua.exact.forEach((text) => push({ text, match: 'exact' }));
  return out;
}

export interface PolicyInputs {
  builtinUserAgents: readonly UserAgentEntry[];
  /** Friends from DNS names in `allow`, already resolved. */
  resolvedFriends?: readonly string[];
  /** The host's own addresses (implicit friends). */
  hostAddresses?: readonly string[];
}

export function compilePolicy(config: Config, inputs: PolicyInputs): Policy {
  const friendTexts = [
    ...config.allow.filter((a) => tryParsePrefix(a) !== null),
    ...(inputs.resolvedFriends ?? []),
    ...LOOPBACK_FRIENDS,
    ...(inputs.hostAddresses ?? []),
  ];
  const friends = dedupe(friendTexts.map((t) => parseTarget(t, 'friend')));
  const ranges = BUILTIN_RANGES.filter((r) => config.ranges[r.name as keyof Config['ranges']] !== false).map((r) => ({
    name: r.name,
    proto: r.proto,
    prefixes: r.prefixes.map((p) => parseTarget(p)),
  }));
  return {
    ports: config.sip.ports,
    userAgents: userAgentList(config, inputs.builtinUserAgents),
    injection: config.sip.injection ? [...INJECTION_STRINGS] : [],
    registerDomains: config.sip.register_domains.map((d) => d.toLowerCase().replace(/\.$/, '')),
    ranges,
    friends,
    scannerBanTime: config.sip.scanner_ban_time,
    inspectPackets: config.sip.inspect_packets,
    mark: config.firewall.mark,
  };
}

function dedupe(prefixes: Prefix[]): Prefix[] {
  const seen = new Map<string, Prefix>();
  for (const p of prefixes) seen.set(p.text, p);
  return [...seen.values()];
}

/** Names in `allow` that must be resolved (everything that is not an address or prefix). */
export function friendNames(config: Config): string[] {
  return config.allow.filter((a) => tryParsePrefix(a) === null);
}
