// A host on the PBX's own link forges a whole TCP conversation for a victim address: the client's
// SYN and data "from the victim" to the PBX, and the PBX's SYN-ACK and ACK "from the PBX" back to
// the victim, as raw Ethernet frames (AF_PACKET) from the sender namespace onto the veth the
// daemon captures on. The PBX's kernel never takes part (its real SYN-ACK waits for an ARP answer
// that never comes), but without the capture's direction filter the forged "PBX" frames prove the
// flow and ACK the message, and the victim is banned as a scanner. The filter drops incoming
// packets claiming the PBX's own address: the victim must not be banned, its message must be
// counted `tcp-unproven`, and a genuine TCP client's scanner REGISTER must still ban that client.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startCaptureLab, waitFor, vethOf, type CaptureLab } from './capture-lab.ts';
import { cliUnavailable, sipwardenOk } from './cli.ts';
import { NsProcess } from './ns-process.ts';
import { netnsUnavailable, RCV_V4, senderV4 } from './harness.ts';

const unavailable = (await netnsUnavailable()) ?? cliUnavailable();
if (unavailable) console.log(`# skipping the inbound-forgery capture test: ${unavailable}`);

const PORT = 5060;
/** In the senders' /16 but on no host: the PBX's own replies to it are never sent. */
const VICTIM = '10.201.0.200';

const CLIENT = `
const net = require('node:net');
const [src, dst, port] = process.argv.slice(1);
const sock = net.connect({ host: dst, port: Number(port), localAddress: src });
sock.on('error', (e) => { console.log('error ' + e.message); process.exit(1); });
sock.on('connect', () => console.log('connected'));
sock.resume();
require('node:readline').createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'ka') sock.write('\\r\\n\\r\\n');
  else if (line.startsWith('send ')) sock.write(JSON.parse(line.slice(5)), () => console.log('sent'));
});
process.stdin.on('end', () => { sock.destroy(); process.exit(0); });
`;

// argv: interface, PBX MAC, victim, PBX address, PBX port; the SIP message on stdin. Sends the four
// frames of a forged exchange: victim SYN (seq S), "PBX" SYN-ACK (seq Y, ack S+1), victim data
// (seq S+1, ack Y+1), "PBX" ACK of the data. All go to the PBX's MAC, so they arrive on its link.
const FORGE = `
import socket, struct, sys
iface, pbx_mac, victim, pbx, port = sys.argv[1:6]
port = int(port)
data = sys.stdin.buffer.read()
my_mac = open('/sys/class/net/%s/address' % iface).read().strip()
mac = lambda m: bytes.fromhex(m.replace(':', ''))
def csum(b):
    if len(b) % 2: b += b'\\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
def frame(src, dst, sport, dport, seq, ack, flags, payload=b''):
    s, d = socket.inet_aton(src), socket.inet_aton(dst)
    tcp = struct.pack('!HHIIBBHHH', sport, dport, seq, ack, 5 << 4, flags, 64240, 0, 0) + payload
    tcp = tcp[:16] + struct.pack('!H', csum(s + d + struct.pack('!BBH', 0, 6, len(tcp)) + tcp)) + tcp[18:]
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(tcp), 1, 0x4000, 64, 6, 0, s, d)
    ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
    return mac(pbx_mac) + mac(my_mac) + b'\\x08\\x00' + ip + tcp
SYN, ACK, PSH = 0x02, 0x10, 0x08
S, Y, vport = 0x11111111, 0x22222222, 40123
sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
sock.bind((iface, 0))
for f in [
    frame(victim, pbx, vport, port, S, 0, SYN),
    frame(pbx, victim, port, vport, Y, S + 1, SYN | ACK),
    frame(victim, pbx, vport, port, S + 1, Y + 1, PSH | ACK, data),
    frame(pbx, victim, port, vport, Y + 1, S + 1 + len(data), ACK),
]:
    sock.send(f)
print('forged')
`;

const register = (from: string, callId: string) =>
  `REGISTER sip:${RCV_V4} SIP/2.0\r\nVia: SIP/2.0/TCP ${from}:5070;branch=z9hG4bK-${callId}\r\n` +
  `From: <sip:100@${RCV_V4}>;tag=1\r\nTo: <sip:100@${RCV_V4}>\r\nCall-ID: ${callId}\r\nCSeq: 1 REGISTER\r\n` +
  // "x-" in front: the kernel's own User-Agent match (at the start of the value) lets it pass and
  // would otherwise ban the victim from the forged data packet itself; only the capture may judge.
  `User-Agent: x-friendly-scanner\r\nContent-Length: 0\r\n\r\n`;

describe('the capture ignores forged "PBX" packets arriving on its link', { skip: unavailable ?? false, timeout: 120_000 }, () => {
  let cl: CaptureLab;
  let client: NsProcess | null = null;

  before(async () => {
    cl = await startCaptureLab(1, PORT);
  });

  after(async () => {
    await client?.stop();
    await cl?.stop();
  });

  test('a victim address is never banned from forged frames; a genuine TCP client still is', async () => {
    const genuine = senderV4(1);
    client = NsProcess.start(cl.lab.snd, [process.execPath, '-e', CLIENT, genuine, RCV_V4, String(PORT)], 'stdout');
    await client.waitFor((l) => (l.includes('connected') ? true : undefined), 10_000, 'the client connects');
    // Capture is up once tcpdump has counted a packet (its counters reach status within ~15 s).
    await waitFor('tcpdump counters in status', async () => ((await cl.captureStatus())?.tcpdump?.captured ?? 0) > 0, 30_000, () => client!.write('ka'));

    const sndIf = (await vethOf(cl.lab.snd)).ifname;
    const forge = NsProcess.start(cl.lab.snd, ['python3', '-c', FORGE, sndIf, cl.rcvVeth.address, VICTIM, RCV_V4, String(PORT)], 'stdout');
    forge.proc.stdin.end(register(VICTIM, 'forged-1'));
    await forge.waitFor((l) => (l.includes('forged') ? true : undefined), 10_000, 'the forged frames are sent');

    // After the forgery in the same capture stream: the genuine client's message.
    client.write(`send ${JSON.stringify(register(genuine, 'genuine-1'))}`);
    const ban = await cl.daemon.banOf(genuine, 10_000);
    assert.ok(ban, `no ban of the genuine client ${genuine}:\n${cl.daemon.tail()}`);
    assert.equal(ban.origin, 'rule:scanner');

    // The forged message is read, waits for a proof that never comes, and after unackedMs (5 s of
    // capture time, moved on by keep-alives) is dropped as tcp-unproven. A victim ban ends the wait too.
    const victimBanned = () => cl.daemon.records().some((r) => r.msg === 'banned' && r.target === VICTIM);
    await waitFor('the forged message dropped as tcp-unproven', async () => victimBanned() || ((await cl.captureStatus())?.skippedByReason?.['tcp-unproven'] ?? 0) >= 1, 40_000, () => client!.write('ka'));
    assert.equal(victimBanned(), false, `the victim ${VICTIM} was banned from forged frames:\n${cl.daemon.tail()}`);
    const check = JSON.parse(await sipwardenOk(cl.lab.rcv, cl.configFile, ['check', VICTIM, '--json'])) as { blocked: boolean };
    assert.equal(check.blocked, false, JSON.stringify(check));
  });
});
