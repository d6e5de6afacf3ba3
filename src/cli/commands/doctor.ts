// sipwarden doctor: tools, kernel features and permissions, with the fix for each problem.
// Kernel features are tried for real, inside a throwaway network namespace: the host's ruleset
// is never touched.
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.ts';
import { findTool, realExec } from '../../enforce/index.ts';
import type { GlobalOptions } from '../context.ts';
import { info, printJson } from '../output.ts';

interface Finding {
  check: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

const TOOLS: [string, string, string][] = [
  ['iptables', 'iptables', 'iptables backend, and the string rules of the nftables backend'],
  ['ip6tables', 'iptables', 'IPv6 rules'],
  ['ipset', 'ipset', 'iptables backend sets'],
  ['nft', 'nftables', 'nftables backend'],
  ['conntrack', 'conntrack', 'inspecting flows (optional)'],
  ['tcpdump', 'tcpdump', 'detect.capture (optional)'],
  ['ip', 'iproute2', 'doctor kernel checks, and detect.capture (the interface index)'],
];

/** One rule per kernel feature the policy uses; each is tried in a scratch namespace. */
const FEATURES: [string, string][] = [
  ['string match (xt_string)', '-m string --algo bm --icase --hex-string "|6162|" -j DROP'],
  ['u32 match (xt_u32)', '-m u32 --u32 "0>>22&0x3C@8=0x52454749" -j DROP'],
  ['connection byte counts (xt_connbytes, conntrack)', '-m connbytes --connbytes 5: --connbytes-dir original --connbytes-mode packets -j RETURN'],
  ['ipset match and SET target (xt_set)', '-m set --match-set sipwarden-doctor src -j SET --add-set sipwarden-doctor src --exist --timeout 60'],
  ['multiport match', '-p udp -m multiport --dports 5060:5261 -j RETURN'],
  ['connection marks (xt_connmark, CONNMARK)', '-m connmark --mark 0x10000000/0x10000000 -j CONNMARK --set-xmark 0x10000000/0x10000000'],
  ['packet marks (MARK, for the nftables backend)', '-j MARK --set-xmark 0x10000000/0x10000000'],
];

async function kernelChecks(out: Finding[]): Promise<void> {
  const ns = `sipwarden-doctor-${process.pid}`;
  const ip = findTool('ip')!;
  const inNs = (file: string, args: string[], stdin?: string) => realExec(ip, ['netns', 'exec', ns, file, ...args], stdin);
  if ((await realExec(ip, ['netns', 'add', ns])).code !== 0) {
    out.push({ check: 'scratch network namespace', ok: false, detail: 'cannot create one', fix: 'run doctor as root' });
    return;
  }
  try {
    const ipset = findTool('ipset');
    if (ipset) await inNs(ipset, ['create', 'sipwarden-doctor', 'hash:ip', 'timeout', '60']);
    const restore = findTool('iptables-restore');
    for (const [name, rule] of FEATURES) {
      if (!restore) break;
      const r = await inNs(restore, [], `*mangle\n-A PREROUTING ${rule}\nCOMMIT\n`);
      out.push({ check: name, ok: r.code === 0, detail: r.code === 0 ? 'works' : r.stderr.trim().split('\n')[0], fix: r.code === 0 ? undefined : 'load the module (modprobe) or use a kernel with netfilter xtables extensions' });
    }
    const raw = restore ? await inNs(restore, [], '*raw\n-A PREROUTING -j DROP\nCOMMIT\n') : null;
    if (raw) out.push({ check: 'raw table (drops before conntrack)', ok: raw.code === 0, detail: raw.code === 0 ? 'works' : raw.stderr.trim() });
    const nft = findTool('nft');
    if (nft) {
      const r = await inNs(nft, ['-c', '-f', '/dev/null']);
      const sets = await inNs(nft, ['add', 'table', 'inet', 'doctor']);
      const dyn = await inNs(nft, ['add', 'set', 'inet', 'doctor', 's', '{ type ipv4_addr; flags interval, timeout; }']);
      out.push({ check: 'nftables sets with interval and timeout', ok: r.code === 0 && sets.code === 0 && dyn.code === 0, detail: dyn.code === 0 ? 'works' : dyn.stderr.trim(), fix: dyn.code === 0 ? undefined : 'use firewall.backend: iptables' });
    }
  } finally {
    await realExec(ip, ['netns', 'delete', ns]);
  }
}

export function registerDoctorCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('doctor')
    .description('check tools, kernel features and permissions, and say how to fix each problem')
    .action(async () => {
      const out: Finding[] = [];
      try {
        const { files } = loadConfig(globals().config);
        out.push({ check: 'config', ok: true, detail: files.join(' + ') || 'built-in defaults (no config file)' });
      } catch (e) {
        out.push({ check: 'config', ok: false, detail: (e as Error).message, fix: 'fix the file; `sipwarden test-config` re-checks it' });
      }
      const root = process.getuid?.() === 0;
      out.push({ check: 'running as root', ok: root, detail: root ? 'yes' : 'no', fix: root ? undefined : 'run as root (sudo) to change the firewall; --backend none works without' });
      for (const [tool, pkg, why] of TOOLS) {
        const path = findTool(tool);
        out.push({ check: `${tool} (${why})`, ok: !!path, detail: path ?? 'missing', fix: path ? undefined : `apt-get install ${pkg}` });
      }
      if (root && findTool('ip')) await kernelChecks(out);
      const ok = out.every((f) => f.ok || /optional/.test(f.check));
      if (globals().json) printJson({ ok, findings: out });
      else for (const f of out) info(`${f.ok ? 'ok  ' : 'FAIL'}  ${f.check}: ${f.detail}${f.fix ? `\n      fix: ${f.fix}` : ''}`);
      if (!ok) process.exitCode = 1;
    });
}
