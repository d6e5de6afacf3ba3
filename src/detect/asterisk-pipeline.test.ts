// Asterisk log lines through the signatures and the engine together, as the daemon runs them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../core/clock.ts';
import type { Decision } from '../core/types.ts';
import { configSchema } from '../config/schema.ts';
import { DetectionEngine } from './engine.ts';
import { engineConfigFrom } from './rules/config.ts';
import { AsteriskSignatureStats } from './signatures/asterisk-common.ts';
import { asteriskSignatures } from './signatures/asterisk-all.ts';

function pipeline() {
  const clock = new FakeClock(new Date(2026, 10, 27, 3, 20, 0).getTime());
  const stats = new AsteriskSignatureStats();
  const sigs = asteriskSignatures(stats);
  const engine = new DetectionEngine(engineConfigFrom(configSchema.parse({})), { clock });
  const feed = (line: string): Decision[] => {
    const ev = { type: 'log-line' as const, source: 'test', at: clock.now(), line };
    return sigs.flatMap((s) => {
      const o = s.match(ev);
      return o ? engine.offense(o) : [];
    });
  };
  return { clock, feed, engine, stats };
}

const stamp = (s: number) => `[2026-11-27 03:20:${String(s).padStart(2, '0')}]`;
const security = (s: number, event: string, ip: string, callid: string, extra = '') =>
  `${stamp(s)} SECURITY[1034] res_security_log.c: SecurityEvent="${event}",EventTV="x",Severity="Error",Service="PJSIP",EventVersion="1",AccountID="<unknown>",SessionID="${callid}",LocalAddress="IPV4/UDP/192.0.2.1/5060",RemoteAddress="IPV4/UDP/${ip}/5060"${extra}`;
const notice = (s: number, ip: string, callid: string) =>
  `${stamp(s)} NOTICE[7990] res_pjsip/pjsip_distributor.c: Request 'REGISTER' from '"100" <sip:100@192.0.2.1>' failed for '${ip}:5060' (callid: ${callid}) - Failed to authenticate`;

test('a PJSIP guesser writing three lines per attempt is banned at its fifth attempt', () => {
  const { feed } = pipeline();
  const decisions: Decision[][] = [];
  for (let i = 0; i < 5; i++) {
    decisions.push([
      ...feed(security(i, 'ChallengeSent', '203.0.113.7', `call-${i}`, ',Challenge="1/2"')),
      ...feed(notice(i, '203.0.113.7', `call-${i}`)),
      ...feed(security(i, 'ChallengeResponseFailed', '203.0.113.7', `call-${i}`, ',Challenge="1/2",Response="x",ExpectedResponse=""')),
    ]);
  }
  assert.deepEqual(decisions.slice(0, 4).flat(), []);
  assert.equal(decisions[4].length, 1);
  assert.equal(decisions[4][0].target, '203.0.113.7');
  assert.equal(decisions[4][0].reason, '5 failed auths for account 100 within 10m (asterisk-pjsip-request)');
});

test('SessionID injection repeated many times never bans the framed address', () => {
  const { feed, stats } = pipeline();
  const framed = (s: number) =>
    `${stamp(s)} SECURITY[1] res_security_log.c: SecurityEvent="ChallengeResponseFailed",EventTV="x",Severity="Error",Service="PJSIP",EventVersion="1",AccountID="<unknown>",SessionID="x",LocalAddress="IPV4/UDP/192.0.2.1/5060",RemoteAddress="IPV4/UDP/203.0.113.66/5060",Challenge="1",Response="",RemoteAddress="IPV4/UDP/198.51.100.99/1",ExpectedResponse=""`;
  const all = Array.from({ length: 30 }, (_, i) => feed(framed(i))).flat();
  assert.deepEqual(all, []);
  assert.equal(stats.count('ambiguous RemoteAddress'), 30);
});

test('a phone that logged in keeps failing on its own account: no ban until the per-IP cap', () => {
  const { feed } = pipeline();
  const ok = `${stamp(0)} SECURITY[1] res_security_log.c: SecurityEvent="SuccessfulAuth",EventTV="x",Severity="Informational",Service="PJSIP",EventVersion="1",AccountID="100",SessionID="s",LocalAddress="IPV4/UDP/192.0.2.1/5060",RemoteAddress="IPV4/UDP/198.51.100.5/5060",UsingPassword="1"`;
  assert.deepEqual(feed(ok), []);
  for (let i = 1; i < 20; i++) assert.deepEqual(feed(notice(i, '198.51.100.5', `reg-${i}`)), [], `failure ${i}`);
  assert.equal(feed(notice(20, '198.51.100.5', 'reg-20')).length, 1);
});

// chan_sip writes "Registration from ... - Wrong password" to messages and ChallengeResponseFailed to
// the security log; its SessionID is a pointer the NOTICE never shows, so only the account ties them.
const chanSipNotice = (s: number, ip: string, account: string) =>
  `${stamp(s)} NOTICE[7990] chan_sip.c: Registration from '"${account}" <sip:${account}@192.0.2.1>' failed for '${ip}:5060' - Wrong password`;
const chanSipSecurity = (s: number, ip: string, account: string) =>
  `${stamp(s)} SECURITY[1034] res_security_log.c: SecurityEvent="ChallengeResponseFailed",EventTV="x",Severity="Error",Service="SIP",EventVersion="1",AccountID="${account}",SessionID="0x7f2c3c01a2b${s % 10}",LocalAddress="IPV4/UDP/192.0.2.1/5060",RemoteAddress="IPV4/UDP/${ip}/5060",Challenge="3a1b",Response="0123",ExpectedResponse=""`;

test('chan_sip with both logs read: NOTICE + SECURITY of one guess count once, lines interleaved', () => {
  const { feed } = pipeline();
  const decisions: Decision[][] = [];
  for (let i = 0; i < 5; i++) {
    decisions.push([...feed(chanSipNotice(i, '203.0.113.8', '100')), ...feed(chanSipSecurity(i, '203.0.113.8', '100'))]);
  }
  assert.deepEqual(decisions.slice(0, 4).flat(), [], 'no ban before the fifth guess');
  assert.equal(decisions[4].length, 1);
  assert.match(decisions[4][0].reason, /^5 failed auths for account 100 /);
});

test('chan_sip with both logs read: one file whole before the other (the daemon reading both from their start) still counts each guess once', () => {
  const { feed } = pipeline();
  // Four guesses two seconds apart (8 s in all, longer than one attempt window).
  const early: Decision[] = [];
  for (let i = 0; i < 4; i++) early.push(...feed(chanSipNotice(2 * i, '203.0.113.9', '200')));
  for (let i = 0; i < 4; i++) early.push(...feed(chanSipSecurity(2 * i, '203.0.113.9', '200')));
  assert.deepEqual(early, [], '4 guesses written twice are 4 attempts, not 8');
  assert.equal(feed(chanSipSecurity(8, '203.0.113.9', '200')).length, 1, 'the fifth guess bans');
});
