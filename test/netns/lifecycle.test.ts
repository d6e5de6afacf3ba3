// apply/remove in the real kernel (issue 2 §7), for both backends: `remove` leaves the kernel as
// it found it (empty, and next to other people's rules); apply twice gives the same ruleset and
// keeps the bans; a failed apply (invalid config, or a firewall tool that fails) changes nothing;
// SIPVicious svmap from the sender gets at most its first request through.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BACKENDS, FirewallLab, firewallLabUnavailable, probe } from './fixture.ts';
import { ToolFault, type FaultTool } from './faults.ts';
import { mustIn, RCV_V4, runIn, senderV4 } from './harness.ts';
import { snapshot, snapshotDiff, type KernelSnapshot } from './kernel.ts';
import { sipwarden } from './cli.ts';

const unavailable = await firewallLabUnavailable();
if (unavailable) console.log(`# skipping the firewall lifecycle tests: ${unavailable}`);

const SVMAP_PORTS = [5060, 5061, 5062, 5063];

/** The tools each backend changes the kernel with (each one's failure is injected in turn). */
const TOOLS_WRITTEN: Record<string, FaultTool[]> = {
  iptables: ['ipset', 'iptables-restore', 'ip6tables-restore'],
  nftables: ['nft', 'iptables-restore', 'ip6tables-restore'],
};

/** Rules, a set and a table of someone else, in every table sipwarden uses. */
async function addForeignObjects(ns: string): Promise<void> {
  await mustIn(ns, 'ipset', ['create', 'admin-block', 'hash:ip']);
  await mustIn(ns, 'ipset', ['add', 'admin-block', '10.9.9.9']);
  const rules: [string, string[]][] = [
    ['iptables', ['-A', 'INPUT', '-p', 'tcp', '--dport', '22', '-j', 'ACCEPT']],
    ['iptables', ['-A', 'INPUT', '-m', 'set', '--match-set', 'admin-block', 'src', '-j', 'DROP']],
    ['iptables', ['-t', 'raw', '-A', 'PREROUTING', '-p', 'udp', '--dport', '9999', '-j', 'CT', '--notrack']],
    ['iptables', ['-t', 'mangle', '-A', 'PREROUTING', '-p', 'udp', '--dport', '9998', '-j', 'MARK', '--set-mark', '7']],
    ['ip6tables', ['-A', 'INPUT', '-p', 'tcp', '--dport', '22', '-j', 'ACCEPT']],
    ['ip6tables', ['-t', 'raw', '-A', 'PREROUTING', '-p', 'udp', '--dport', '9999', '-j', 'CT', '--notrack']],
    ['nft', ['add', 'table', 'inet', 'admin']],
    ['nft', ['add', 'chain', 'inet', 'admin', 'input', '{ type filter hook input priority 10; policy accept; }']],
    ['nft', ['add', 'rule', 'inet', 'admin', 'input', 'tcp', 'dport', '2222', 'drop']],
  ];
  for (const [tool, args] of rules) await mustIn(ns, tool, args);
}

function mentionsSipwarden(s: KernelSnapshot): boolean {
  return Object.values(s).some((t) => /sipwarden/.test(t));
}

// The backends run side by side, each in its own namespaces (halves the wall time on 2 CPUs).
describe('apply and remove in the kernel', { skip: unavailable ?? false, concurrency: true }, () => {
  for (const backend of BACKENDS) {
    describe(backend, { timeout: 180_000, concurrency: 1 }, () => {
      let fw: FirewallLab;
      before(async () => {
        fw = await FirewallLab.open(backend, { ports: SVMAP_PORTS });
      });
      after(async () => fw?.close());

      test('remove leaves an empty namespace exactly as it was before the first apply', async () => {
        const before = await snapshot(fw.lab.rcv);
        await fw.apply();
        const applied = await snapshot(fw.lab.rcv);
        assert.ok(mentionsSipwarden(applied), 'apply created sipwarden objects');
        await fw.cliOk(['remove']);
        assert.deepEqual(snapshotDiff(before, await snapshot(fw.lab.rcv)), []);
      });

      test("remove leaves other people's rules, sets and tables exactly as they were", async () => {
        await addForeignObjects(fw.lab.rcv);
        const before = await snapshot(fw.lab.rcv);
        await fw.apply({ sip: { register_domains: ['pbx.example.com'] } });
        await fw.cliOk(['ban', senderV4(1)]);
        const applied = await snapshot(fw.lab.rcv);
        for (const line of before.iptables.split('\n').filter((l) => l.startsWith('-A'))) {
          assert.ok(applied.iptables.includes(line), `apply kept the foreign rule ${line}`);
        }
        assert.match(applied.nft, /table inet admin/);
        assert.match(applied.ipset, /Name: admin-block/);
        await fw.cliOk(['remove']);
        assert.deepEqual(snapshotDiff(before, await snapshot(fw.lab.rcv)), []);
      });

      test('apply twice gives the identical ruleset and keeps the bans', async () => {
        await fw.apply({ sip: { register_domains: ['pbx.example.com'] } });
        await fw.cliOk(['ban', senderV4(2)]);
        const first = await snapshot(fw.lab.rcv);
        await fw.apply({ sip: { register_domains: ['pbx.example.com'] } });
        assert.deepEqual(snapshotDiff(first, await snapshot(fw.lab.rcv)), []);
        await fw.expectExactly([probe('banned before re-apply', 'drop', 'udp', senderV4(2)), probe('bystander', 'pass', 'udp', senderV4(3))]);
        await fw.cliOk(['unban', senderV4(2)]);
      });

      test('apply with an invalid config fails and changes nothing', async () => {
        await fw.apply();
        const before = await snapshot(fw.lab.rcv);
        fw.cfg.writeRaw(`firewall:\n  backend: ${backend}\nsip:\n  ports: 99999\n  no_such_key: 1\n`);
        const r = await fw.cli(['apply']);
        assert.notEqual(r.code, 0, 'apply refused the config');
        assert.deepEqual(snapshotDiff(before, await snapshot(fw.lab.rcv)), []);
      });

      for (const tool of TOOLS_WRITTEN[backend]) {
        test(`apply fails as a whole when ${tool} fails, and the previous ruleset stays`, async () => {
          await fw.apply();
          const before = await snapshot(fw.lab.rcv);
          const fault = new ToolFault(tool, `/usr/sbin/${tool}`);
          try {
            const file = fw.writeConfig({ sip: { register_domains: ['pbx.example.com'], user_agents: { add: ['evilscan'] } }, allow: ['10.201.0.9'] });
            const r = await sipwarden(fw.lab.rcv, file, ['apply'], { env: fault.env() });
            assert.ok(fault.wasAskedToWrite(), `${backend} apply no longer writes with ${tool}; calls:\n${fault.calls()}`);
            assert.notEqual(r.code, 0, `apply reported success although ${tool} failed; calls:\n${fault.calls()}`);
            assert.deepEqual(snapshotDiff(before, await snapshot(fw.lab.rcv)), [], `after the failed apply (${r.stderr.trim()})`);
          } finally {
            fault.remove();
          }
        });
      }

      test('a firewall tool that dies without reading its input fails apply cleanly (no crash, nothing changed)', async () => {
        await fw.apply();
        const before = await snapshot(fw.lab.rcv);
        const fault = new ToolFault('ip6tables-restore', '/usr/sbin/ip6tables-restore', false);
        try {
          const file = fw.writeConfig({ sip: { register_domains: ['pbx.example.com'], user_agents: { add: ['evilscan'] } } });
          const r = await sipwarden(fw.lab.rcv, file, ['apply'], { env: fault.env() });
          assert.ok(fault.wasAskedToWrite());
          assert.notEqual(r.code, 0);
          assert.doesNotMatch(r.stderr, /Unhandled 'error' event|EPIPE/, 'the CLI handles the broken pipe');
          assert.deepEqual(snapshotDiff(before, await snapshot(fw.lab.rcv)), []);
        } finally {
          fault.remove();
        }
      });

      test('svmap from the sender gets at most its first request through', async () => {
        const home = mkdtempSync(path.join(tmpdir(), 'swt-svmap-'));
        try {
          await fw.cliOk(['remove']);
          // Control: without sipwarden, svmap finds the listener (so it would go on scanning).
          const ports = `-p${SVMAP_PORTS[0]}-${SVMAP_PORTS[SVMAP_PORTS.length - 1]}`;
          const svmap = ['timeout', ['-k', '2', '20', 'svmap', ports, '-t', '0.05', RCV_V4]] as const;
          const control = await runIn(fw.lab.snd, svmap[0], [...svmap[1]], { env: { ...process.env, HOME: home }, timeoutMs: 30_000 });
          const seen = (await fw.rcv.take()).filter((a) => a.proto === 'udp');
          assert.equal(seen.length, SVMAP_PORTS.length, `control: svmap reached every port: ${control.stdout}`);
          assert.match(control.stdout, new RegExp(RCV_V4.replace(/\./g, '\\.')), 'control: svmap lists the host');

          await fw.apply();
          const attacked = await runIn(fw.lab.snd, svmap[0], [...svmap[1]], { env: { ...process.env, HOME: home }, timeoutMs: 30_000 });
          const got = await fw.rcv.take();
          assert.ok(got.length <= 1, `at most svmap's first request arrives, got ${got.length}`);
          assert.doesNotMatch(attacked.stdout, new RegExp(`${RCV_V4.replace(/\./g, '\\.')}:\\d+`), 'svmap found nothing');
        } finally {
          rmSync(home, { recursive: true, force: true });
        }
      });
    });
  }
});
