// Messages per second on one core for the SIP parser: the header-level parse alone, and the parse
// plus the fields a typical signature pass reads (User-Agent, From tag, Call-ID, CSeq, Via branch).
//   node --import tsx bench/sip-parser.ts [--seconds 1]

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseSip, type SipMessage } from '../src/sip/index.ts';
import { writePcap } from '../src/sip/testgen.ts';

const crlf = (lines: string[]): Buffer => Buffer.from(lines.join('\r\n'), 'latin1');

const REGISTER = crlf([
  'REGISTER sip:pbx.example.com SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK1998342657;rport',
  'From: "Alice" <sip:1001@pbx.example.com>;tag=1846253394',
  'To: "Alice" <sip:1001@pbx.example.com>',
  'Call-ID: 1254861305-5060-3@BA.AAA.CAC.BBA',
  'CSeq: 2 REGISTER',
  'Contact: <sip:1001@192.0.2.10:5060>',
  'Authorization: Digest username="1001", realm="asterisk", nonce="1732683101/6c2e8a0b5f1e3d4c", uri="sip:pbx.example.com", response="2a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d", algorithm=MD5, cnonce="0a4f113b", qop=auth, nc=00000001',
  'Max-Forwards: 70',
  'User-Agent: Yealink SIP-T46S 66.86.0.15',
  'Expires: 3600',
  'Allow: INVITE, ACK, OPTIONS, CANCEL, BYE, SUBSCRIBE, NOTIFY, INFO, REFER, UPDATE, MESSAGE',
  'Content-Length: 0',
  '',
  '',
]);

const SDP = [
  'v=0',
  'o=- 20518 0 IN IP4 192.0.2.10',
  's=SDP data',
  'c=IN IP4 192.0.2.10',
  't=0 0',
  'm=audio 11796 RTP/AVP 0 8 18 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:18 G729/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-15',
  'a=ptime:20',
  'a=sendrecv',
  '',
].join('\r\n');

const INVITE = crlf([
  'INVITE sip:2002@pbx.example.com SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK31652848;rport',
  'From: "Alice" <sip:1001@pbx.example.com>;tag=1375429318',
  'To: <sip:2002@pbx.example.com>',
  'Call-ID: 2039436851-5060-7@BA.AAA.CAC.BBA',
  'CSeq: 2 INVITE',
  'Contact: <sip:1001@192.0.2.10:5060>',
  'Content-Type: application/sdp',
  'Allow: INVITE, ACK, OPTIONS, CANCEL, BYE, SUBSCRIBE, NOTIFY, INFO, REFER, UPDATE, MESSAGE',
  'Max-Forwards: 70',
  'User-Agent: Yealink SIP-T46S 66.86.0.15',
  'Supported: replaces',
  'Allow-Events: talk,hold,conference,refer,check-sync',
  `Content-Length: ${SDP.length}`,
  '',
  SDP,
]);

const OPTIONS = crlf([
  'OPTIONS sip:100@203.0.113.5 SIP/2.0',
  'Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK-2719535620;rport',
  'Max-Forwards: 70',
  'To: "sipvicious"<sip:100@1.1.1.1>',
  'From: "sipvicious"<sip:100@1.1.1.1>;tag=6362303130303735303331333563653031003239303837333738',
  'User-Agent: friendly-scanner',
  'Call-ID: 871529316524883472119826',
  'Contact: sip:100@198.51.100.7:5060',
  'CSeq: 1 OPTIONS',
  'Accept: application/sdp',
  'Content-Length: 0',
  '',
  '',
]);

function parseOnly(buf: Buffer): number {
  const m = parseSip(buf);
  return 'error' in m ? 0 : 1;
}

function parseAndRead(buf: Buffer): number {
  const m = parseSip(buf) as SipMessage;
  let x = (m.userAgent?.length ?? 0) + (m.callId?.length ?? 0) + (m.cseq?.seq ?? 0);
  x += m.from?.tag?.length ?? 0;
  x += m.vias[0]?.branch?.length ?? 0;
  return x;
}

/**
 * Messages per CPU-second of this thread (user + system time), best of `rounds`: on a shared machine
 * wall time counts other processes' slices; CPU time counts only ours (cache contention remains).
 */
function rate(fn: (b: Buffer) => number, buf: Buffer, seconds: number, rounds = 5): number {
  for (let i = 0; i < 50000; i++) fn(buf); // warm up the JIT
  let best = 0;
  let sink = 0;
  for (let r = 0; r < rounds; r++) {
    let count = 0;
    const c0 = process.cpuUsage();
    let cpu = 0;
    while (cpu < (seconds * 1e6) / rounds) {
      for (let i = 0; i < 5000; i++) sink += fn(buf);
      count += 5000;
      const c = process.cpuUsage(c0);
      cpu = c.user + c.system;
    }
    best = Math.max(best, count / (cpu / 1e6));
  }
  if (sink < 0) console.log(sink);
  return best;
}

/** CPU ns per step of a trivial loop, best of 7: how fast this machine runs JS right now. */
function calibrate(): number {
  let best = Infinity;
  for (let round = 0; round < 7; round++) best = Math.min(best, loopCost(10_000_000));
  return best;
}

function loopCost(n: number): number {
  let x = 0;
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) x = (x + i * 7) | 0;
  const c = process.cpuUsage(c0);
  if (x === 42) console.log(x);
  return ((c.user + c.system) * 1000) / n;
}

const secondsArg = process.argv.indexOf('--seconds');
const seconds = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : 1;
const cases: [string, Buffer][] = [
  ['REGISTER + Digest', REGISTER],
  ['INVITE + SDP', INVITE],
  ['OPTIONS (svmap)', OPTIONS],
];
const fmt = (x: number): string => Math.round(x).toLocaleString('en-US').padStart(12);
console.log(`sip-parser: messages per CPU-second, one thread, best of 5 (node ${process.version}, ${seconds}s CPU per cell; goal >= 1,000,000 header-level)`);
console.log(`load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} on ${os.availableParallelism()} cores`);
console.log(`${'message'.padEnd(20)} ${'bytes'.padStart(6)} ${'parse'.padStart(12)} ${'parse+fields'.padStart(12)}`);
for (const [name, buf] of cases) {
  console.log(`${name.padEnd(20)} ${String(buf.length).padStart(6)} ${fmt(rate(parseOnly, buf, seconds))} ${fmt(rate(parseAndRead, buf, seconds))}`);
}
/**
 * The peer: Wireshark's C dissector. tshark reads a pcap of n copies and prints the same fields;
 * the difference between two sizes cancels its start-up. Null when tshark is not installed.
 */
function tsharkRate(buf: Buffer): number | null {
  const dir = mkdtempSync(join(os.tmpdir(), 'sipwarden-bench-'));
  try {
    const time = (n: number): number => {
      const file = join(dir, `${n}.pcap`);
      writeFileSync(file, writePcap(Array.from({ length: n }, () => buf)));
      const args = ['-r', file, '-d', 'udp.port==5060,sip', '-T', 'fields', '-e', 'sip.Method', '-e', 'sip.Call-ID', '-e', 'sip.from.tag', '-e', 'sip.User-Agent', '-e', 'sip.CSeq.seq'];
      const t = process.hrtime.bigint();
      execFileSync('tshark', args, { stdio: ['ignore', 'ignore', 'ignore'], maxBuffer: 1 << 30 });
      return Number(process.hrtime.bigint() - t) / 1e9;
    };
    const small = 2000;
    const large = 22000;
    return (large - small) / Math.max(1e-3, time(large) - time(small));
  } catch {
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const peer = tsharkRate(REGISTER);
console.log(peer === null ? 'peer: tshark not installed' : `peer: tshark 4 dissecting the REGISTER (wall, start-up cancelled): ${fmt(peer).trim()} msg/s; parse is ${(rate(parseOnly, REGISTER, seconds) / peer).toFixed(0)}x that`);

// Last, when the loader thread is idle (process CPU time counts every thread of the process).
console.log(`calibration: ${calibrate().toFixed(2)} CPU ns per trivial JS loop step (one cycle per step at 2.5-3 GHz would be 0.3-0.4)`);
