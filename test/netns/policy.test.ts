// The static SIP policy in the real kernel (issue 2 §7), for both backends: every built-in scanner
// User-Agent in every spelling RFC 3261 allows is dropped over UDP and TCP; benign agents and
// benign packets that merely contain the short tokens arrive; SQL-injection probes are dropped
// and O'Brien is not one; the REGISTER domain allowlist. The config keeps the default first-packet
// scanner ban, so every probe comes from an address of its own (a ban caused by one probe never
// hides whether the next one was caught) and a fresh source port (a new flow). One test runs the
// drop-only mode (scanner_ban_time 0), where nothing bans the sender and every packet must be
// caught by the string rules themselves.
import { after, before, describe, test } from 'node:test';
import { BUILTIN_USER_AGENTS } from '../../src/detect/signatures/scanner-user-agents.ts';
import { BACKENDS, FirewallLab, firewallLabUnavailable, probe, type Probe } from './fixture.ts';
import { RCV_V4, RCV_V6 } from './harness.ts';

const unavailable = await firewallLabUnavailable();
if (unavailable) console.log(`# skipping the firewall policy tests: ${unavailable}`);

const PROTOS = ['udp', 'tcp'] as const;
const DROP_ONLY = { sip: { scanner_ban_time: 0 } };
const DEFAULTS = {};

/** The User-Agent lines a scanner could send for one entry. */
function uaVariants(text: string, match: 'substring' | 'exact'): [string, string][] {
  const v: [string, string][] = [
    ['as listed', `User-Agent: ${text}`],
    ['lower-case header name', `user-agent: ${text}`],
    ['upper-case header name', `USER-AGENT: ${text}`],
    ['no space', `User-Agent:${text}`],
    ['two spaces', `User-Agent:  ${text}`],
    ['tab', `User-Agent:\t${text}`],
    ['space before colon', `User-Agent : ${text}`],
    ['value upper-case', `User-Agent: ${text.toUpperCase()}`],
    ['value lower-case', `User-Agent: ${text.toLowerCase()}`],
    ['trailing space', `User-Agent: ${text} `],
  ];
  return v;
}

const BENIGN_UAS = ['Zoiper rv2.10.8.3-mod', 'SIPp/3.6', 'Test Phone', 'Telephone 1.6', 'TestPBX 2.0', 'Linphone/5.2', 'SIP.js/0.21.2', 'Custom Phone 1.0'];
const TOKENS = ['smap', 'sipv', 'test', 'sip', 'custom', 'SIP', 'Test', 'Custom', 'sipsak', 'iwar'];

// The backends run side by side, each in its own namespaces (halves the wall time on 2 CPUs).
describe('policy in the kernel', { skip: unavailable ?? false, concurrency: true }, () => {
  for (const backend of BACKENDS) {
    describe(backend, { timeout: 120_000, concurrency: 1 }, () => {
      let fw: FirewallLab;
      before(async () => {
        fw = await FirewallLab.open(backend, { pool: 900 });
        await fw.apply(DEFAULTS);
      });
      after(async () => fw?.close());

      test('every built-in scanner User-Agent, in every spelling, is dropped over UDP and TCP', async () => {
        const probes: Probe[] = [];
        for (const { text, match } of BUILTIN_USER_AGENTS) {
          for (const [how, uaLine] of uaVariants(text, match)) {
            for (const proto of PROTOS) probes.push(probe(`${text} (${how})`, 'drop', proto, fw.fresh(), { uaLine }));
          }
        }
        // The same batch carries a benign message per protocol, so a dead listener cannot pass this test.
        for (const proto of PROTOS) probes.push(probe('benign control', 'pass', proto, fw.fresh()));
        await fw.expectExactly(probes);
      });

      // In the kernel an entry matches at the start of the User-Agent value (any case, any spacing
      // after the colon), whatever follows it: a string rule cannot tell the User-Agent line from a
      // Subject or a body that mentions the same word. The userspace signature (capture, HEP) also
      // catches an entry in the middle of the value.
      test('a User-Agent value that starts with an entry and goes on is dropped', async () => {
        const probes: Probe[] = [];
        for (const { text } of BUILTIN_USER_AGENTS.filter((e) => e.match === 'substring')) {
          for (const proto of PROTOS) {
            probes.push(probe(`${text} with a version after it`, 'drop', proto, fw.fresh(), { uaLine: `User-Agent: ${text}/1.2 (linux)` }));
          }
        }
        for (const proto of PROTOS) probes.push(probe('benign control', 'pass', proto, fw.fresh()));
        await fw.expectExactly(probes);
      });

      test('drop-only mode (scanner_ban_time 0): a scanner is dropped on every packet, TCP retransmissions too', async () => {
        await fw.apply(DROP_ONLY);
        try {
          const probes: Probe[] = [];
          for (const proto of PROTOS) {
            probes.push(probe('friendly-scanner', 'drop', proto, fw.fresh(), { uaLine: 'User-Agent: friendly-scanner' }));
            probes.push(probe('user-agent:  sipvicious', 'drop', proto, fw.fresh(), { uaLine: 'user-agent:  sipvicious' }));
            probes.push(probe("sip:a'or'3=3--@", 'drop', proto, fw.fresh(), { uri: `sip:a'or'3=3--@${RCV_V4}` }));
            probes.push(probe('benign control', 'pass', proto, fw.fresh()));
          }
          // Nothing bans the sender here: a dropped TCP segment is retransmitted, and every copy must die.
          await fw.expectExactly(probes, { tcpWaitMs: 3000 });
        } finally {
          await fw.apply(DEFAULTS);
        }
      });

      test('benign User-Agents and benign packets holding the short tokens elsewhere arrive', async () => {
        const probes: Probe[] = [];
        for (const proto of PROTOS) {
          for (const ua of BENIGN_UAS) probes.push(probe(`User-Agent: ${ua}`, 'pass', proto, fw.fresh(), { uaLine: `User-Agent: ${ua}` }));
          probes.push(probe('no User-Agent', 'pass', proto, fw.fresh(), { uaLine: null }));
          for (const t of TOKENS) {
            probes.push(probe(`Call-ID holds ${t}`, 'pass', proto, fw.fresh(), { callIdWord: t }));
            probes.push(probe(`tag holds ${t}`, 'pass', proto, fw.fresh(), { tag: t }));
            probes.push(probe(`branch holds ${t}`, 'pass', proto, fw.fresh(), { branchWord: t }));
            probes.push(probe(`body line is ${t}`, 'pass', proto, fw.fresh(), { body: `${t}\r\nline two ${t}\r\n` }));
            probes.push(probe(`To user is ${t}`, 'pass', proto, fw.fresh(), { to: `<sip:${t}@${RCV_V4}>` }));
          }
          // A scanner token in another header (a benign MESSAGE subject) is not a User-Agent.
          probes.push(probe('Subject names friendly-scanner', 'pass', proto, fw.fresh(), { uaLine: 'Subject: is friendly-scanner sipvicious?' }));
        }
        await fw.expectExactly(probes);
      });

      test("SQL-injection probes are dropped; O'Brien and other apostrophes arrive", async () => {
        const probes: Probe[] = [];
        const d = RCV_V4;
        for (const proto of PROTOS) {
          for (const user of ["a'or'3=3--", "'or''='"]) {
            probes.push(probe(`request line sip:${user}@`, 'drop', proto, fw.fresh(), { uri: `sip:${user}@${d}` }));
            probes.push(probe(`From sip:${user}@`, 'drop', proto, fw.fresh(), { from: `<sip:${user}@${d}>` }));
            probes.push(probe(`To sip:${user}@`, 'drop', proto, fw.fresh(), { to: `<sip:${user}@${d}>` }));
            probes.push(probe(`Contact sip:${user}@`, 'drop', proto, fw.fresh(), { contact: `<sip:${user}@${RCV_V4}>` }));
            probes.push(probe(`INVITE sip:${user}@`, 'drop', proto, fw.fresh(), { method: 'INVITE', uri: `sip:${user}@${d}` }));
          }
          probes.push(probe(`From "O'Brien"`, 'pass', proto, fw.fresh(), { from: `"O'Brien" <sip:100@${d}>` }));
          probes.push(probe(`To "O'Brien"`, 'pass', proto, fw.fresh(), { to: `"O'Brien" <sip:100@${d}>` }));
          probes.push(probe(`Contact "O'Brien"`, 'pass', proto, fw.fresh(), { contact: `"O'Brien" <sip:100@${d}>` }));
          probes.push(probe(`From "D'Orsay-Smith"`, 'pass', proto, fw.fresh(), { from: `"D'Orsay-Smith" <sip:101@${d}>` }));
          probes.push(probe(`To sip:o'neil@`, 'pass', proto, fw.fresh(), { to: `<sip:o'neil@${d}>` }));
        }
        await fw.expectExactly(probes);
      });

      test('IPv6: scanner User-Agents and injection are dropped, benign traffic arrives', async () => {
        const probes: Probe[] = [];
        for (const proto of PROTOS) {
          probes.push(probe('friendly-scanner', 'drop', proto, fw.fresh(true), { uaLine: 'User-Agent: friendly-scanner' }));
          probes.push(probe('user-agent:\\tsipvicious', 'drop', proto, fw.fresh(true), { uaLine: 'user-agent:\tsipvicious' }));
          probes.push(probe('exact Test', 'drop', proto, fw.fresh(true), { uaLine: 'User-Agent: Test' }));
          probes.push(probe("sip:a'or'3=3--@", 'drop', proto, fw.fresh(true), { uri: `sip:a'or'3=3--@[${RCV_V6}]` }));
          probes.push(probe('Test Phone', 'pass', proto, fw.fresh(true), { uaLine: 'User-Agent: Test Phone' }));
          probes.push(probe('benign', 'pass', proto, fw.fresh(true)));
        }
        await fw.expectExactly(probes);
      });

      test('REGISTER domain allowlist: our domain arrives, IP literals and other domains are dropped', async () => {
        await fw.apply({ sip: { register_domains: ['pbx.example.com'] } });
        const probes: Probe[] = [];
        const reg = (what: string, expect: 'pass' | 'drop', proto: 'udp' | 'tcp', uri: string, src = fw.fresh()) =>
          probes.push(probe(`REGISTER ${what}`, expect, proto, src, { method: 'REGISTER', uri, to: `<${uri.replace(/^(sips?:)/, '$1100@')}>` }));
        for (const proto of PROTOS) {
          reg('sip:pbx.example.com', 'pass', proto, 'sip:pbx.example.com');
          reg('sip:pbx.example.com:5060', 'pass', proto, 'sip:pbx.example.com:5060');
          reg('sip:pbx.example.com;transport=udp', 'pass', proto, 'sip:pbx.example.com;transport=udp');
          reg('sip:pbx.example.com:5060;transport=tcp', 'pass', proto, 'sip:pbx.example.com:5060;transport=tcp');
          reg('sip:PBX.Example.COM (case)', 'pass', proto, 'sip:PBX.Example.COM');
          reg('sip:pbx.example.com over IPv6', 'pass', proto, 'sip:pbx.example.com', fw.fresh(true));
          reg(`sip:${RCV_V4}`, 'drop', proto, `sip:${RCV_V4}`);
          reg(`sip:${RCV_V4}:5060`, 'drop', proto, `sip:${RCV_V4}:5060`);
          reg('sip:other.example.org', 'drop', proto, 'sip:other.example.org');
          reg('sip:pbx.example.com.evil.net', 'drop', proto, 'sip:pbx.example.com.evil.net');
          reg('sip:evilpbx.example.com', 'drop', proto, 'sip:evilpbx.example.com');
          reg(`sip:[${RCV_V6}] over IPv6`, 'drop', proto, `sip:[${RCV_V6}]`, fw.fresh(true));
          // The allowed text in a header is not the request line: it must not let a foreign REGISTER in.
          probes.push(probe('REGISTER sip:other.example.org smuggling the allowed form in a header', 'drop', proto, fw.fresh(), {
            method: 'REGISTER', uri: 'sip:other.example.org', to: '<sip:100@other.example.org>', uaLine: 'X-Note: REGISTER sip:pbx.example.com;',
          }));
          probes.push(probe('OPTIONS to an IP literal', 'pass', proto, fw.fresh()));
          probes.push(probe('INVITE to an IP literal', 'pass', proto, fw.fresh(), { method: 'INVITE' }));
        }
        await fw.expectExactly(probes);
      });

      test('REGISTER with an empty domain list: every REGISTER arrives', async () => {
        await fw.apply(DEFAULTS);
        const probes: Probe[] = [];
        for (const proto of PROTOS) {
          for (const uri of ['sip:pbx.example.com', `sip:${RCV_V4}`, 'sip:other.example.org']) {
            probes.push(probe(`REGISTER ${uri}`, 'pass', proto, fw.fresh(), { method: 'REGISTER', uri }));
          }
        }
        await fw.expectExactly(probes);
      });
    });
  }
});
