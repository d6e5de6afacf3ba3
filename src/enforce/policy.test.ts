import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfigText } from '../config/load.ts';
import { BUILTIN_USER_AGENTS } from '../detect/signatures/scanner-user-agents.ts';
import { renderIpsetCommit, renderIpsetPrepare, renderIptablesScript } from './ipset-iptables/render.ts';
import { renderNftRuleset } from './nftables/render.ts';
import { compilePolicy, INJECTION_STRINGS } from './policy.ts';
import { renderForBackend, renderFreepbx } from './render-all.ts';
import { renderSipRules } from './sip-rules.ts';

const policyOf = (yaml: string) => compilePolicy(loadConfigText('t.yaml', yaml), { builtinUserAgents: BUILTIN_USER_AGENTS, hostAddresses: ['192.0.2.1'] });
const hexOf = (s: string) => Buffer.from(s, 'latin1').toString('hex');

test('friends: config CIDRs, loopback and host addresses; names are left for resolution', () => {
  const p = policyOf('allow: [198.51.100.0/24, trunk.example.net, "2001:db8::1"]\n');
  assert.deepEqual(p.friends.map((f) => f.text).sort(), ['127.0.0.0/8', '192.0.2.1', '198.51.100.0/24', '2001:db8::1', '::1'].sort());
});

test('ranges switch off by name; vitox is UDP only', () => {
  assert.deepEqual(policyOf('').ranges.map((r) => [r.name, r.proto, r.prefixes.length]), [['ponytelecom', 'all', 10], ['vitox', 'udp', 7]]);
  assert.deepEqual(policyOf('ranges:\n  ponytelecom: false\n').ranges.map((r) => r.name), ['vitox']);
});

test('user agents: built-in list trimmed and extended from config', () => {
  const p = policyOf('sip:\n  user_agents:\n    remove: [sipsak]\n    add: [evil-dialer]\n    exact: [Phone]\n');
  const texts = p.userAgents.map((u) => `${u.match}:${u.text}`);
  assert.ok(!texts.includes('substring:sipsak'));
  assert.ok(texts.includes('substring:evil-dialer') && texts.includes('exact:Phone') && texts.includes('exact:Test'));
});

test('UA entries are matched after "user-agent:" with no space, a space or a tab; long ones anywhere', () => {
  const rules = renderSipRules(policyOf(''), 4, { kind: 'drop', allowSet: 'a', scanSet: 's' }).rules.join('\n');
  assert.ok(!rules.includes(`--hex-string "|${hexOf('friendly-scanner')}|" -j sipwarden-scanner`), 'never the bare token: a body may hold it');
  for (const sep of ['user-agent:', 'user-agent: ', 'user-agent:\t']) {
    assert.ok(rules.includes(hexOf(`${sep}smap`)), `separator ${JSON.stringify(sep)}`);
    // exact entries end at the line end, so "Test Phone" and "TestPBX" do not match
    for (const end of ['\r', '\n', ' \r', '\t\n', '  ']) assert.ok(rules.includes(hexOf(`${sep}Test${end}`)), JSON.stringify(sep + end));
  }
  assert.ok(!rules.includes(`${hexOf('user-agent: Test')}|`), 'no bare prefix rule for an exact entry');
  for (const line of rules.split('\n').filter((l) => l.includes('-m string'))) assert.match(line, /--icase/);
});

test('scanner hits ban in the kernel on the first packet; friends are skipped; only the first packets are scanned', () => {
  const rules = renderSipRules(policyOf('sip:\n  scanner_ban_time: 2h\n  inspect_packets: 3\n'), 4, { kind: 'drop', allowSet: 'sipwarden-allow4', scanSet: 'sipwarden-scan4' }).rules;
  assert.ok(rules.includes('-A sipwarden-scanner -j SET --add-set sipwarden-scan4 src --exist --timeout 7200'));
  assert.ok(rules.includes('-A sipwarden-scanner -j CONNMARK --set-xmark 0x10000000/0x10000000'), 'the flow remembers it');
  const remembered = rules.findIndex((r) => r.includes('-m connmark --mark 0x10000000/0x10000000 -j sipwarden-scanner'));
  const gate = rules.findIndex((r) => r.includes('--connbytes 4:'));
  assert.equal(rules[0], '-A sipwarden-sip -m connmark --mark 0x20000000/0x20000000 -j RETURN', 'a flow inspected and clean leaves after one conntrack-mark test');
  assert.ok(rules[gate].endsWith('-j CONNMARK --set-xmark 0x20000000/0x20000000'), 'past the window a flow is marked clean');
  const allow = rules.findIndex((r) => r.startsWith('-A sipwarden-sip-in -m set --match-set sipwarden-allow4 src -j RETURN'));
  const firstString = rules.findIndex((r) => r.startsWith('-A sipwarden-sip-in -m string'));
  assert.ok(remembered >= 0 && remembered < gate, 'a caught flow is dropped before the inspection window is checked');
  assert.ok(gate >= 0 && gate < allow && allow < firstString, 'connbytes gate, then friends, then the string rules');
  const noBan = renderSipRules(policyOf('sip:\n  scanner_ban_time: 0\n'), 4, { kind: 'drop', allowSet: 'a', scanSet: 's' }).rules;
  assert.ok(!noBan.some((r) => r.includes('--add-set')));
});

test('injection strings need SQL next to a quote, so a display name like O\'Brien does not match', () => {
  const probe = "sip:a'or'3=3--@10.0.0.1";
  assert.ok(INJECTION_STRINGS.some((s) => probe.toLowerCase().includes(s)));
  for (const benign of ['"O\'Brien" <sip:100@pbx>', '"D\'Orsay" <sip:200@pbx>', "\"Rock 'n' Roll\" <sip:1@pbx>"]) {
    assert.ok(!INJECTION_STRINGS.some((s) => benign.toLowerCase().includes(s)), benign);
  }
});

test('REGISTER allowlist: one RETURN per scheme and host end, then drop; none without domains', () => {
  const rules = renderSipRules(policyOf('sip:\n  register_domains: [PBX.example.com]\n'), 4, { kind: 'drop', allowSet: 'a', scanSet: 's' }).rules;
  const allowed = rules.filter((r) => r.startsWith('-A sipwarden-reg -p '));
  assert.equal(allowed.length, 6 * 12, 'six forms, each pinned to every offset a UDP or TCP payload can start at');
  assert.ok(allowed.includes(`-A sipwarden-reg -p udp -m string --algo bm --icase --from 28 --to 57 --hex-string "|${hexOf('REGISTER sip:pbx.example.com ')}|" -j RETURN`));
  assert.ok(allowed.some((r) => r.includes(hexOf('REGISTER sip:pbx.example.com '))));
  assert.ok(rules.includes('-A sipwarden-reg -j sipwarden-foreign') && rules.includes('-A sipwarden-foreign -j DROP'));
  assert.ok(!renderSipRules(policyOf(''), 4, { kind: 'drop', allowSet: 'a', scanSet: 's' }).rules.some((r) => r.includes('sipwarden-reg')));
  // multiport takes 15 ports and a range counts as two: 8 ranges need two rules per protocol.
  const many = renderSipRules(policyOf(`sip:\n  ports: [${Array.from({ length: 8 }, (_, i) => `"${5060 + i * 10}:${5065 + i * 10}"`).join(', ')}]\n`), 4, { kind: 'drop', allowSet: 'a', scanSet: 's' }).rules;
  assert.equal(many.filter((r) => r.includes('--dports')).length, 4);
});

test('iptables: bans drop in raw before conntrack, one rule per set (no list:set); a second apply adds no second jump', () => {
  const policy = policyOf('');
  const first = renderIptablesScript({ policy, feeds: [] }, 4, () => false);
  assert.match(first, /\*raw\n:sipwarden-raw - \[0:0\]\n:sipwarden-drop - \[0:0\]\n-I PREROUTING 1 -j sipwarden-raw\n-A sipwarden-raw -m set --match-set sipwarden-ban4 src -j sipwarden-drop\n-A sipwarden-raw -m set --match-set sipwarden-scan4 src -j sipwarden-drop\n-A sipwarden-raw -m set --match-set sipwarden-r-ponytelecom4 src -j sipwarden-drop\n/);
  assert.match(first, /-A sipwarden-sip -p udp -m conntrack --ctstate NEW -m set --match-set sipwarden-r-vitox4 src -j sipwarden-udp-drop/);
  assert.doesNotMatch(first, /sipwarden-raw -p udp|list:set/, 'UDP-only ranges are tested for new flows only');
  assert.doesNotMatch(renderIptablesScript({ policy, feeds: [] }, 6, () => false), /sipwarden-r-|scan4|ban4/, 'ip6tables refers to the v6 sets only');
  assert.match(first, /-A sipwarden-drop -m set --match-set sipwarden-allow4 src -j RETURN\n-A sipwarden-drop -j DROP/);
  const again = renderIptablesScript({ policy, feeds: [] }, 4, () => true);
  assert.ok(!again.includes('-I PREROUTING'));
});

test('ipset: per-entry timeouts; friends and ranges filled as copies, swapped in after the rules; feeds get their own sets', () => {
  const layout = { policy: policyOf('allow: [198.51.100.7]\n'), feeds: ['apiban'] };
  const empty = { names: new Set<string>(), members: new Map<string, string[]>() };
  const prepare = renderIpsetPrepare(layout, empty);
  assert.match(prepare, /create sipwarden-ban4 hash:net family inet timeout 0 .* -exist/);
  assert.match(prepare, /create sipwarden-f-apiban6 hash:net family inet6 timeout 0/);
  assert.match(prepare, /flush sipwarden-t-allow4\nadd sipwarden-t-allow4 198\.51\.100\.7 -exist/);
  assert.ok(!prepare.includes('swap'), 'nothing is swapped before the rules are in');
  const commit = renderIpsetCommit(layout, empty);
  assert.match(commit, /swap sipwarden-t-allow4 sipwarden-allow4\ndestroy sipwarden-t-allow4/);
  assert.match(commit, /swap sipwarden-t-r-vitox4 sipwarden-r-vitox4/);
  for (const line of (prepare + commit).split('\n')) for (const name of line.split(' ').filter((w) => w.startsWith('sipwarden'))) assert.ok(name.length <= 31, name);
  // A second apply with the kernel already right touches nothing.
  const current = { names: new Set(prepare.split('\n').filter((l) => l.startsWith('create')).map((l) => l.split(' ')[1])), members: new Map<string, string[]>() };
  for (const l of commit.split('\n').filter((x) => x.startsWith('add '))) {
    const [, set, m] = l.split(' ');
    current.members.set(set, [...(current.members.get(set) ?? []), m]);
  }
  current.members.set('sipwarden-allow4', layout.policy.friends.filter((f) => f.family === 4).map((f) => f.text));
  current.members.set('sipwarden-allow6', layout.policy.friends.filter((f) => f.family === 6).map((f) => f.text));
  for (const r of layout.policy.ranges) current.members.set(`sipwarden-r-${r.name}4`, r.prefixes.map((p) => p.text));
  assert.equal(renderIpsetCommit(layout, current), '');
  assert.ok(!renderIpsetPrepare(layout, current).includes('sipwarden-t-'));
});

test('nftables: drops at raw priority sparing friends; marked packets are banned in the dynamic set', () => {
  const nft = renderNftRuleset({ policy: policyOf(''), feeds: ['voipbl'] });
  assert.match(nft, /add chain inet sipwarden raw \{ type filter hook prerouting priority raw; policy accept; \}/);
  assert.match(nft, /add rule inet sipwarden raw ip saddr @ban4 ip saddr != @allow4 drop/);
  assert.match(nft, /add rule inet sipwarden raw meta l4proto udp ip saddr @r_vitox4 ip saddr != @allow4 drop/);
  assert.match(nft, /add set inet sipwarden f_voipbl_net4 \{ type ipv4_addr; flags interval, timeout; \}/);
  assert.match(nft, /meta mark & 0x10000000 == 0x10000000 ip saddr != @allow4 update @scan4 \{ ip saddr timeout 3600s \} drop/);
  const all = renderForBackend('nftables', policyOf(''), []);
  assert.match(all, /-A sipwarden-scanner -j MARK --set-xmark 0x10000000\/0x10000000/);
});

test('freepbx: plain -A fpbxreject lines, friends first', () => {
  const lines = renderFreepbx(policyOf('allow: [198.51.100.7]\nsip:\n  register_domains: [pbx.example.com]\n')).trim().split('\n').slice(1);
  assert.ok(lines.every((l) => l.startsWith('-A fpbxreject ')));
  assert.equal(lines.findIndex((l) => l.includes('-j RETURN')), 0);
  assert.ok(lines.some((l) => l.includes('-s 62.210.0.0/16 -j DROP')));
  assert.ok(lines.some((l) => l.includes('! --hex-string') && l.includes('REGISTER ')));
});
