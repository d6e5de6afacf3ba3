// Bans and friends in the real kernel (issue 2 §7), for both backends, through the CLI: ban/unban
// of an address and a prefix, friends winning over bans and ranges, the in-kernel first-packet
// scanner ban (with `check --json`), a tracked UDP flow cut at once by a new ban, and IPv6.
// Each test uses its own sender addresses so bans never leak from one test into another.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS, FirewallLab, firewallLabUnavailable, probe, SIP_PORT, type Probe } from './fixture.ts';
import { RCV_V4, SENDER_V4_NET, SENDER_V6_NET, runIn, senderV4, senderV6 } from './harness.ts';
import { newMarker, request } from './sip-messages.ts';

const unavailable = await firewallLabUnavailable();
if (unavailable) console.log(`# skipping the firewall ban tests: ${unavailable}`);

const PROTOS = ['udp', 'tcp'] as const;
const FRIEND_V4 = senderV4(9);
const FRIEND_V6 = senderV6(9);

/** One benign message per protocol from src, all expected to pass or all to be dropped. */
function both(what: string, expect: 'pass' | 'drop', src: string, extra: Parameters<typeof probe>[4] = {}): Probe[] {
  return PROTOS.map((proto) => probe(what, expect, proto, src, extra));
}

interface CheckResult {
  ip: string;
  blocked: boolean;
  friend: boolean;
  reasons: { origin: string; reason: string; expires: number | string | null }[];
}

// The backends run side by side, each in its own namespaces (halves the wall time on 2 CPUs).
describe('bans and friends in the kernel', { skip: unavailable ?? false, concurrency: true }, () => {
  for (const backend of BACKENDS) {
    describe(backend, { timeout: 120_000, concurrency: 1 }, () => {
      let fw: FirewallLab;
      const check = async (ip: string): Promise<CheckResult> => JSON.parse(await fw.cliOk(['check', ip, '--json'])) as CheckResult;

      before(async () => {
        fw = await FirewallLab.open(backend);
        await fw.apply({ allow: [FRIEND_V4, FRIEND_V6] });
      });
      after(async () => fw?.close());

      test('a banned address is dropped (UDP and TCP); after unban it arrives again', async () => {
        await fw.cliOk(['ban', senderV4(1), '--reason', 'netns test']);
        assert.equal((await check(senderV4(1))).blocked, true);
        await fw.expectExactly([...both('banned', 'drop', senderV4(1)), ...both('not banned', 'pass', senderV4(2))]);
        await fw.cliOk(['unban', senderV4(1)]);
        assert.equal((await check(senderV4(1))).blocked, false);
        await fw.expectExactly(both('unbanned', 'pass', senderV4(1)));
      });

      test('a CIDR ban drops every address inside it; unban of the prefix lets them in', async () => {
        await fw.cliOk(['ban', '10.201.0.0/29']); // senders .1-.7; friend .9 and .10 outside
        await fw.expectExactly([
          ...both('inside /29 (.3)', 'drop', senderV4(3)),
          ...both('inside /29 (.7)', 'drop', senderV4(7)),
          ...both('outside /29 (.10)', 'pass', senderV4(10)),
        ]);
        await fw.cliOk(['unban', '10.201.0.0/29']);
        await fw.expectExactly([...both('after unban (.3)', 'pass', senderV4(3)), ...both('after unban (.7)', 'pass', senderV4(7))]);
      });

      test('a friend arrives although a ban of its /24 covers it, even sending a scanner User-Agent', async () => {
        await fw.cliOk(['ban', SENDER_V4_NET]);
        try {
          const c = await check(FRIEND_V4);
          assert.equal(c.friend, true);
          assert.equal(c.blocked, false, 'check says a friend is not blocked');
          await fw.expectExactly([
            ...both('friend', 'pass', FRIEND_V4),
            ...both('friend with a scanner UA', 'pass', FRIEND_V4, { uaLine: 'User-Agent: friendly-scanner' }),
            ...both('neighbour in the banned /24', 'drop', senderV4(10)),
          ]);
        } finally {
          await fw.cliOk(['unban', SENDER_V4_NET]);
        }
        // The friend's scanner UA must not have put it into the kernel's scanner set either.
        assert.equal((await check(FRIEND_V4)).blocked, false);
      });

      test('a scanner is banned by the kernel on its first packet: its UA-less packets are dropped next', async () => {
        const scanner = senderV4(6);
        await fw.expectExactly(both('friendly-scanner', 'drop', scanner, { uaLine: 'User-Agent: friendly-scanner' }));
        const compact = (what: string) => PROTOS.map((proto) => probe(what, 'drop', proto, scanner, { compact: true }));
        await fw.expectExactly([...compact('compact, no User-Agent (svmap -c style)'), ...both('plain benign-looking', 'drop', scanner)]);
        const c = await check(scanner);
        assert.equal(c.blocked, true, JSON.stringify(c));
        assert.ok(
          c.reasons.some((r) => r.origin.startsWith('signature:') && r.expires !== null),
          `a reason with a signature origin and an expiry: ${JSON.stringify(c.reasons)}`,
        );
        assert.equal((await check(senderV4(5))).blocked, false, 'a bystander is not blocked');
      });

      test('a tracked UDP flow (answers both ways) is cut at once by a new ban', async () => {
        const src = senderV4(8);
        const port = 41000;
        const msg = () => request({ src, dst: RCV_V4, marker: newMarker('flow') });
        for (let i = 0; i < 3; i++) {
          assert.match((await fw.snd.exchange(src, port, RCV_V4, SIP_PORT, msg())) ?? '', /^SIP\/2\.0 200 OK/, 'flow works before the ban');
        }
        const ct = await runIn(fw.lab.rcv, 'conntrack', ['-L', '-p', 'udp', '--src', src, '--sport', String(port)]);
        // Seen in both directions (no [UNREPLIED]); the kernel marks UDP ASSURED only ~2 s after the first reply.
        assert.match(ct.stdout, /dport=5060 .*src=/, 'conntrack tracks the flow');
        assert.doesNotMatch(ct.stdout, /UNREPLIED/, 'conntrack has seen the answers');
        await fw.rcv.take();
        await fw.cliOk(['ban', src]);
        assert.equal(await fw.snd.exchange(src, port, RCV_V4, SIP_PORT, msg(), 500), null, 'no answer after the ban');
        assert.deepEqual(await fw.rcv.take(), [], 'nothing from the banned flow arrived');
        await fw.cliOk(['unban', src]);
      });

      test('IPv6: ban and unban, a /120 ban, a friend inside it, the first-packet scanner ban', async () => {
        await fw.cliOk(['ban', senderV6(1)]);
        await fw.expectExactly([...both('banned v6', 'drop', senderV6(1)), ...both('not banned v6', 'pass', senderV6(2))]);
        await fw.cliOk(['unban', senderV6(1)]);
        await fw.expectExactly(both('unbanned v6', 'pass', senderV6(1)));

        await fw.cliOk(['ban', SENDER_V6_NET]);
        try {
          await fw.expectExactly([
            ...both('v6 friend inside banned /120', 'pass', FRIEND_V6),
            ...both('v6 neighbour inside banned /120', 'drop', senderV6(10)),
          ]);
        } finally {
          await fw.cliOk(['unban', SENDER_V6_NET]);
        }

        const scanner = senderV6(6);
        await fw.expectExactly(both('v6 scanner UA', 'drop', scanner, { uaLine: 'User-Agent: sipcli/v1.8' }));
        await fw.expectExactly(PROTOS.map((proto) => probe('v6 compact after scanner', 'drop', proto, scanner, { compact: true })));
        assert.equal((await check(scanner)).blocked, true);
      });
    });
  }
});
