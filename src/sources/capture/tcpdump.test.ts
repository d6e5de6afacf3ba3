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
    assert.deepEqual(tcpdumpArgs({ interface: 'eth0', ports: [{ from: 5060, to: 5060 }] }), [
      '-i', 'eth0', '-U', '-n', '-s', '0', '-B', '32768', '--immediate-mode', '-w', '-', '(udp or tcp) and (port 5060)',
    ]);
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

  it('tcpdump refused for lack of permission is ERR_NOT_ROOT at start', async () => {
    const command = fakeTcpdump(`echo "tcpdump: eth0: You don't have permission to perform this capture on that device" >&2; exit 1`);
    const err = await collect(withRestart(captureSource({ interface: 'eth0', ports: [{ from: 5060, to: 5060 }], command }), { min: 10, max: 50 }, silentLogger)).done;
    assert.ok(err instanceof SourceSetupError);
    assert.equal(err.code, 'ERR_NOT_ROOT');
  });

  it('output that is not pcap fails the attempt (and is retried)', async () => {
    const command = fakeTcpdump(`echo 'this is not a pcap stream at all'; exec sleep 30`);
    const src = withRestart(captureSource({ interface: 'eth0', ports: [{ from: 5060, to: 5060 }], command }), { min: 10, max: 50 }, silentLogger);
    const c = collect(src);
    await c.until(() => src.stats.restarts >= 1);
    await c.stop();
    assert.match(src.stats.lastError ?? '', /wrote no pcap: not a pcap stream/);
  });
});
