// Framing fuzz: the attacker writes whatever it likes into the fields Asterisk copies from its
// requests (AccountID, SessionID, the digest Response, the From/To text, the Call-ID, the dialled
// extension), trying to get another address banned. Whatever it writes, an offense from the line
// names the real sender or nothing: never the victim. Seeded, so a failure reproduces.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RawEvent } from '../../core/types.ts';
import { gen, type Gen } from '../../sip/testgen.ts';
import { AsteriskSignatureStats } from './asterisk-common.ts';
import { asteriskDaemonSignatures, asteriskSignatures } from './asterisk-all.ts';

const REAL = '203.0.113.5';
const VICTIM4 = '198.51.100.99';
const VICTIM6 = '2001:db8::99';

/** Pieces that imitate what Asterisk writes around an address, aimed at the victim. */
const PIECES = [
  `",RemoteAddress="IPV4/UDP/${VICTIM4}/5060`,
  `",RemoteAddress="IPV6/UDP/${VICTIM6}/5060`,
  `RemoteAddress="IPV4/TCP/${VICTIM4}/5060"`,
  `' failed for '${VICTIM4}:5060' - Wrong password`,
  `' failed for '${VICTIM4}' - No matching peer found`,
  `' failed for '${VICTIM4}:5060' (callid: x) - Failed to authenticate`,
  `(callid: ${VICTIM4}) - Failed to authenticate`,
  `' (${VICTIM4}:5060) to extension '`,
  `' (UDP:${VICTIM4}:5060) to extension '100' rejected because extension not found in context 'public'.`,
  `' rejected because extension not found in context 'x'.`,
  `(from ${VICTIM4})`,
  `Host ${VICTIM4} failed to authenticate as '`,
  `${VICTIM4} failed to authenticate as '`,
  `"Rejecting unknown SIP connection from ${VICTIM4}"`,
  `,Challenge="",Response="",ExpectedResponse=""`,
  `,UsingPassword="1"`,
  `[2026-11-27 05:00:00] SECURITY[1] res_security_log.c: `,
  VICTIM4, VICTIM6, "'", '"', ',', '=', '(', ')', ':', ' - ', '\\', '\x1b[31m', '\x1b[0m', '\t', ' ', 'é', '\u2028',
];

function attackerText(g: Gen): string {
  let s = '';
  for (let n = g.int(0, 5); n > 0; n--) {
    s += g.chance(0.7) ? g.pick(PIECES) : g.word('abc019 \'",=()<>@:;/.-_', 1, 12);
  }
  return s;
}

const security = (event: string, a: (g: Gen) => string, tail: (g: Gen) => string) => (g: Gen) =>
  `SECURITY[1034] res_security_log.c: SecurityEvent="${event}",EventTV="2026-11-27T05:00:00.000+0000",Severity="Error",Service="${g.pick(['SIP', 'PJSIP'])}",EventVersion="1",AccountID="${a(g)}",SessionID="${a(g)}",LocalAddress="IPV4/UDP/192.0.2.1/5060",RemoteAddress="IPV4/UDP/${REAL}/5060"${tail(g)}`;

/** One line shape per signature family, the attacker's fields filled by `a`. */
const TEMPLATES: Record<string, (g: Gen) => string> = {
  'InvalidAccountID': security('InvalidAccountID', attackerText, () => ''),
  'ChallengeResponseFailed': security('ChallengeResponseFailed', attackerText, (g) => `,Challenge="1a2b",Response="${attackerText(g)}",ExpectedResponse="9f"`),
  'InvalidPassword': security('InvalidPassword', attackerText, (g) => `,Challenge="",ReceivedChallenge="${attackerText(g)}",ReceivedHash="${attackerText(g)}"`),
  'RequestNotAllowed': security('RequestNotAllowed', attackerText, (g) => `,RequestType="${attackerText(g)}",RequestParams="${attackerText(g)}"`),
  'SuccessfulAuth': security('SuccessfulAuth', attackerText, () => ',UsingPassword="1"'),
  'chan_sip register': (g) => `NOTICE[7990] chan_sip.c: Registration from '${attackerText(g)}' failed for '${REAL}:5060' - Wrong password`,
  'PJSIP request': (g) =>
    `NOTICE[7990] res_pjsip/pjsip_distributor.c: Request 'REGISTER' from '${attackerText(g)}' failed for '${REAL}:5060' (callid: ${attackerText(g)}) - Failed to authenticate`,
  'call rejected': (g) =>
    `NOTICE[7990] chan_sip.c: Call from '${attackerText(g)}' (${REAL}:5060) to extension '${attackerText(g)}' rejected because extension not found in context 'public'.`,
  'IAX2 host': (g) => `NOTICE[7990] chan_iax2.c: Host ${REAL} failed to authenticate as '${attackerText(g)}'`,
  'IAX2 no registration': (g) => `NOTICE[7990] chan_iax2.c: No registration for peer '${attackerText(g)}' (from ${REAL})`,
  'AMI login': (g) => `NOTICE[7990] manager.c: ${REAL} failed to authenticate as '${attackerText(g)}'`,
};

const PREFIXES = ['[2026-11-27 05:00:00] ', '[Nov 27 05:00:00] ', 'Nov 27 05:00:00 pbx asterisk[1234]: [Nov 27 05:00:00] '];

for (const [name, build] of [['one by one', asteriskSignatures], ["behind the daemon's dispatcher", asteriskDaemonSignatures]] as const) {
  test(`attacker-written fields never get another address banned (20,000 lines per line shape, ${name})`, () => {
    const g = gen(20261127);
    const stats = new AsteriskSignatureStats();
    const sigs = build(stats);
    for (const [shape, make] of Object.entries(TEMPLATES)) {
      let offenses = 0;
      for (let i = 0; i < 20_000; i++) {
        const line = g.pick(PREFIXES) + make(g);
        const ev: RawEvent = { type: 'log-line', source: 'fuzz', at: 0, line };
        for (const sig of sigs) {
          const o = sig.match(ev);
          if (!o) continue;
          offenses++;
          assert.equal(o.ip, REAL, `${shape}: ${sig.id} took ${o.ip} from ${JSON.stringify(line)}`);
        }
      }
      // The test means something only if the shape's signature still fires on most lines.
      assert.ok(offenses > 2_000, `${shape}: only ${offenses} offenses from 20,000 lines`);
    }
    assert.ok(stats.count('ambiguous RemoteAddress') > 0 && stats.count('ambiguous marker') > 0, 'framing attempts were refused and counted');
  });
}
