// The first packets a fresh tcpdump reads. libpcap 1.10 filters its first ring block in userland,
// where an Ethernet capture's `inbound` cannot be read and the packet is rejected: the PBX's own
// first packet (a 403 to a client whose REGISTER came just before the capture started, as at every
// daemon restart under attack) was lost. The capture reads a named interface through `any` in
// cooked form, where `inbound` reads the link header: the PBX's first packet is delivered, a forged
// "PBX" frame arriving first is still refused, and the interface index keeps other interfaces out.
// The capture source runs here in the test process; its tcpdump runs in the PBX's namespace
// through a wrapper that also copies tcpdump's "listening on" line to a file, so each test sends
// its first packet only after the filter is set.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RawEvent } from '../../src/core/types.ts';
import { captureSource } from '../../src/sources/capture/tcpdump.ts';
import { collect } from '../helpers/collect-events.ts';
import { vethOf, waitFor, type Veth } from './capture-lab.ts';
import { cleanupLeftovers, createLab, mustIn, netnsUnavailable, RCV_V4, senderV4, type Lab } from './harness.ts';

const unavailable = await netnsUnavailable();
if (unavailable) console.log(`# skipping the first-packet capture tests: ${unavailable}`);

const PORT = 5070;

// argv: source address, destination address, Call-ID. A UDP SIP 403 from PORT to PORT.
const SEND = `
import socket, sys
src, dst, call_id = sys.argv[1], sys.argv[2], sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, ${PORT}))
s.sendto(('SIP/2.0 403 Forbidden\\r\\nVia: SIP/2.0/UDP %s:${PORT};branch=z9hG4bK-1\\r\\nFrom: <sip:100@x>;tag=1\\r\\n'
          'To: <sip:100@x>;tag=2\\r\\nCall-ID: %s\\r\\nCSeq: 1 REGISTER\\r\\nContent-Length: 0\\r\\n\\r\\n' % (dst, call_id)).encode(), (dst, ${PORT}))
`;

// argv: interface, destination MAC, forged source address, destination address, Call-ID. The same
// 403 as one raw Ethernet frame, so it can claim any source address.
const FORGE = `
import socket, struct, sys
iface, dst_mac, src, dst, call_id = sys.argv[1:6]
payload = ('SIP/2.0 403 Forbidden\\r\\nVia: SIP/2.0/UDP %s:${PORT};branch=z9hG4bK-1\\r\\nFrom: <sip:100@x>;tag=1\\r\\n'
           'To: <sip:100@x>;tag=2\\r\\nCall-ID: %s\\r\\nCSeq: 1 REGISTER\\r\\nContent-Length: 0\\r\\n\\r\\n' % (dst, call_id)).encode()
def csum(b):
    if len(b) % 2: b += b'\\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
udp = struct.pack('!HHHH', ${PORT}, ${PORT}, 8 + len(payload), 0) + payload
ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 1, 0x4000, 64, 17, 0, socket.inet_aton(src), socket.inet_aton(dst))
ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
my_mac = open('/sys/class/net/%s/address' % iface).read().strip()
mac = lambda m: bytes.fromhex(m.replace(':', ''))
sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
sock.bind((iface, 0))
sock.send(mac(dst_mac) + mac(my_mac) + b'\\x08\\x00' + ip + udp)
`;

const callIds = (evs: RawEvent[]): string[] =>
  evs.flatMap((e) => (e.type === 'sip' ? (/Call-ID: (\S+)/.exec(e.payload.toString('latin1'))?.[1] ?? []) : []));

describe('the first packets a fresh capture reads', { skip: unavailable ?? false, timeout: 90_000 }, () => {
  let lab: Lab;
  let rcvVeth: Veth;
  let sndVeth: Veth;
  const dir = mkdtempSync(join(tmpdir(), 'sipwarden-first-packet-'));

  before(async () => {
    await cleanupLeftovers();
    lab = await createLab({ senders: 1 });
    rcvVeth = await vethOf(lab.rcv);
    sndVeth = await vethOf(lab.snd);
  });

  after(async () => {
    await lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The capture source on the PBX's veth, started and listening. */
  async function startCapture(name: string) {
    const listening = join(dir, `${name}.stderr`);
    const wrapper = join(dir, `${name}.tcpdump`);
    writeFileSync(wrapper, `#!/bin/bash\nexec ip netns exec ${lab.rcv} tcpdump "$@" 2> >(tee -a "${listening}" >&2)\n`);
    chmodSync(wrapper, 0o755);
    const index = Number(JSON.parse(await mustIn(lab.rcv, 'ip', ['-j', 'link', 'show', 'dev', rcvVeth.ifname]))[0].ifindex);
    const src = captureSource({
      interface: rcvVeth.ifname,
      ports: [{ from: 5060, to: 5261 }],
      command: wrapper,
      // Not 127.0.0.1: the direction clause would then also keep lo's packets out, and the test is of the index.
      localAddresses: () => [RCV_V4],
      interfaceIndex: async () => index,
    });
    const c = collect(src);
    await waitFor('tcpdump listening', async () => existsSync(listening) && readFileSync(listening, 'utf8').includes('listening on'), 10_000);
    return c;
  }

  test("the PBX's own 403, the first packet read, is delivered; the PBX's talk to itself on lo is not read", async () => {
    const c = await startCapture('own');
    try {
      await mustIn(lab.rcv, 'python3', ['-c', SEND, '127.0.0.1', '127.0.0.1', 'on-lo']);
      await mustIn(lab.rcv, 'python3', ['-c', SEND, RCV_V4, senderV4(1), 'first-from-pbx']);
      await c.until((ev) => callIds(ev).includes('first-from-pbx'), 5000);
      await new Promise((r) => setTimeout(r, 300)); // room for the lo packet, were it read
      assert.deepEqual(callIds(c.events), ['first-from-pbx'], 'the ifindex filter keeps lo out');
      const e = c.events[0];
      assert.equal(e.type === 'sip' && e.src.ip, RCV_V4, 'the PBX is the sender');
    } finally {
      await c.stop();
    }
  });

  test('a forged "PBX" frame arriving first is refused, even in the block libpcap filters in userland', async () => {
    const c = await startCapture('forged');
    try {
      await mustIn(lab.snd, 'python3', ['-c', FORGE, sndVeth.ifname, rcvVeth.address, RCV_V4, senderV4(1), 'forged-pbx']);
      await mustIn(lab.snd, 'python3', ['-c', SEND, senderV4(1), RCV_V4, 'genuine-client']);
      await c.until((ev) => callIds(ev).includes('genuine-client'), 5000);
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(callIds(c.events), ['genuine-client']);
    } finally {
      await c.stop();
    }
  });
});
