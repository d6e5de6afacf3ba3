// Attempt grouping on its own: how many of a source's lines start a new attempt.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Offense } from '../../core/types.ts';
import { ATTEMPT_WINDOW_MS, isNewAttempt } from './attempts.ts';
import { SourceState } from './source-table.ts';

const line = (event: 'NOTICE' | 'SECURITY', key: string, at: number): Offense => ({
  ip: '203.0.113.5',
  kind: 'auth-failure',
  signature: event === 'NOTICE' ? 'asterisk-sip-register' : 'asterisk-security',
  detail: event === 'NOTICE' ? 'Registration failed: Wrong password' : 'ChallengeResponseFailed SIP/UDP',
  account: '100',
  attempt: key,
  at,
});

const countNew = (s: SourceState, lines: Offense[]) => lines.filter((o) => isNewAttempt(s, o)).length;

test('two lines per guess count once in any order: interleaved, paired, or one file after the other', () => {
  const guesses = 40;
  const notices = Array.from({ length: guesses }, (_, i) => line('NOTICE', 'k', i * 100));
  const securities = Array.from({ length: guesses }, (_, i) => line('SECURITY', 'k', i * 100));
  assert.equal(countNew(new SourceState(), notices.flatMap((n, i) => [n, securities[i]])), guesses);
  assert.equal(countNew(new SourceState(), notices.flatMap((n, i) => [securities[i], n])), guesses);
  assert.equal(countNew(new SourceState(), [...notices.slice(0, 20), ...securities.slice(0, 20), ...notices.slice(20), ...securities.slice(20)]), guesses);
});

test('a long attack read one log file after the other still counts each guess once', () => {
  // An hour of guesses two seconds apart: one group spanning the hour, tallied, not listed.
  const notices = Array.from({ length: 1800 }, (_, i) => line('NOTICE', 'chan_sip:100', i * 2000));
  const securities = Array.from({ length: 1800 }, (_, i) => line('SECURITY', 'chan_sip:100', i * 2000));
  const s = new SourceState();
  assert.equal(countNew(s, [...notices, ...securities]), 1800);
  assert.deepEqual(s.groupTally, ['asterisk-sip-register', 1800, 'asterisk-security', 1800], 'one small tally for the hour');
});

test('one event repeated under one key counts each repeat (a guesser that keeps its Call-ID)', () => {
  assert.equal(countNew(new SourceState(), Array.from({ length: 100 }, (_, i) => line('SECURITY', 'same', i * 10))), 100);
});

test('lines without a key always count; lines far apart in time start a new group', () => {
  const s = new SourceState();
  const { attempt: _, ...keyless } = line('NOTICE', 'x', 0);
  assert.equal(countNew(s, [keyless, keyless]), 2);
  const far = ATTEMPT_WINDOW_MS + 1;
  assert.equal(countNew(new SourceState(), [line('NOTICE', 'k', 0), line('SECURITY', 'k', far)]), 2);
  assert.equal(countNew(new SourceState(), [line('NOTICE', 'k', ATTEMPT_WINDOW_MS), line('SECURITY', 'k', 0)]), 1, 'an earlier line within the window joins');
});

test('a guesser rotating the method name under one Call-ID still counts every guess', () => {
  // The PJSIP NOTICE's detail starts with the method, which the attacker picks.
  const methods = ['REGISTER', 'INVITE', 'SUBSCRIBE', 'OPTIONS', 'MESSAGE', 'NOTIFY', 'PUBLISH', 'INFO'];
  const guesses = methods.map((m, i): Offense => ({ ...line('NOTICE', 'one-call-id', i * 10), signature: 'asterisk-pjsip-request', detail: `${m} failed: Failed to authenticate` }));
  assert.equal(countNew(new SourceState(), guesses), methods.length);
});

test('eight attempts in flight with their lines batched per file still count once each', () => {
  const s = new SourceState();
  const keys = Array.from({ length: 8 }, (_, i) => `call-${i}`);
  assert.equal(countNew(s, keys.map((k, i) => line('NOTICE', k, i))), 8);
  assert.equal(countNew(s, keys.map((k, i) => line('SECURITY', k, i))), 0);
});

test('interleaved keys keep their own groups (up to the remembered few)', () => {
  const lines = ['a', 'b', 'c'].flatMap((k) => [line('NOTICE', k, 0)]);
  const s = new SourceState();
  assert.equal(countNew(s, lines), 3);
  assert.equal(countNew(s, ['a', 'b', 'c'].map((k) => line('SECURITY', k, 1))), 0);
});
