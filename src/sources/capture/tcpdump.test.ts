import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { silentLogger } from '../../core/log.ts';
import { collect } from '../../../test/helpers/collect-events.ts';
import { ethernet, ipv4, pcapFile, sipMessage, udp } from '../../../test/helpers/pcap.ts';
import { withRestart } from '../restart.ts';
import { SourceSetupError } from '../source.ts';
import { captureFilter, captureSource, tcpdumpArgs } from './tcpdump.ts';
import { parseTcpdumpCounters, TcpdumpCounterTracker, zeroCounters } from './tcpdump-stats.ts';

const dir = mkdtempSync(join(tmpdir(), 'sipwarden-tcpdump-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function fakeTcpdump(body: string): string {
  const path = join(dir, 'tcpdump');
  writeFileSync(path, `#!/bin/sh\nprintf '%s\\n' "$@" > "${dir}/argv"\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

describe('capture source', () => {
  it('builds the BPF filter and argv from sip.ports', () => {
    assert.equal(captureFilter([{ from: 5060, to: 5261 }, { from: 5080, to: 5080 }]), '(udp or tcp) and (portrange 5060-5261 or port 5080)');
    assert.deepEqual(tcpdumpArgs({ interface: 'eth0', ports: [{ from: 5060, to: 5060 }] }, [], 3), [
      '-i', 'any', '-y', 'LINUX_SLL2', '-U', '-n', '-s', '0', '-B', '32768', '--immediate-mode', '-w', '-', 'ifindex 3 and (udp or tcp) and (port 5060)',
    ], 'a named interface is read cooked through any, picked by its index');
    assert.equal(
      captureFilter([{ from: 5060, to: 5060 }], ['192.0.2.1', 'fe80::1%eth0', '2001:db8::1', '192.0.2.1']),
      '(udp or tcp) and (port 5060) and not ((src host 192.0.2.1 or src host fe80::1 or src host 2001:db8::1) and inbound)',
      'an incoming packet claiming one of our own addresses is forged; link-local without scope, no duplicates',
    );
    assert.equal(tcpdumpArgs({ interface: 'eth0', ports: [{ from: 5060, to: 5060 }] }, ['192.0.2.1'], 3).at(-1), 'ifindex 3 and (udp or tcp) and (port 5060) and not ((src host 192.0.2.1) and inbound)');
    assert.deepEqual(tcpdumpArgs({ interface: 'any', ports: [{ from: 5060, to: 5060 }] }, ['192.0.2.1']).slice(0, 3), ['-i', 'any', '-U'], 'any: cooked v1, which keeps VLAN tags');
    assert.equal(tcpdumpArgs({ interface: 'any', ports: [{ from: 5060, to: 5060 }] }, ['192.0.2.1']).at(-1), '(udp or tcp) and (port 5060) and not ((src host 192.0.2.1) and inbound)', 'any: every interface');
    assert.deepEqual(tcpdumpArgs({ interface: 'lo', ports: [{ from: 5060, to: 5060 }] }, ['127.0.0.1']).slice(0, 3), ['-i', 'lo', '-U'], 'lo: its own device');
    assert.equal(tcpdumpArgs({ interface: 'lo', ports: [{ from: 5060, to: 5060 }] }, ['127.0.0.1']).at(-1), '(udp or tcp) and (port 5060)', 'lo: no direction clause');
    assert.throws(() => tcpdumpArgs({ interface: 'eth0', ports: [{ from: 5060, to: 5060 }] }), /no interface index/);
    assert.throws(() => captureFilter([{ from: 5060, to: 5060 }], ['1.2.3.4 or tcp']), /not an IP address/);
    assert.ok(!tcpdumpArgs({ interface: 'any', ports: [{ from: 5060, to: 5060 }], immediate: false }).includes('--immediate-mode'));
    assert.throws(() => tcpdumpArgs({ interface: '-w/etc/passwd', ports: [{ from: 5060, to: 5060 }] }), /not an interface name/);
    assert.throws(() => tcpdumpArgs({ interface: 'eth0; rm -rf /', ports: [{ from: 5060, to: 5060 }] }), /not an interface name/);
    assert.throws(() => captureFilter([]), /sip.ports is empty/);
    assert.throws(() => captureFilter([{ from: 0, to: 70000 }]), /not 1-65535/);
  });

  it('reads the pcap tcpdump writes to stdout', async () => {
    const pcap = join(dir, 'in.pcap');
    const frame = ethernet(ipv4('203.0.113.9', '192.0.2.1', 'udp', udp(5070, 5060, sipMessage('OPTIONS', 'fake-1'))));
    writeFileSync(pcap, pcapFile([{ at: 1_795_000_000_000, data: frame }, { at: 1_795_000_000_001, data: frame }]));
    const command = fakeTcpdump(`cat "${pcap}"; exec sleep 30`);
    const src = captureSource({ interface: 'lo', ports: [{ from: 5060, to: 5261 }], command });
    const c = collect(src);
    await c.until((ev) => ev.length >= 2);
    await c.stop();
    assert.equal(c.events[0].type === 'sip' && c.events[0].src.ip, '203.0.113.9');
    assert.equal(src.id, 'capture:lo');
    assert.deepEqual(readFileSync(join(dir, 'argv'), 'utf8').trim().split('\n'), tcpdumpArgs({ interface: 'lo', ports: [{ from: 5060, to: 5261 }] }));
  });

  it('restarts tcpdump with the new filter when the host addresses or the interface index change, and reads on', async () => {
    const pcap = join(dir, 'moved.pcap');
    const frame = ethernet(ipv4('203.0.113.9', '192.0.2.1', 'udp', udp(5070, 5060, sipMessage('OPTIONS', 'moved-1'))));
    writeFileSync(pcap, pcapFile([{ at: 1_795_000_000_000, data: frame }]));
    // Each run appends its filter (the last argument) to a log, then writes one packet and waits.
    const command = fakeTcpdump(`for last; do :; done; echo "$last" >> "${dir}/filters"; cat "${pcap}"; exec sleep 30`);
    let addresses = ['192.0.2.1'];
    let index: number | null = 2;
    // Answers handed out before `index` (to make the check and the restart after it disagree).
    const pending: number[] = [];
    const interfaceIndex = async (): Promise<number | null> => (pending.length > 0 ? pending.shift()! : index);
    const infos: unknown[] = [];
    const log = { ...silentLogger, info: (o: unknown) => infos.push(o) } as unknown as typeof silentLogger;
    const src = withRestart(
      captureSource({ interface: 'eth0', ports: [{ from: 5060, to: 5060 }], command, localAddresses: () => addresses, interfaceIndex, addressCheckMs: 30, log }),
      { min: 10, max: 50 },
      silentLogger,
    );
    const c = collect(src);
    await c.until((ev) => ev.length >= 1);
    addresses = ['192.0.2.7', '192.0.2.1', '192.0.2.1']; // a new address (a repeated one counts once)
    await c.until((ev) => ev.length >= 2);
    index = 5; // the interface made anew between two checks: a new index
    await c.until((ev) => ev.length >= 3);
    // The addresses change and the interface goes in the same moment: the check still sees the
    // interface, the restart it asks for does not. That is a failure to retry, not a setup error
    // that would end the capture for good (this is still the source's first start for the wrapper).
    pending.push(5);
    index = null;
    addresses = ['192.0.2.9'];
    await c.until(() => src.stats.restarts >= 1);
    index = 6;
    await c.until((ev) => ev.length >= 4);
    const restarts = src.stats.restarts;
    index = null; // the interface is gone: tcpdump stops, and the start waits for it with backoff
    await c.until(() => src.stats.restarts > restarts);
    index = 8;
    await c.until((ev) => ev.length >= 5);
    await c.stop();
    const filters = readFileSync(join(dir, 'filters'), 'utf8').trim().split('\n');
    assert.deepEqual(filters, [
      'ifindex 2 and (udp or tcp) and (port 5060) and not ((src host 192.0.2.1) and inbound)',
      'ifindex 2 and (udp or tcp) and (port 5060) and not ((src host 192.0.2.7 or src host 192.0.2.1) and inbound)',
      'ifindex 5 and (udp or tcp) and (port 5060) and not ((src host 192.0.2.7 or src host 192.0.2.1) and inbound)',
      'ifindex 6 and (udp or tcp) and (port 5060) and not ((src host 192.0.2.9) and inbound)',
      'ifindex 8 and (udp or tcp) and (port 5060) and not ((src host 192.0.2.9) and inbound)',
    ], 'a restart for each change; none while the list and the index stay the same');
    assert.equal(infos.length, 3, 'logged: each change of filter (the interface going is a failure, logged by the restart wrapper)');
    assert.match(src.stats.lastError ?? '', /no network interface 'eth0'/);
  });

  it('tcpdump refused for lack of permission is ERR_NOT_ROOT at start', async () => {
    const command = fakeTcpdump(`echo "tcpdump: eth0: You don't have permission to perform this capture on that device" >&2; exit 1`);
    const err = await collect(withRestart(captureSource({ interface: 'eth0', ports: [{ from: 5060, to: 5060 }], command, interfaceIndex: async () => 2 }), { min: 10, max: 50 }, silentLogger)).done;
    assert.ok(err instanceof SourceSetupError);
    assert.equal(err.code, 'ERR_NOT_ROOT');
  });

  it('output that is not pcap fails the attempt (and is retried)', async () => {
    const command = fakeTcpdump(`echo 'this is not a pcap stream at all'; exec sleep 30`);
    const src = withRestart(captureSource({ interface: 'eth0', ports: [{ from: 5060, to: 5060 }], command, interfaceIndex: async () => 2 }), { min: 10, max: 50 }, silentLogger);
    const c = collect(src);
    await c.until(() => src.stats.restarts >= 1);
    await c.stop();
    assert.match(src.stats.lastError ?? '', /wrote no pcap: not a pcap stream/);
  });

  it('asks tcpdump for its counters with SIGUSR1 once it listens, and warns when the kernel drops', async () => {
    const pcap = join(dir, 'stats.pcap');
    writeFileSync(pcap, pcapFile([]));
    // Like tcpdump 4.99: "listening on" at start, one line of counters per SIGUSR1.
    const command = fakeTcpdump(
      `n=0; trap 'n=$((n+1)); echo "tcpdump: $((n*3)) packets captured, $((n*5)) packets received by filter, $((n-1)) packets dropped by kernel" >&2' USR1\n` +
        `echo "tcpdump: listening on lo, link-type EN10MB (Ethernet), snapshot length 262144 bytes" >&2; cat "${pcap}"\n` +
        `i=0; while [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done`,
    );
    const warnings: unknown[] = [];
    const log = { ...silentLogger, warn: (o: unknown) => warnings.push(o) } as unknown as typeof silentLogger;
    const src = captureSource({ interface: 'lo', ports: [{ from: 5060, to: 5060 }], command, statsIntervalMs: 100, log });
    const c = collect(src);
    const deadline = Date.now() + 5000;
    while (src.stats.tcpdump.droppedByKernel < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await c.stop(); // rethrows if the source failed: a SIGUSR1 before the trap would have killed the fake
    const t = src.stats.tcpdump;
    assert.ok(t.droppedByKernel >= 2, JSON.stringify(t));
    assert.deepEqual([t.captured, t.receivedByFilter], [(t.droppedByKernel + 1) * 3, (t.droppedByKernel + 1) * 5]);
    assert.ok(warnings.length >= 2, 'a warning for each report with new drops');
  });
});

describe('tcpdump counters', () => {
  it('parses the SIGUSR1 line and the exit lines, singular and with interface drops', () => {
    assert.deepEqual(parseTcpdumpCounters('tcpdump: 1 packet captured, 6 packets received by filter, 0 packets dropped by kernel'), {
      captured: 1, receivedByFilter: 6, droppedByKernel: 0,
    });
    assert.deepEqual(parseTcpdumpCounters('tcpdump: 9 packets captured, 12 packets received by filter, 3 packets dropped by kernel, 1 packet dropped by interface'), {
      captured: 9, receivedByFilter: 12, droppedByKernel: 3, droppedByInterface: 1,
    });
    assert.deepEqual(parseTcpdumpCounters('4 packets captured'), { captured: 4 });
    assert.deepEqual(parseTcpdumpCounters('tcpdump: listening on lo, link-type EN10MB (Ethernet), snapshot length 262144 bytes'), {});
    assert.deepEqual(parseTcpdumpCounters('x12 packets captured'), {}, 'a number glued to other text is not a count');
  });

  it('sums runs across restarts and reports new kernel drops', () => {
    const totals = zeroCounters();
    const t = new TcpdumpCounterTracker(totals);
    assert.equal(t.push(Buffer.from('tcpdump: 10 packets captured, 10 packets received by filter, 2 packets dropped by kernel\ntcpdump: 15 packets cap')), 2);
    assert.equal(t.push(Buffer.from('tured, 16 packets received by filter, 2 packets dropped by kernel\n')), 0, 'a line split across reads');
    t.restart(); // a new tcpdump counts from zero again
    assert.equal(t.push(Buffer.from('4 packets captured\n4 packets received by filter\n1 packet dropped by kernel\n')), 1);
    assert.deepEqual(totals, { captured: 19, receivedByFilter: 20, droppedByKernel: 3, droppedByInterface: 0 });
  });
});
