// The first packet a fresh tcpdump reads is one the PBX sent (a 403 to a client whose REGISTER came
// just before the capture started, as at every daemon restart under attack). libpcap 1.10 filters
// its first ring block in userland, where an Ethernet capture's `inbound` cannot be read and the
// packet is rejected: the capture reads the interface through `any` in cooked form, where it can.
// The capture source runs here in the test process; its tcpdump runs in the PBX's namespace
// through a wrapper that also copies tcpdump's "listening on" line to a file, so the PBX's
// packet is sent only after the filter is set.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { captureSource } from '../../src/sources/capture/tcpdump.ts';
import { collect } from '../helpers/collect-events.ts';
import { vethOf, waitFor } from './capture-lab.ts';
import { cleanupLeftovers, createLab, mustIn, netnsUnavailable, RCV_V4, senderV4, type Lab } from './harness.ts';

const unavailable = await netnsUnavailable();
if (unavailable) console.log(`# skipping the first-packet capture test: ${unavailable}`);

const PORT = 5070;

const SEND_403 = `
import socket, sys
src, dst, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, port))
s.sendto(b'SIP/2.0 403 Forbidden\\r\\nVia: SIP/2.0/UDP ' + dst.encode() + b':5070;branch=z9hG4bK-first\\r\\n'
         b'From: <sip:100@x>;tag=1\\r\\nTo: <sip:100@x>;tag=2\\r\\nCall-ID: first-packet\\r\\nCSeq: 1 REGISTER\\r\\n'
         b'Content-Length: 0\\r\\n\\r\\n', (dst, port))
print('sent')
`;

describe('the capture reads the PBX\'s own first packet', { skip: unavailable ?? false, timeout: 60_000 }, () => {
  let lab: Lab;
  const dir = mkdtempSync(join(tmpdir(), 'sipwarden-first-packet-'));

  before(async () => {
    await cleanupLeftovers();
    lab = await createLab({ senders: 1 });
  });

  after(async () => {
    await lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a 403 the PBX sends as the first packet after tcpdump starts is delivered', async () => {
    const veth = await vethOf(lab.rcv);
    const listening = join(dir, 'stderr');
    const wrapper = join(dir, 'tcpdump');
    writeFileSync(wrapper, `#!/bin/bash\nexec ip netns exec ${lab.rcv} tcpdump "$@" 2> >(tee -a "${listening}" >&2)\n`);
    chmodSync(wrapper, 0o755);
    const index = Number((await mustIn(lab.rcv, 'cat', [`/sys/class/net/${veth.ifname}/ifindex`])).trim());
    const src = captureSource({
      interface: veth.ifname,
      ports: [{ from: 5060, to: 5261 }],
      command: wrapper,
      localAddresses: () => [RCV_V4],
      interfaceIndex: async () => index,
    });
    const c = collect(src);
    try {
      await waitFor('tcpdump listening', async () => existsSync(listening) && readFileSync(listening, 'utf8').includes('listening on'), 10_000);
      await mustIn(lab.rcv, 'python3', ['-c', SEND_403, RCV_V4, senderV4(1), String(PORT)]);
      await c.until((ev) => ev.some((e) => e.type === 'sip' && e.payload.includes('first-packet')), 5000);
      const e = c.events.find((ev) => ev.type === 'sip')!;
      assert.equal(e.type === 'sip' && e.src.ip, RCV_V4, 'the PBX is the sender');
    } finally {
      await c.stop();
    }
  });
});
