// The daemon's detection pipeline with in-memory sources: batches preferred over single events, each
// event offered only to signatures of its type; refused (hostile) log lines counted in the status
// snapshot, summed up in the log with the skipped inputs (only what is new since the last summary),
// and shown by the status text.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { Writable } from 'node:stream';
import { serviceLines } from './cli/commands/status-text.ts';
import { configSchema } from './config/schema.ts';
import { FakeClock } from './core/clock.ts';
import { createLogger, silentLogger, type Logger } from './core/log.ts';
import type { RawEvent } from './core/types.ts';
import type { Signature } from './detect/signature.ts';
import { Detection } from './detection.ts';
import { AsteriskSignatureStats } from './detect/signatures/index.ts';
import type { BanService } from './service/bans.ts';
import { configuredSignatures } from './service/signatures.ts';
import { countSkip, createStats, SourceSetupError, type EventSource } from './sources/source.ts';
import { Store } from './store/store.ts';

const framing = (s: number) =>
  `[Nov 27 05:00:0${s}] SECURITY[1] res_security_log.c: SecurityEvent="ChallengeResponseFailed",EventTV="x",Severity="Error",Service="PJSIP",EventVersion="1",AccountID="<unknown>",SessionID="x",LocalAddress="IPV4/UDP/192.0.2.1/5060",RemoteAddress="IPV4/UDP/203.0.113.66/5060",Challenge="1",Response="",RemoteAddress="IPV4/UDP/198.51.100.99/1",ExpectedResponse=""`;
const wrongPassword = (s: number) =>
  `[Nov 27 05:00:0${s}] NOTICE[1234] chan_sip.c: Registration from '"100" <sip:100@10.0.0.1>' failed for '203.0.113.50:5060' - Wrong password`;

/** The log records a logger writes, parsed. */
function recordingLogger(): { log: Logger; records: () => Record<string, unknown>[] } {
  const logged: string[] = [];
  const log = createLogger('info', new Writable({ write: (c, _e, cb) => (logged.push(String(c)), cb()) }));
  return { log, records: () => logged.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

/** The refused-line summaries among the log records. */
const refusalSummaries = (records: Record<string, unknown>[]) => records.filter((r) => String(r.msg).includes('log lines refused'));

/** Waits (a few ms at a time) until `done` holds; fails after `limitMs` so a broken summary cannot hang the test. */
async function until(done: () => boolean, limitMs = 5_000): Promise<void> {
  for (let waited = 0; !done(); waited += 5) {
    if (waited > limitMs) assert.fail('the awaited log summary never came');
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('refused log lines show in status and one log summary, and never ban', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sw-detection-'));
  const clock = new FakeClock(Date.UTC(2026, 10, 27, 5));
  const store = new Store(path.join(dir, 's.db'), clock);
  const { log, records } = recordingLogger();
  const banned: string[] = [];
  const bans = { banMany: async (reqs: { target: string }[]) => ({ banned: reqs.map((r) => (banned.push(r.target), r)), refused: [] }) } as unknown as BanService;
  const lines = [framing(1), framing(2), ...[1, 2, 3, 4, 5].map(wrongPassword)];
  const source: EventSource = {
    id: 'memory',
    stats: createStats(),
    async *events() {
      for (const line of lines) yield { type: 'log-line', source: 'memory', at: clock.now(), line } satisfies RawEvent;
    },
  };
  const config = configSchema.parse({});
  const refusals = new AsteriskSignatureStats();
  const detection = new Detection({
    config, sources: [source], signatures: configuredSignatures(config, { stats: refusals }), refusals,
    bans: () => bans, store, clock, log, isFriend: () => false, summaryEveryMs: 20,
  });
  try {
    await detection.start();
    await new Promise((r) => setTimeout(r, 60)); // a few summaries after the one that logs the refusals
    await detection.stop();
    const status = detection.status() as { refusedLines: Record<string, number> };
    assert.deepEqual(status.refusedLines, { 'ambiguous RemoteAddress': 2 });
    assert.deepEqual(banned, ['203.0.113.50'], 'the brute-forcer, never a framed address');
    const summaries = refusalSummaries(records());
    assert.equal(summaries.length, 1, 'two refusals, one summary: later summaries had nothing new');
    assert.deepEqual(summaries[0].reasons, { 'ambiguous RemoteAddress': 2 });
    assert.match(String(summaries[0].msg), /2 log lines refused: nobody banned; someone may be trying to get another address banned/);
    const text = serviceLines('detection', status).join('\n');
    assert.match(text, /refused log lines \(nobody banned\): ambiguous RemoteAddress 2/);
    assert.match(text, /rules: brute-force 1;/);
    assert.match(text, /memory: received 0, skipped 0, restarts 0/);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('status text keeps unknown services and source fields visible', () => {
  assert.deepEqual(serviceLines('api', { port: 8080, clients: 2 }), ['api: port=8080 clients=2']);
  const lines = serviceLines('detection', { sources: { capture: { received: 5, skipped: 1, skippedByReason: { truncated: 1 }, restarts: 0, lastError: 'tcpdump exited', dropped_by_kernel: 3 } } });
  assert.ok(lines.includes('  capture: received 5, skipped 1, restarts 0, dropped_by_kernel 3'), lines.join('\n'));
  assert.ok(lines.includes('    skipped: truncated 1'));
  assert.ok(lines.includes('    last error: tcpdump exited'));
});

const line = (n: number): RawEvent => ({ type: 'log-line', source: 'log', at: n, line: `line ${n}` });

test('Detection reads batches when a source has them, and offers events only to signatures of their type', async () => {
  const offered: string[] = [];
  const spy = (id: string, eventTypes?: RawEvent['type'][]): Signature => ({
    id,
    eventTypes,
    match(ev) {
      offered.push(`${id}:${ev.type}`);
      return null;
    },
  });
  const source: EventSource = {
    id: 'log',
    stats: createStats(),
    events: () => {
      throw new Error('events() must not be called when batches() exists');
    },
    async *batches(signal) {
      yield [line(1), line(2)];
      yield [line(3)];
      while (!signal.aborted) await new Promise((r) => setTimeout(r, 5));
    },
  };
  const detection = new Detection({
    config: configSchema.parse({}),
    sources: [source],
    signatures: [spy('log', ['log-line']), spy('sip', ['sip']), spy('any')],
    bans: () => assert.fail('no decision expected'),
    store: {} as Store,
    clock: new FakeClock(),
    log: silentLogger,
    isFriend: () => false,
  });
  await detection.start();
  await detection.stop();
  assert.equal(detection.counts.events, 3);
  assert.equal(detection.counts.errors, 0);
  assert.deepEqual(offered, ['log:log-line', 'any:log-line', 'log:log-line', 'any:log-line', 'log:log-line', 'any:log-line']);
});

test('SIP requests from a source our own ban covers skip the signatures; other senders and every response do not', async () => {
  const clock = new FakeClock(Date.UTC(2026, 10, 27, 5));
  const scanner = '198.51.100.7';
  const options = (from: string): RawEvent => ({
    type: 'sip', source: 'capture', at: clock.now(), transport: 'udp',
    src: { ip: from, port: 5060 }, dst: { ip: '192.0.2.1', port: 5060 },
    payload: Buffer.from(`OPTIONS sip:100@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP ${from}:5060;branch=z9hG4bK-1\r\nFrom: <sip:100@1.1.1.1>;tag=1\r\nTo: <sip:100@1.1.1.1>\r\nCall-ID: 1\r\nCSeq: 1 OPTIONS\r\nUser-Agent: friendly-scanner\r\nContent-Length: 0\r\n\r\n`, 'latin1'),
  });
  const answer: RawEvent = {
    type: 'sip', source: 'capture', at: clock.now(), transport: 'udp',
    src: { ip: '192.0.2.1', port: 5060 }, dst: { ip: scanner, port: 5060 },
    payload: Buffer.from('SIP/2.0 404 Not Found\r\nVia: SIP/2.0/UDP x;branch=z9hG4bK-1\r\nCall-ID: 1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n', 'latin1'),
  };
  // The banned address answering as a server (a response from it): still read.
  const itsAnswer: RawEvent = { ...answer, src: { ip: scanner, port: 5060 }, dst: { ip: '192.0.2.1', port: 5060 }, payload: Buffer.from(answer.payload) };
  const events = [options(scanner), options(scanner), options(scanner), options('203.0.113.9'), answer, itsAnswer, options(scanner)];
  const seen: string[] = [];
  const spy: Signature = { id: 'spy', eventTypes: ['sip'], match: (ev) => (ev.type === 'sip' && seen.push(ev.src.ip), null) };
  const banned: string[] = [];
  const bans = { banMany: async (reqs: { target: string }[]) => (reqs.forEach((r) => banned.push(r.target)), { banned: [], refused: [] }) } as unknown as BanService;
  const source: EventSource = { id: 'capture', stats: createStats(), async *events() { yield* events; } };
  const config = configSchema.parse({});
  const detection = new Detection({
    config, sources: [source], signatures: [...configuredSignatures(config), spy], bans: () => bans,
    store: { offenderBans: () => 0 } as unknown as Store, clock, log: silentLogger, isFriend: () => false,
  });
  await detection.start();
  await detection.stop();
  assert.equal(detection.counts.events, 7);
  assert.deepEqual(seen, [scanner, '203.0.113.9', '192.0.2.1', scanner], 'after its ban, its requests are not judged; the other sender and every response are');
  assert.deepEqual(banned, [scanner, '203.0.113.9']);
  // 3 skipped packets, plus each judged scanner packet's second hit (sip-vicious after sip-scanner-ua).
  assert.equal((detection.status() as { engine: { alreadyBanned: number } }).engine.alreadyBanned, 5);
});

test('an offense the engine cannot judge (the store failing) is counted and the source goes on', async () => {
  const clock = new FakeClock(Date.UTC(2026, 10, 27, 5));
  const lines = [1, 2, 3, 4, 5, 6].map(wrongPassword);
  const source: EventSource = {
    id: 'memory',
    stats: createStats(),
    async *events() {
      for (const l of lines) yield { type: 'log-line', source: 'memory', at: clock.now(), line: l } satisfies RawEvent;
    },
  };
  const config = configSchema.parse({});
  const store = { offenderBans: () => { throw new Error('SQLITE_IOERR: disk I/O error'); } } as unknown as Store;
  const detection = new Detection({
    config, sources: [source], signatures: configuredSignatures(config), bans: () => assert.fail('no ban expected'),
    store, clock, log: silentLogger, isFriend: () => false,
  });
  await detection.start();
  await detection.stop();
  assert.equal(detection.counts.events, 6, 'every line was read: the failure did not end the source');
  assert.equal(detection.counts.errors, 2, 'the two decisions that needed the store (5th and 6th guess)');
});

test('each refusal summary logs only what was refused since the last one, and stop() logs the rest', async () => {
  const { log, records } = recordingLogger();
  const refusals = new AsteriskSignatureStats();
  const source: EventSource = {
    id: 'memory',
    stats: createStats(),
    async *events(signal) {
      while (!signal.aborted) await new Promise((r) => setTimeout(r, 5));
    },
  };
  const detection = new Detection({
    config: configSchema.parse({}), sources: [source], signatures: [], refusals, bans: () => assert.fail('no ban expected'),
    store: {} as Store, clock: new FakeClock(), log, isFriend: () => false, summaryEveryMs: 20,
  });
  await detection.start();
  refusals.refuse('ambiguous RemoteAddress');
  refusals.refuse('ambiguous RemoteAddress');
  await until(() => refusalSummaries(records()).length === 1);
  refusals.refuse('bad address');
  refusals.refuse('ambiguous RemoteAddress');
  await until(() => refusalSummaries(records()).length === 2);
  refusals.refuse('bad address');
  await detection.stop();
  const summaries = refusalSummaries(records());
  assert.deepEqual(
    summaries.map((s) => s.reasons),
    [{ 'ambiguous RemoteAddress': 2 }, { 'bad address': 1, 'ambiguous RemoteAddress': 1 }, { 'bad address': 1 }],
  );
  assert.doesNotMatch(String(summaries[2].msg), /someone may be trying/, 'the framing hint only when an ambiguous address was refused');
  assert.deepEqual((detection.status() as { refusedLines: unknown }).refusedLines, { 'ambiguous RemoteAddress': 3, 'bad address': 2 });
});

test('skipped inputs are summed up in the log per source and reason, each counted once', async () => {
  const { log, records } = recordingLogger();
  const stats = createStats();
  const source: EventSource = {
    id: 'hep:127.0.0.1:9060',
    stats,
    async *events(signal) {
      countSkip(stats, 'truncated');
      countSkip(stats, 'auth');
      countSkip(stats, 'auth');
      while (!signal.aborted) await new Promise((r) => setTimeout(r, 5));
    },
  };
  const detection = new Detection({
    config: configSchema.parse({}), sources: [source], signatures: [], bans: () => assert.fail('no ban expected'),
    store: {} as Store, clock: new FakeClock(), log, isFriend: () => false, summaryEveryMs: 20,
  });
  await detection.start();
  await new Promise((r) => setTimeout(r, 60));
  await detection.stop();
  const summaries = records().filter((l) => l.source === 'hep:127.0.0.1:9060');
  assert.equal(summaries.length, 1, 'logged once: later summaries had nothing new');
  assert.deepEqual(summaries[0].reasons, { truncated: 1, auth: 2 });
  assert.match(String(summaries[0].msg), /3 inputs skipped \(malformed or refused\)/);
});

test('a setup problem stops the start while a source is setting up; after the start it is logged and the source tried again', async () => {
  const clock = new FakeClock(Date.UTC(2026, 10, 27, 5));
  const store = new Store(':memory:', clock);
  const deps = { config: configSchema.parse({}), signatures: [], bans: () => ({}) as BanService, store, clock, isFriend: () => false };
  /** A source with a set-up step (like AMI's login) that fails after `ms`, attempt after attempt. */
  const refusing = (ms: number, setupMs?: number): EventSource & { attempts: number } => {
    const src = {
      id: 'slow-ami',
      stats: createStats(),
      setupMs,
      attempts: 0,
      async *events(): AsyncGenerator<RawEvent> {
        src.attempts++;
        await new Promise((r) => setTimeout(r, ms));
        throw new SourceSetupError('ERR_SOURCE', 'AMI refused the login', { hint: 'check the secret' });
      },
    };
    return src;
  };
  const started: Detection[] = [];
  const detectionOf = (d: Detection) => (started.push(d), d);
  try {
    // Asterisk refuses a wrong secret after a second: past the short wait, within the source's setupMs.
    const slow = refusing(800, 3000);
    await assert.rejects(detectionOf(new Detection({ ...deps, sources: [slow], log: silentLogger, setupRetryMs: 50 })).start(), /AMI refused the login/);

    // A source that is set up in time lets the start go on at once.
    const ready: EventSource = {
      id: 'quick-ami',
      stats: { ...createStats(), ready: false },
      setupMs: 3000,
      async *events(signal) {
        await new Promise((r) => setTimeout(r, 100));
        ready.stats.ready = true;
        while (!signal.aborted) await new Promise((r) => setTimeout(r, 5));
      },
    };
    const quick = detectionOf(new Detection({ ...deps, sources: [ready], log: silentLogger }));
    await quick.start();
    assert.equal(ready.stats.ready, true);

    // Without a setupMs the start waits only its short grace; the refusal comes after it.
    const late = refusing(700);
    const { log, records } = recordingLogger();
    const detection = detectionOf(new Detection({ ...deps, sources: [late], log, setupRetryMs: 50 }));
    await detection.start();
    await until(() => late.attempts >= 2 && records().filter((r) => r.msg === 'source cannot start; trying again').length >= 1);
    const logged = records().find((r) => r.msg === 'source cannot start; trying again')!;
    assert.equal(logged.err, 'AMI refused the login');
    assert.equal(logged.hint, 'check the secret');
    assert.ok(detection.counts.errors >= 1);
    assert.equal(late.stats.lastError, 'AMI refused the login');
  } finally {
    for (const d of started) await d.stop();
    store.close();
  }
});
