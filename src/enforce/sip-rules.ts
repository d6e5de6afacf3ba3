// The SIP policy as iptables rules for the mangle table: scanner User-Agents, SQL-injection probes
// and the REGISTER domain allowlist. Both backends use it: the iptables backend drops and bans
// in-kernel (ipset SET target); the nftables backend only marks, and its own nft chain drops and
// bans, because nft has no string match.
//
// Cost: a string rule scans the whole packet (~300 ns each, reference/perf-anchors.md), so the
// rules see only the first `inspectPackets` packets of each flow (connbytes); a flow past them is
// marked clean in conntrack and skips everything after one mark test. A scanner is caught on its
// first packet and banned in the kernel, so its later packets die in the raw table anyway.
// Conntrack marks: firewall.mark = the flow carried a scanner; the next bit up = inspected and
// clean; the one above = the flow carried a REGISTER for a foreign domain.
import type { Family } from '../core/types.ts';
import type { Policy, UserAgentEntry } from './policy.ts';

export const CHAIN = {
  raw: 'sipwarden-raw',
  rawDrop: 'sipwarden-drop',
  udpDrop: 'sipwarden-udp-drop',
  sip: 'sipwarden-sip',
  sipIn: 'sipwarden-sip-in',
  register: 'sipwarden-reg',
  scanner: 'sipwarden-scanner',
  foreign: 'sipwarden-foreign',
  uaOdd: 'sipwarden-ua-odd',
  ua: (i: number) => `sipwarden-ua-${i}`,
} as const;

export type SipRuleMode =
  | { kind: 'drop'; allowSet: string; scanSet: string } // iptables backend
  | { kind: 'mark'; scannerMark: number; foreignMark: number }; // nftables backend


function hex(text: string): string {
  return `"|${Buffer.from(text, 'latin1').toString('hex')}|"`;
}

function str(text: string, extra = ''): string {
  return `-m string --algo bm --icase${extra} --hex-string ${hex(text)}`;
}

/** Ways a header colon can be written that no ordinary phone uses but RFC 3261 allows. */
const ODD_UA_SPACING = [
  'user-agent:  ', 'user-agent: \t', 'user-agent:\t ', 'user-agent:\t\t',
  'user-agent :', 'user-agent\t:', 'user-agent:\r\n ', 'user-agent:\r\n\t', 'user-agent:\n ', 'user-agent:\n\t',
];
const UA_SEPARATORS = ['user-agent:', 'user-agent: ', 'user-agent:\t'];

/** First 8 bytes of the transport payload are "REGISTER", per family and protocol (u32 offsets). */
const REGISTER_U32: Record<Family, Record<'udp' | 'tcp', string>> = {
  4: {
    udp: '0>>22&0x3C@8=0x52454749&&0>>22&0x3C@12=0x53544552',
    tcp: '0>>22&0x3C@12>>26&0x3C@0=0x52454749&&0>>22&0x3C@12>>26&0x3C@4=0x53544552',
  },
  6: {
    udp: '48=0x52454749&&52=0x53544552',
    tcp: '52>>26&0x3C@40=0x52454749&&52>>26&0x3C@44=0x53544552',
  },
};

/**
 * Where the transport payload starts, counted from the network header as xt_string counts:
 * IPv4 without options (20) or IPv6 without extension headers (40), plus UDP (8) or TCP with a
 * header of 20 to 60 bytes (options such as timestamps make it 32).
 */
function payloadOffsets(family: Family): [string, number][] {
  const ip = family === 4 ? 20 : 40;
  const out: [string, number][] = [['udp', ip + 8]];
  for (let tcp = 20; tcp <= 60; tcp += 4) out.push(['tcp', ip + tcp]);
  return out;
}

function portSpecs(policy: Policy): string[] {
  // multiport takes 15 ports per rule, and a range counts as two.
  const out: string[] = [];
  let group: string[] = [];
  let used = 0;
  for (const p of policy.ports) {
    const cost = p.from === p.to ? 1 : 2;
    if (used + cost > 15) {
      out.push(group.join(','));
      group = [];
      used = 0;
    }
    group.push(p.from === p.to ? `${p.from}` : `${p.from}:${p.to}`);
    used += cost;
  }
  if (group.length) out.push(group.join(','));
  return out;
}

/**
 * How an exact-value User-Agent may end: the line end, after one trailing space or tab, or two
 * whitespace characters (more spacing than any phone sends: treated as an evasion).
 */
const EXACT_ENDS = ['\r', '\n', ' \r', ' \n', '\t\r', '\t\n', '  ', ' \t', '\t ', '\t\t'];

function uaStageA(e: UserAgentEntry): string[] {
  return e.match === 'exact' ? ['\r', '\n', ' ', '\t'].map((c) => e.text + c) : [e.text];
}

function uaStageB(e: UserAgentEntry): string[] {
  if (e.match === 'substring') return UA_SEPARATORS.map((s) => s + e.text);
  return UA_SEPARATORS.flatMap((s) => EXACT_ENDS.map((end) => `${s}${e.text}${end}`));
}

export interface RenderedSipRules {
  /** Chain declarations (`:name - [0:0]`) for the mangle table. */
  chains: string[];
  /** Rules (`-A ...`) for the mangle table, the jump from PREROUTING excluded. */
  rules: string[];
}

export function renderSipRules(policy: Policy, family: Family, mode: SipRuleMode): RenderedSipRules {
  const chains: string[] = [CHAIN.sip, CHAIN.sipIn, CHAIN.scanner, CHAIN.uaOdd];
  const rules: string[] = [];
  const A = (chain: string, rule: string) => rules.push(`-A ${chain} ${rule}`);

  const ct = `0x${policy.mark.toString(16)}`;
  const clean = `0x${(policy.mark * 2).toString(16)}`;
  const foreign = `0x${(policy.mark * 4).toString(16)}`;
  // A flow whose first packets were inspected and clean is marked so in conntrack: its later
  // packets leave here after one mark test (native in nft), the whole cost of the policy for an
  // established call or trunk.
  A(CHAIN.sip, `-m connmark --mark ${clean}/${clean} -j RETURN`);
  for (const ports of portSpecs(policy)) {
    for (const proto of ['udp', 'tcp']) A(CHAIN.sip, `-p ${proto} -m multiport --dports ${ports} -j ${CHAIN.sipIn}`);
  }

  // Scanner hit: remember it on the flow (its retransmissions and later packets die too, even with
  // no ban), then ban in the kernel and drop (iptables), or mark for the nft chain.
  A(CHAIN.scanner, `-j CONNMARK --set-xmark ${ct}/${ct}`);
  if (mode.kind === 'drop') {
    if (policy.scannerBanTime > 0) {
      A(CHAIN.scanner, `-j SET --add-set ${mode.scanSet} src --exist --timeout ${policy.scannerBanTime}`);
    }
    A(CHAIN.scanner, '-j DROP');
  } else {
    A(CHAIN.scanner, `-j MARK --set-xmark 0x${mode.scannerMark.toString(16)}/0x${mode.scannerMark.toString(16)}`);
    A(CHAIN.scanner, '-j ACCEPT');
  }

  if (policy.registerDomains.length > 0) {
    chains.push(CHAIN.register, CHAIN.foreign);
    if (mode.kind === 'drop') A(CHAIN.register, `-m set --match-set ${mode.allowSet} src -j RETURN`);
    for (const d of policy.registerDomains) {
      // The Request-URI of a REGISTER carries no user part (RFC 3261 §10.2): "REGISTER sip:<domain>"
      // followed by the end of the host (space, parameters or port). It must stand at the very
      // start of the payload, or a header holding the same text would let a foreign REGISTER in:
      // --from/--to pin the match to each offset the payload can start at.
      for (const scheme of ['sip', 'sips']) {
        for (const end of [' ', ';', ':']) {
          const form = `REGISTER ${scheme}:${d}${end}`;
          for (const [proto, at] of payloadOffsets(family)) {
            A(CHAIN.register, `-p ${proto} ${str(form, ` --from ${at} --to ${at + form.length}`)} -j RETURN`);
          }
        }
      }
    }
    A(CHAIN.register, `-j ${CHAIN.foreign}`);
    // Like a scanner's, the flow remembers it, so a TCP retransmission past the inspection window
    // is dropped too; unlike a scanner, the sender is not banned (a phone with a typo in its domain).
    A(CHAIN.foreign, `-j CONNMARK --set-xmark ${foreign}/${foreign}`);
    if (mode.kind === 'drop') A(CHAIN.foreign, '-j DROP');
    else {
      A(CHAIN.foreign, `-j MARK --set-xmark 0x${mode.foreignMark.toString(16)}/0x${mode.foreignMark.toString(16)}`);
      A(CHAIN.foreign, '-j ACCEPT');
    }
  }

  // A flow already caught: every later packet of it goes the way of its first.
  A(CHAIN.sipIn, `-m connmark --mark ${ct}/${ct} -j ${CHAIN.scanner}`);
  if (policy.registerDomains.length > 0) A(CHAIN.sipIn, `-m connmark --mark ${foreign}/${foreign} -j ${CHAIN.foreign}`);
  // Past the inspection window a flow is marked clean (the first rule of the entry chain then
  // lets its later packets through at once).
  A(CHAIN.sipIn, `-m connbytes --connbytes ${policy.inspectPackets + 1}: --connbytes-dir original --connbytes-mode packets -j CONNMARK --set-xmark ${clean}/${clean}`);
  A(CHAIN.sipIn, `-m connmark --mark ${clean}/${clean} -j RETURN`);
  if (policy.registerDomains.length > 0) {
    for (const proto of ['udp', 'tcp'] as const) {
      A(CHAIN.sipIn, `-p ${proto} -m u32 --u32 "${REGISTER_U32[family][proto]}" -j ${CHAIN.register}`);
    }
  }
  if (mode.kind === 'drop') A(CHAIN.sipIn, `-m set --match-set ${mode.allowSet} src -j RETURN`);
  for (const s of policy.injection) A(CHAIN.sipIn, `${str(s)} -j ${CHAIN.scanner}`);

  // Stage A looks for the entry anywhere (one scan each); only a packet holding it goes on to
  // stage B, which wants it at the start of the User-Agent value, so a Call-ID, tag, Subject or
  // body holding the same letters is not dropped.
  policy.userAgents.forEach((e, i) => {
    const chain = CHAIN.ua(i);
    chains.push(chain);
    for (const s of uaStageA(e)) A(CHAIN.sipIn, `${str(s)} -j ${chain}`);
    for (const s of uaStageB(e)) A(chain, `${str(s)} -j ${CHAIN.scanner}`);
    A(chain, `-j ${CHAIN.uaOdd}`);
  });
  // The token is in the packet and the User-Agent header is spaced oddly: an evasion attempt.
  for (const s of ODD_UA_SPACING) A(CHAIN.uaOdd, `${str(s)} -j ${CHAIN.scanner}`);

  return { chains, rules };
}
