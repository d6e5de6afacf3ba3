import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, describe, it } from 'node:test';
import type { RawEvent } from '../../core/types.ts';
import { ethernet, ipv4, pcapFile, sipMessage, tcp, udp } from '../../../test/helpers/pcap.ts';
import { createStats } from '../source.ts';
import { replayFile, type ReplayOptions, type ReplayProgress } from './replay.ts';

const dir = mkdtempSync(join(tmpdir(), 'sipwarden-replay-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, data: Buffer | string): string => {
  const path = join(dir, name);
  writeFileSync(path, data);
  return path;
};
async function all(path: string, opts: ReplayOptions = {}): Promise<RawEvent[]> {
  const out: RawEvent[] = [];
  for await (const ev of replayFile(path, opts)) out.push(ev);
  return out;
}
const callIds = (evs: RawEvent[]) => evs.map((e) => (e.type === 'sip' ? /Call-ID: (\S+)/.exec(e.payload.toString())![1] : '?'));

const T0 = Date.UTC(2026, 10, 27, 4, 30, 28);
let tcpSeq = 1; // the TCP packets are one stream: each segment's seq follows the last one's bytes
const nextSeq = (msg: Buffer) => (tcpSeq += msg.length) - msg.length;
const PACKETS = Array.from({ length: 30 }, (_, i) => ({
  at: T0 + i * 1000,
  data: ethernet(i % 3 === 2
    ? ipv4('203.0.113.9', '192.0.2.1', 'tcp', tcp(40000, 5060, sipMessage('INVITE', `p${i}`), nextSeq(sipMessage('INVITE', `p${i}`))))
    : ipv4('203.0.113.9', '192.0.2.1', 'udp', udp(i % 3 === 1 ? 40001 : 5070, i % 3 === 1 ? 9999 : 5060, sipMessage('REGISTER', `p${i}`)))),
}));
const EXPECTED = PACKETS.map((_, i) => `p${i}`);
const hasEditcap = (() => {
  try {
    execFileSync('editcap', ['-h'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('replayFile: captures', () => {
  it('reads a pcap with capture times and reports progress up to the file size', async () => {
    const path = file('a.pcap', pcapFile(PACKETS));
    const progress: ReplayProgress[] = [];
    const events = await all(path, { onProgress: (p) => progress.push(p) });
    assert.deepEqual(callIds(events), EXPECTED);
    assert.deepEqual(events.map((e) => e.at), PACKETS.map((p) => p.at));
    assert.equal(events[0].source, `replay:${path}`);
    assert.deepEqual(progress.at(-1), { bytesRead: readFileSync(path).length, totalBytes: readFileSync(path).length });
  });

  it('keeps only the given ports, and reads a gzip-compressed pcap', async () => {
    const path = file('b.pcap.gz', gzipSync(pcapFile(PACKETS)));
    const stats = createStats();
    const events = await all(path, { ports: [{ from: 5060, to: 5261 }], stats });
    assert.deepEqual(callIds(events), EXPECTED.filter((_, i) => i % 3 !== 1));
    assert.equal(stats.received, 20);
  });

  it('reads pcapng (through tcpdump) and nanosecond pcap written by editcap', { skip: !hasEditcap && 'editcap (wireshark-common) is not installed' }, async () => {
    const pcap = file('c.pcap', pcapFile(PACKETS));
    for (const format of ['pcapng', 'nsecpcap']) {
      const out = join(dir, `c.${format}`);
      execFileSync('editcap', ['-F', format, pcap, out]);
      const events = await all(out);
      assert.deepEqual(callIds(events), EXPECTED, format);
      assert.deepEqual(events.map((e) => e.at), PACKETS.map((p) => p.at), format);
    }
  });

  it('a pcapng cut short yields what precedes the cut and counts the truncation', { skip: !hasEditcap && 'editcap (wireshark-common) is not installed' }, async () => {
    const out = join(dir, 'd.pcapng');
    execFileSync('editcap', ['-F', 'pcapng', file('d.pcap', pcapFile(PACKETS)), out]);
    const whole = readFileSync(out);
    const cut = file('d-cut.pcapng', whole.subarray(0, Math.floor(whole.length * 0.6)));
    const stats = createStats();
    const events = await all(cut, { stats });
    assert.ok(events.length >= 10 && events.length < 30, `${events.length} events`);
    assert.deepEqual(callIds(events), EXPECTED.slice(0, events.length));
    assert.equal(stats.skippedByReason['truncated-file'], 1);
    assert.match(stats.lastError ?? '', /tcpdump/);
  });

  it('refuses a binary file that is neither, and names a missing file', async () => {
    await assert.rejects(all(file('e.bin', Buffer.from([1, 2, 0, 4, 5]))), /neither a pcap\/pcapng capture nor a text log/);
    await assert.rejects(all(join(dir, 'missing.log')), (e: Error & { code?: string }) => e.code === 'ERR_NOT_FOUND');
  });
});

describe('replayFile: logs', () => {
  it('yields one event per line, with the line timestamp, else the previous one (file order)', async () => {
    const log = '[2026-11-27 04:30:28] NOTICE[1] first\r\ncontinuation without time\n\n[2026-11-27 04:30:29.500] NOTICE[1] last';
    const stats = createStats();
    const events = await all(file('messages', log), { stats });
    assert.deepEqual(events.map((e) => (e.type === 'log-line' ? e.line : '?')), ['[2026-11-27 04:30:28] NOTICE[1] first', 'continuation without time', '[2026-11-27 04:30:29.500] NOTICE[1] last']);
    const t = new Date(2026, 10, 27, 4, 30, 28).getTime();
    assert.deepEqual(events.map((e) => e.at), [t, t, t + 1500]);
    assert.equal(stats.received, 3);
    assert.deepEqual(await all(file('messages.1.gz', gzipSync(log))), events.map((e) => ({ ...e, source: `replay:${join(dir, 'messages.1.gz')}` })));
  });

  const F2B = '/usr/lib/python3/dist-packages/fail2ban/tests/files/logs/asterisk';
  it("gives every line of fail2ban's Asterisk test log the time fail2ban expects", { skip: !existsSync(F2B) && 'fail2ban is not installed' }, async () => {
    // fail2ban's tests run with "now" = 2005-08-14 10:00 local; year-less lines are placed before it.
    const events = await all(F2B, { reference: new Date(2005, 7, 14, 10, 0, 0).getTime() });
    const byLine = new Map(events.map((e) => [e.type === 'log-line' ? e.line : '', e.at]));
    const lines = readFileSync(F2B, 'utf8').split('\n');
    let checked = 0;
    lines.forEach((line, i) => {
      const m = /^# failJSON: .*"time": "([^"]+)"/.exec(line);
      if (!m) return;
      const at = byLine.get(lines[i + 1].replace(/\r$/, ''));
      assert.ok(at !== undefined, `line ${i + 2} was not replayed`);
      const d = new Date(at);
      const text = `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())}T${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}`;
      assert.equal(text, m[1].slice(0, 19), `line ${i + 2}: ${lines[i + 1].slice(0, 40)}`);
      checked++;
    });
    assert.ok(checked >= 40, `${checked} timed cases`);
  });
});
const p2 = (n: number) => String(n).padStart(2, '0');
