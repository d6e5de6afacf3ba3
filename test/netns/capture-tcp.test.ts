// The daemon reads SIP over TCP from the wire whole: `sipwarden run` captures (tcpdump) in the
// receiver namespace while a client in the sender namespace writes one REGISTER in several TCP
// segments (TCP_NODELAY, pauses between writes), with the scanner User-Agent cut in two. No single
// packet holds "friendly-scanner", so only reassembly can see it: the daemon must ban the client
// by rule:scanner, count exactly one message, lose nothing, and show tcpdump's own counters in
// `sipwarden status --json`.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startCaptureLab, waitFor, type CaptureLab } from './capture-lab.ts';
import { cliUnavailable, sipwardenOk } from './cli.ts';
import { NsProcess } from './ns-process.ts';
import { netnsUnavailable, RCV_V4, senderV4 } from './harness.ts';

const unavailable = (await netnsUnavailable()) ?? cliUnavailable();
if (unavailable) console.log(`# skipping the TCP capture test: ${unavailable}`);

const PORT = 5060;
const UA = 'friendly-scanner';

// Runs inside the sender namespace: connects from argv[1] to argv[2]:argv[3], then obeys stdin
// lines: "ka" writes a CRLFCRLF keep-alive; "send <json array of strings>" writes each piece
// 60 ms apart and prints "sent".
const CLIENT = `
const net = require('node:net');
const [src, dst, port] = process.argv.slice(1);
const sock = net.connect({ host: dst, port: Number(port), localAddress: src });
sock.setNoDelay(true);
sock.on('error', (e) => { console.log('error ' + e.message); process.exit(1); });
sock.on('connect', () => console.log('connected'));
sock.resume();
require('node:readline').createInterface({ input: process.stdin }).on('line', async (line) => {
  if (line === 'ka') return void sock.write('\\r\\n\\r\\n');
  if (!line.startsWith('send ')) return;
  for (const piece of JSON.parse(line.slice(5))) {
    sock.write(piece);
    await new Promise((r) => setTimeout(r, 60));
  }
  console.log('sent');
});
process.stdin.on('end', () => { sock.destroy(); process.exit(0); });
`;

/** The client in the attacker namespace, connected to the PBX (CLIENT above). */
async function startClient(ns: string, src: string): Promise<NsProcess> {
  const c = NsProcess.start(ns, [process.execPath, '-e', CLIENT, src, RCV_V4, String(PORT)], 'stdout');
  await c.waitFor((lines) => (lines.includes('connected') ? true : undefined), 10_000, 'the client connects');
  return c;
}

describe('the daemon reassembles SIP over TCP from the capture', { skip: unavailable ?? false, timeout: 90_000 }, () => {
  let cl: CaptureLab;
  let client: NsProcess | null = null;

  before(async () => {
    cl = await startCaptureLab(2, PORT);
  });

  after(async () => {
    await client?.stop();
    await cl?.stop();
  });

  test('a scanner User-Agent split across TCP segments is read whole and banned; tcpdump counters show in status', async () => {
    const attacker = senderV4(1);
    client = await startClient(cl.lab.snd, attacker);
    // Keep-alives until tcpdump has reported seeing packets: capture is up, and its counters reach
    // status (SIGUSR1 every 10 s, status written every 5 s).
    await waitFor('tcpdump counters in status', async () => ((await cl.captureStatus())?.tcpdump?.captured ?? 0) > 0, 30_000, () => client!.write('ka'));
    const message =
      `REGISTER sip:${RCV_V4} SIP/2.0\r\nVia: SIP/2.0/TCP ${attacker}:5070;branch=z9hG4bK-split\r\n` +
      `From: <sip:100@${RCV_V4}>;tag=1\r\nTo: <sip:100@${RCV_V4}>\r\nCall-ID: split-ua-1\r\nCSeq: 1 REGISTER\r\n` +
      `User-Agent: ${UA}\r\nContent-Length: 0\r\n\r\n`;
    const ua = message.indexOf(UA);
    const cuts = [0, 10, ua + 8, message.length - 3, message.length];
    client.write(`send ${JSON.stringify(cuts.slice(1).map((end, i) => message.slice(cuts[i], end)))}`);
    await waitFor('the client sent every piece', async () => client!.lines.includes('sent'), 5000);
    const ban = await cl.daemon.banOf(attacker, 5000);
    assert.ok(ban, `no ban of ${attacker}:\n${cl.daemon.tail()}`);
    assert.equal(ban.origin, 'rule:scanner');
    assert.match(String(ban.reason), /friendly-scanner/);
    const check = JSON.parse(await sipwardenOk(cl.lab.rcv, cl.configFile, ['check', attacker, '--json'])) as { blocked: boolean };
    assert.equal(check.blocked, true);
    await waitFor('the message counted in status', async () => ((await cl.captureStatus())?.received ?? 0) >= 1, 10_000);
    const stats = (await cl.captureStatus())!;
    assert.equal(stats.received, 1, 'exactly one message: the keep-alives and the pieces are not events');
    assert.deepEqual(stats.skippedByReason, {}, 'nothing dropped');
    assert.ok(stats.tcpdump.receivedByFilter >= stats.tcpdump.captured && stats.tcpdump.droppedByKernel === 0, JSON.stringify(stats.tcpdump));
  });
});
