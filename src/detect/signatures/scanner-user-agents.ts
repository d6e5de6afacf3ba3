// The built-in list of scanner User-Agents, shared as data by the firewall compiler (in-kernel
// string match) and the `sip-scanner-ua` signature. Pure data plus one pure matcher: no I/O.
//
// Matching is case-insensitive and whitespace-tolerant (runs of spaces/tabs count as one space,
// leading/trailing space ignored). A 'substring' entry matches anywhere in the User-Agent; an
// 'exact' entry matches only a User-Agent that is exactly that value, so `Test` catches
// "User-Agent: test" but not "Test Phone" or "SIPp/3.6" (for `SIP`).

export interface UserAgentEntry {
  text: string;
  match: 'substring' | 'exact';
}

export const BUILTIN_USER_AGENTS: UserAgentEntry[] = [
  // SIPVicious and its forks/renames
  { text: 'friendly-scanner', match: 'substring' },
  { text: 'friendly-request', match: 'substring' },
  { text: 'sipvicious', match: 'substring' },
  { text: 'sipcli', match: 'substring' },
  { text: 'sip-scan', match: 'substring' },
  { text: 'sipsak', match: 'substring' },
  { text: 'sundayddr', match: 'substring' },
  { text: 'iWar', match: 'substring' },
  { text: 'SIVuS', match: 'substring' },
  { text: 'Gulp', match: 'substring' },
  { text: 'sipv', match: 'substring' },
  { text: 'smap', match: 'substring' },
  { text: 'siparmyknife', match: 'substring' },
  { text: 'pplsip', match: 'substring' },
  { text: 'owenee', match: 'substring' },
  { text: 'gazllove', match: 'substring' },
  // VaxSIP SDK defaults, used by mass-dialling toll-fraud tools
  { text: 'VaxSIPUserAgent', match: 'substring' },
  { text: 'VaxIPUserAgent', match: 'substring' },
  // Real-phone strings frozen at one build, replayed verbatim by brute-forcers
  { text: 'eyeBeam release 3006o stamp 17551', match: 'substring' },
  { text: 'PolycomSoundPointIP SPIP_550 UA 3.3.2.0413', match: 'substring' },
  { text: 'PolycomVVX-VVX_401-UA5.4.1.18405', match: 'substring' },
  { text: 'Avaya IP Phone 1120E', match: 'substring' },
  { text: 'Cisco-SIPGateway/IOS-15.2.4.M5', match: 'substring' },
  { text: 'CSipSimple', match: 'substring' },
  // Placeholder values that no real product sends as its whole User-Agent
  { text: 'Custom', match: 'exact' },
  { text: 'SIP', match: 'exact' },
  { text: 'Test', match: 'exact' },
];

/** Lower-case and collapse whitespace so "Friendly-Scanner " and "friendly-scanner" compare equal. */
export function normalizeUserAgent(ua: string): string {
  return ua.replace(/[ \t]+/g, ' ').trim().toLowerCase();
}

export interface UserAgentMatcher {
  /** The matching entry's text, or null. */
  match(ua: string): string | null;
}

/** Builds a matcher over a list of entries (normalized once, up front). */
export function createUserAgentMatcher(entries: readonly UserAgentEntry[]): UserAgentMatcher {
  const substrings: [string, string][] = [];
  const exact = new Map<string, string>();
  for (const e of entries) {
    const norm = normalizeUserAgent(e.text);
    if (norm === '') continue;
    if (e.match === 'exact') exact.set(norm, e.text);
    else substrings.push([norm, e.text]);
  }
  // One regex over every substring entry settles the usual answer (no scanner) in one pass: a loop of
  // includes() over the list cost 7x as much. Only a hit walks the list, for the first entry that
  // matches (the one the detail names).
  const anySubstring = substrings.length === 0 ? null : new RegExp(substrings.map(([needle]) => escapeRegExp(needle)).join('|'));
  return {
    match(ua: string): string | null {
      const norm = normalizeUserAgent(ua);
      const hit = exact.get(norm);
      if (hit !== undefined) return hit;
      if (anySubstring === null || !anySubstring.test(norm)) return null;
      for (const [needle, text] of substrings) if (norm.includes(needle)) return text;
      return null;
    },
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The config's `sip.user_agents` section, as the signature registry takes it. */
export interface UserAgentOptions {
  builtin?: boolean;
  add?: string[];
  exact?: string[];
  remove?: string[];
}

/** The effective list: built-ins (minus `remove`, compared case-insensitively) plus configured ones. */
export function effectiveUserAgents(opts: UserAgentOptions = {}): UserAgentEntry[] {
  const removed = new Set((opts.remove ?? []).map(normalizeUserAgent));
  const base = opts.builtin === false ? [] : BUILTIN_USER_AGENTS.filter((e) => !removed.has(normalizeUserAgent(e.text)));
  return [
    ...base,
    ...(opts.add ?? []).map((text): UserAgentEntry => ({ text, match: 'substring' })),
    ...(opts.exact ?? []).map((text): UserAgentEntry => ({ text, match: 'exact' })),
  ];
}
