// `sipwarden render`: the whole ruleset as text, for review or for pasting elsewhere.
import type { Family } from '../core/types.ts';
import { renderIpsetScript, renderIptablesScript, renderMangle } from './ipset-iptables/render.ts';
import { renderNftRuleset } from './nftables/render.ts';
import type { Policy, UserAgentEntry } from './policy.ts';
import { renderSipRules } from './sip-rules.ts';

export function renderForBackend(backend: 'iptables' | 'nftables', policy: Policy, feeds: string[]): string {
  const noJump = () => false;
  if (backend === 'iptables') {
    let out = '# ipset restore\n' + renderIpsetScript({ policy, feeds });
    for (const f of [4, 6] as Family[]) out += `\n# ${f === 4 ? 'iptables' : 'ip6tables'}-restore --noflush\n${renderIptablesScript({ policy, feeds }, f, noJump)}`;
    return out;
  }
  let out = '# nft -f\n' + renderNftRuleset({ policy, feeds });
  const mark = { kind: 'mark' as const, scannerMark: policy.mark, foreignMark: policy.mark * 2 };
  for (const f of [4, 6] as Family[]) {
    out += `\n# ${f === 4 ? 'iptables' : 'ip6tables'}-restore --noflush (string rules mark; the nft chain drops)\n`;
    out += `${renderMangle(renderSipRules(policy, f, mark), noJump).join('\n')}\n`;
  }
  return out;
}

function hex(text: string): string {
  return `"|${Buffer.from(text, 'latin1').toString('hex')}|"`;
}

function uaStrings(e: UserAgentEntry): string[] {
  const seps = ['user-agent:', 'user-agent: ', 'user-agent:\t'];
  return e.match === 'substring' ? seps.map((s) => s + e.text) : seps.flatMap((s) => [`${s}${e.text}\r`, `${s}${e.text}\n`]);
}

/**
 * FreePBX's custom rules file takes plain rules for its fpbxreject chain: no ipsets and no chains
 * of our own, so every check is flattened into one rule (a few hundred string rules: the
 * sipwarden daemon's own backends are much cheaper per packet).
 */
export function renderFreepbx(policy: Policy): string {
  const out: string[] = ['# sipwarden policy for the FreePBX Firewall custom rules (IPv4)'];
  const ports = policy.ports.map((p) => (p.from === p.to ? `${p.from}` : `${p.from}:${p.to}`)).join(',');
  const sip = (proto: string) => `-A fpbxreject -p ${proto} -m multiport --dports ${ports}`;
  for (const f of policy.friends.filter((p) => p.family === 4)) out.push(`-A fpbxreject -s ${f.text} -j RETURN`);
  for (const r of policy.ranges) {
    for (const p of r.prefixes) out.push(`-A fpbxreject ${r.proto === 'udp' ? '-p udp ' : ''}-s ${p.text} -j DROP`);
  }
  for (const proto of ['udp', 'tcp']) {
    for (const e of policy.userAgents) for (const s of uaStrings(e)) out.push(`${sip(proto)} -m string --algo bm --icase --hex-string ${hex(s)} -j DROP`);
    for (const s of policy.injection) out.push(`${sip(proto)} -m string --algo bm --icase --hex-string ${hex(s)} -j DROP`);
    if (policy.registerDomains.length) {
      const allowed = policy.registerDomains.flatMap((d) =>
        ['sip', 'sips'].flatMap((sc) => [' ', ';', ':'].map((end) => `-m string --algo bm --icase --to 200 ! --hex-string ${hex(`REGISTER ${sc}:${d}${end}`)}`)),
      );
      out.push(`${sip(proto)} -m string --algo bm --to 80 --string "REGISTER " ${allowed.join(' ')} -j DROP`);
    }
  }
  return `${out.join('\n')}\n`;
}
