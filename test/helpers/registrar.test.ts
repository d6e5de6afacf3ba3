// The test registrar answers like chan_sip (the attack tests depend on it): challenge, digest
// check, 403 for a wrong password or an unknown user, 200 to OPTIONS, compact headers, Via rport.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { digestParams, Registrar } from './registrar.ts';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

function register(user: string, auth = ''): string {
  return [
    'REGISTER sip:10.0.0.1 SIP/2.0',
    'Via: SIP/2.0/UDP 10.0.0.9:5070;branch=z9hG4bK-1;rport',
    `From: <sip:${user}@10.0.0.1>;tag=a1`,
    `To: <sip:${user}@10.0.0.1>`,
    'Call-ID: c1@10.0.0.9',
    `CSeq: ${auth ? 2 : 1} REGISTER`,
    'Contact: <sip:100@10.0.0.9:5070>',
    ...(auth ? [auth] : []),
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

/** Answers the challenge in `challenge` for user/password (no qop, as the registrar offers none). */
function credentials(challenge: string, user: string, password: string): string {
  const p = digestParams(/WWW-Authenticate: (.*)/.exec(challenge)![1]);
  const uri = 'sip:10.0.0.1';
  const response = md5(`${md5(`${user}:${p.get('realm')}:${password}`)}:${p.get('nonce')}:${md5(`REGISTER:${uri}`)}`);
  return `Authorization: Digest username="${user}", realm="${p.get('realm')}", nonce="${p.get('nonce')}", uri="${uri}", response="${response}", algorithm=MD5`;
}

test('REGISTER: challenge, then 200 for the right password and 403 for a wrong one or an unknown user', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'swt-reg-'));
  try {
    const log = path.join(dir, 'security');
    const reg = new Registrar({ users: { '100': 'pw100' }, securityLog: log });
    const challenge = reg.handle(register('100'), '10.0.0.9', 5070)!;
    assert.match(challenge, /^SIP\/2\.0 401 Unauthorized\r\n/);
    assert.match(challenge, /Via: SIP\/2\.0\/UDP 10\.0\.0\.9:5070;branch=z9hG4bK-1;received=10\.0\.0\.9;rport=5070\r\n/);
    assert.match(reg.handle(register('100', credentials(challenge, '100', 'pw100')), '10.0.0.9', 5070)!, /^SIP\/2\.0 200 OK/);
    assert.match(reg.handle(register('100', credentials(challenge, '100', 'nope')), '10.0.0.9', 5070)!, /^SIP\/2\.0 403 Forbidden/);
    assert.match(reg.handle(register('555', credentials(challenge, '555', 'pw100')), '10.0.0.7', 5099)!, /^SIP\/2\.0 403 Forbidden/);
    assert.deepEqual(
      reg.arrivals.map((a) => [a.src, a.cseq, a.credentials, a.authorized, a.answer]),
      [['10.0.0.9', 1, false, false, 401], ['10.0.0.9', 2, true, true, 200], ['10.0.0.9', 2, true, false, 403], ['10.0.0.7', 2, true, false, 403]],
    );
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    assert.equal(lines.length, 2, 'one security line per failed auth');
    assert.match(lines[1], /SecurityEvent="InvalidPassword".*AccountID="555".*RemoteAddress="IPV4\/UDP\/10\.0\.0\.7\/5099"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("wrongPassword '401' answers a refused password with a fresh challenge, as PJSIP does", () => {
  const reg = new Registrar({ users: { '100': 'pw100' }, wrongPassword: '401' });
  const challenge = reg.handle(register('100'), '10.0.0.9', 5070)!;
  const again = reg.handle(register('100', credentials(challenge, '100', 'nope')), '10.0.0.9', 5070)!;
  assert.match(again, /^SIP\/2\.0 401 Unauthorized/);
  assert.notEqual(/nonce="(\w+)"/.exec(again)![1], /nonce="(\w+)"/.exec(challenge)![1]);
});

test("an unknown user is 404 without credentials; unknownUser '401' challenges it like anyone (alwaysauthreject)", () => {
  assert.match(new Registrar({ users: { '100': 'pw' } }).handle(register('555'), '10.0.0.9', 5070)!, /^SIP\/2\.0 404 Not Found/);
  assert.match(new Registrar({ users: { '100': 'pw' }, unknownUser: '401' }).handle(register('555'), '10.0.0.9', 5070)!, /^SIP\/2\.0 401 /);
});

test('OPTIONS gets 200, compact headers are understood, ACK and responses get nothing', () => {
  const reg = new Registrar({ users: {} });
  const options = 'OPTIONS sip:10.0.0.1 SIP/2.0\r\nv: SIP/2.0/UDP 10.0.0.9:5060;branch=z9hG4bK-7\r\nf: <sip:x@y>;tag=1\r\nt: <sip:10.0.0.1>\r\ni: 42\r\nCSeq: 1 OPTIONS\r\n\r\n';
  const answer = reg.handle(options, '10.0.0.9', 5060)!;
  assert.match(answer, /^SIP\/2\.0 200 OK\r\nVia: SIP\/2\.0\/UDP 10\.0\.0\.9:5060;branch=z9hG4bK-7;received=10\.0\.0\.9\r\n/);
  assert.match(answer, /\r\nCall-ID: 42\r\n/);
  assert.equal(reg.handle('ACK sip:10.0.0.1 SIP/2.0\r\nCSeq: 1 ACK\r\n\r\n', '10.0.0.9', 5060), null);
  assert.equal(reg.handle('SIP/2.0 200 OK\r\n\r\n', '10.0.0.9', 5060), null);
});
