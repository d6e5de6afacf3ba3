// HEPv3 from a real sender: Kamailio 5.6 (Debian) with siptrace mirrors the SIP it handles to
// sipwarden. In the receiver namespace run two Kamailios, `sipwarden run` (nftables, HEP on
// 127.0.0.1:9060) and the bare HEP listener (test/netns/hep-listen.ts on 127.0.0.1:9061, to see
// each event's addresses). Kamailio A (10.201.255.1:5060) sends the right auth key: trace_mode
// mirrors every message in and out to the daemon, and sip_trace() copies each request, with a
// correlation id, to the bare listener. Kamailio B (port 5062) sends a wrong key to both.
// From the sender namespace a phone (sipp, 10.201.0.2) registers with digest auth through A, and
// svmap (10.201.0.1, the namespace's primary address) scans B, then A.
// Expected: B's frames are refused and counted ('auth') and ban nobody; A's scan is decoded with
// the scanner's own address and port (not Kamailio's), banned in the kernel on its first
// OPTIONS, and its next scan no longer reaches Kamailio; the phone is never banned; every frame
// decodes (no reason other than 'auth' in the counters).
// The kernel's own User-Agent string rules would drop the scan before Kamailio saw it, so
// sip.ports is moved off Kamailio's ports: here only HEP can catch the scanner.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { DaemonProcess } from './attack-lab.ts';
import { sipwarden } from './cli.ts';
import { firewallLabUnavailable } from './fixture.ts';
import { cleanupLeftovers, createLab, RCV_V4, run, runIn, senderV4, type Lab } from './harness.ts';
import { kamailioConfig } from './kamailio.ts';
import { NsProcess } from './ns-process.ts';

const KEY = 'hep-key-5157';
const SCANNER = senderV4(1);
const PHONE = senderV4(2);
const SCANNER_PORT = 5071;
const PHONE_PORT = 5072;
const DAEMON_HEP = '127.0.0.1:9060';
const BARE_HEP = '127.0.0.1:9061';
const SIPP_SCENARIO = fileURLToPath(new URL('../fixtures/sipp/register-options.xml', import.meta.url));
const HELPER = fileURLToPath(new URL('./hep-listen.ts', import.meta.url));

async function unavailableReason(): Promise<string | null> {
  const lab = await firewallLabUnavailable();
  if (lab) return lab;
  const k = await run('kamailio', ['-v']);
  return k.code === 0 ? null : 'kamailio is not installed (scripts/setup.sh --test installs it)';
}
const unavailable = await unavailableReason();
if (unavailable) console.log(`# skipping the Kamailio HEP test: ${unavailable}`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface HepEvent {
  src: { ip: string; port: number };
  dst: { ip: string; port: number };
  transport: string;
  line: string;
  ua: string | null;
}
type Stats = { received: number; skipped: number; skippedByReason: Record<string, number> };

/** The bare listener: its events so far, and its counters on request. */
class BareListener {
  private constructor(private readonly p: NsProcess) {}
  static async start(ns: string): Promise<BareListener> {
    const p = NsProcess.start(ns, [process.execPath, '--import', 'tsx', HELPER, JSON.stringify({ listen: BARE_HEP, password: KEY })], 'stdout');
    await p.waitFor((l) => (l.includes('{"ready":true}') ? true : undefined), 15_000, 'the bare HEP listener');
    return new BareListener(p);
  }
  events(): HepEvent[] {
    return this.p.lines.filter((l) => l.startsWith('{"event"')).map((l) => (JSON.parse(l) as { event: HepEvent }).event);
  }
  waitForEvent(pred: (e: HepEvent) => boolean, what: string): Promise<HepEvent> {
    return this.p.waitFor(() => this.events().find(pred), 5000, what);
  }
  async stats(): Promise<Stats> {
    const before = this.p.lines.length;
    this.p.proc.stdin.write('stats\n');
    const line = await this.p.waitFor((l) => l.slice(before).find((x) => x.startsWith('{"stats"')), 5000, 'listener stats');
    return (JSON.parse(line) as { stats: Stats }).stats;
  }
  async stop(): Promise<void> {
    this.p.proc.stdin.end();
    await this.p.stop();
  }
}

/** Kamailio in the foreground (-DD -E), everything it writes in dir. */
async function startKamailio(ns: string, dir: string, name: string, port: number, authKey: string): Promise<NsProcess> {
  const cfg = path.join(dir, `${name}.cfg`);
  const runtime = path.join(dir, `${name}-run`);
  mkdirSync(runtime);
  writeFileSync(cfg, kamailioConfig({ listen: `${RCV_V4}:${port}`, traceTo: DAEMON_HEP, copyTo: BARE_HEP, captureId: port, authKey, password: 'phone-secret' }));
  const argv = ['kamailio', '-DD', '-E', '-f', cfg, '-P', path.join(dir, `${name}.pid`), '-Y', runtime, '-w', dir, '-m', '16', '-M', '4'];
  const k = NsProcess.start(ns, argv, 'stderr');
  await k.waitFor((l) => (l.some((x) => x.includes('sipwarden-test: ready')) ? true : undefined), 10_000, `kamailio ${name} to start`);
  return k;
}

describe('HEPv3 from Kamailio siptrace', { skip: unavailable ?? false, timeout: 60_000 }, () => {
  let lab: Lab;
  let dir: string;
  let config: string;
  let daemon: DaemonProcess | null = null;
  let bare: BareListener | null = null;
  const kamailios: NsProcess[] = [];
  const svmapHome = () => path.join(dir, 'home');
  const banned = (ip: string) => (daemon?.records() ?? []).filter((r) => r.msg === 'banned' && r.target === ip);
  const svmap = (port: number) =>
    runIn(lab.snd, 'timeout', ['-k', '1', '8', 'svmap', '-P', String(SCANNER_PORT), '-p', String(port), '-t', '0.5', RCV_V4], { env: { ...process.env, HOME: svmapHome() }, timeoutMs: 12_000 });

  before(async () => {
    await cleanupLeftovers();
    dir = mkdtempSync(path.join(tmpdir(), 'swt-hep-'));
    mkdirSync(svmapHome());
    lab = await createLab({ senders: 2 });
    config = path.join(dir, 'sipwarden.yaml');
    writeFileSync(
      config,
      stringify({
        firewall: { backend: 'nftables' },
        store: { path: path.join(dir, 'sipwarden.db') },
        sip: { ports: 5999 },
        detect: { hep: { listen: DAEMON_HEP, password: KEY } },
        log: { level: 'info' },
      }),
    );
    bare = await BareListener.start(lab.rcv);
    daemon = await DaemonProcess.start(lab.rcv, config);
    kamailios.push(await startKamailio(lab.rcv, dir, 'right-key', 5060, KEY));
    kamailios.push(await startKamailio(lab.rcv, dir, 'wrong-key', 5062, 'not-the-key'));
  });

  after(async () => {
    await Promise.allSettled([...kamailios.map((k) => k.stop()), bare?.stop(), daemon?.stop()]);
    if (lab) {
      // Kamailio's workers, should a SIGKILL have orphaned them: every process left in our namespaces.
      for (const ns of [lab.rcv, lab.snd]) {
        const pids = (await run('ip', ['netns', 'pids', ns])).stdout.split(/\s+/).filter(Boolean);
        for (const pid of pids) {
          try {
            process.kill(Number(pid), 'SIGKILL');
          } catch {
            // gone meanwhile
          }
        }
      }
      await sipwarden(lab.rcv, config, ['remove']).catch(() => undefined);
      await lab.destroy();
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a phone registers with digest auth through Kamailio; its copies carry its own address', async () => {
    const r = await runIn(lab.snd, 'sipp', [
      `${RCV_V4}:5060`, '-sf', SIPP_SCENARIO, '-i', PHONE, '-p', String(PHONE_PORT), '-s', '200', '-au', '200', '-ap', 'phone-secret',
      '-m', '1', '-nr', '-nostdin', '-timeout', '8s', '-timeout_error',
    ], { timeoutMs: 12_000 });
    assert.equal(r.code, 0, `sipp exit ${r.code}:\n${r.stdout.slice(-1500)}\n${r.stderr.slice(-500)}`);
    const reg = await bare!.waitForEvent((e) => e.line.startsWith('REGISTER') && e.src.ip === PHONE, 'the REGISTER copy');
    assert.deepEqual([reg.src, reg.dst, reg.transport], [{ ip: PHONE, port: PHONE_PORT }, { ip: RCV_V4, port: 5060 }, 'udp']);
  });

  test('a scan of the Kamailio that sends a wrong auth key is refused, counted, and bans nobody', async () => {
    const r = await svmap(5062);
    assert.match(r.stdout, new RegExp(`${RCV_V4.replace(/\./g, '\\.')}:5062`), `svmap found kamailio B:\n${r.stdout}${r.stderr}`);
    await bare!.stats().then((s) => assert.ok((s.skippedByReason.auth ?? 0) >= 1, JSON.stringify(s)));
    await sleep(500); // the daemon got its copies at the same moment; a ban takes milliseconds
    assert.deepEqual(banned(SCANNER), [], 'frames with a wrong key must not ban');
    assert.equal(bare!.events().filter((e) => e.src.ip === SCANNER).length, 0);
  });

  test('the scan of the right-key Kamailio: scanner address and port from HEP, banned in the kernel', async () => {
    const t0 = Date.now();
    const r = await svmap(5060);
    assert.equal(r.code, 0, r.stderr);
    const ev = await bare!.waitForEvent((e) => e.src.ip === SCANNER, 'the scanner OPTIONS copy');
    assert.deepEqual(ev, { src: { ip: SCANNER, port: SCANNER_PORT }, dst: { ip: RCV_V4, port: 5060 }, transport: 'udp', line: `OPTIONS sip:100@${RCV_V4} SIP/2.0`, ua: 'friendly-scanner' });
    const ban = await daemon!.banOf(SCANNER, 5000);
    assert.ok(ban, `no ban of ${SCANNER}:\n${daemon!.tail()}`);
    assert.equal(ban.origin, 'rule:scanner');
    assert.ok(Date.parse(ban.time) >= t0 - 1000, 'banned by this scan, not the wrong-key one');
    const inKernel = await runIn(lab.rcv, 'nft', ['get', 'element', 'inet', 'sipwarden', 'ban4', `{ ${SCANNER} }`]);
    assert.equal(inKernel.code, 0, inKernel.stderr);
    // The kernel now drops the scanner before Kamailio: a second scan finds nothing and is not traced.
    const seen = bare!.events().length;
    const again = await svmap(5060);
    assert.doesNotMatch(again.stdout, new RegExp(`${RCV_V4.replace(/\./g, '\\.')}:5060`), again.stdout);
    assert.equal(bare!.events().filter((e) => e.src.ip === SCANNER).length, bare!.events().slice(0, seen).filter((e) => e.src.ip === SCANNER).length);
  });

  test('the phone was never banned; every frame decoded; only the wrong-key ones were skipped', async (t) => {
    assert.deepEqual(banned(PHONE), []);
    const check = await sipwarden(lab.rcv, config, ['check', PHONE, '--json']);
    assert.equal((JSON.parse(check.stdout) as { blocked: boolean }).blocked, false, check.stdout);
    const bareStats = await bare!.stats();
    // sip_trace() copies requests only: the phone's two REGISTERs and its OPTIONS, the scan of A;
    // the scan of B had the wrong key; the scan after the ban never reached Kamailio.
    assert.deepEqual([bareStats.received, bareStats.skippedByReason], [4, { auth: 1 }], JSON.stringify(bareStats));
    // The daemon writes its counters when it stops; read them from the store.
    assert.equal(await daemon!.stop(), 0);
    daemon = null;
    const status = JSON.parse((await sipwarden(lab.rcv, config, ['status', '--json'])).stdout) as {
      services: { detection: { sources: Record<string, Stats>; counts: { errors: number } } };
    };
    const hep = status.services.detection.sources[`hep:${DAEMON_HEP}`];
    assert.ok(hep, JSON.stringify(status.services.detection));
    t.diagnostic(`daemon HEP source: ${JSON.stringify(hep)}; bare listener: ${JSON.stringify(bareStats)}`);
    // trace_mode mirrors both ways: the phone's 3 requests and 3 replies, the scan of A and its
    // reply; from B (wrong key) the scan and its reply. Nothing else: every frame decoded.
    assert.deepEqual([hep.received, hep.skippedByReason], [8, { auth: 2 }], JSON.stringify(hep));
    assert.equal(status.services.detection.counts.errors, 0);
  });
});
