// The parser fuzzer, shared by the test (src/sip/fuzz.test.ts) and `node --import tsx src/sip/fuzz.ts N`.
// Seeded mutations of valid messages: bit flips, truncations, inserted CR/LF/colons/quotes/brackets,
// deleted and duplicated ranges, huge headers, header floods. Every result is taken apart through
// every accessor (the lazy parsers are where hostile input bites) and handed to every SIP signature.

import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { RawEvent } from '../core/types.ts';
import { sipSignatures } from '../detect/signatures/sip-all.ts';
import { parseSip, parserFaults } from './parse.ts';
import { gen, generateMessage, type Gen } from './testgen.ts';

const SPECIAL = [13, 10, 58, 34, 60, 62, 59, 44, 92, 64, 32, 9, 0, 0xff, 61, 37, 39, 0x01];
const SNIPPETS = ['\r\n', '\n', ':', '"', '<', '>', ';tag=', ',', '\r\n ', 'Via: ', 'v: SIP/2.0/', 'Digest ', 'sip:', '@', '\\', "'or'1'='1", '%27', '[', ']:'];

export interface FuzzResult {
  count: number;
  errors: Record<string, number>;
  parsed: number;
  offenses: number;
  maxMs: number;
  /** The slowest message re-run (min of 3), to tell slow input from a GC pause or preemption. */
  slowestRerunMs: number;
  /** Size and start of the slowest message, to reproduce it. */
  slowest: { bytes: number; head: string };
  seconds: number;
  /** Exceptions the parser caught inside itself (each one a bug). */
  faults: number;
}

export function corpus(g: Gen): string[] {
  const base = Array.from({ length: 300 }, () => generateMessage(g));
  base.push(Buffer.from('OPTIONS sip:nm SIP/2.0\r\nVia: SIP/2.0/TCP nm;branch=foo\r\nFrom: <sip:nm@nm>;tag=root\r\nTo: <sip:nm2@nm2>\r\nCall-ID: 50000\r\nCSeq: 42 OPTIONS\r\n\r\n'));
  base.push(Buffer.from('REGISTER sip:192.0.2.1 SIP/2.0\r\nv: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-1;rport\r\nt: "100" <sip:100@192.0.2.1>\r\nf: "100" <sip:100@192.0.2.1>;tag=3130303a3130300132303530333239353239\r\ni: 1952860489\r\nm: sip:123@1.1.1.1\r\nCSeq: 2 REGISTER\r\nAuthorization: Digest username="100",realm="asterisk",nonce="abc",uri="sip:192.0.2.1",algorithm=MD5,qop=auth,response="d7"\r\n\r\n'));
  base.push(Buffer.from('SIP/2.0 401 Unauthorized\r\nVia: SIP/2.0/UDP 10.0.0.7:5060;rport=40312;received=198.51.100.61;branch=z9hG4bKPj1\r\nCall-ID: a\r\nFrom: <sip:1001@pbx>;tag=p1\r\nTo: <sip:1001@pbx>;tag=z\r\nCSeq: 2 REGISTER\r\nWWW-Authenticate: Digest realm="asterisk",nonce="n",stale=true\r\n\r\n'));
  return base.map((b) => b.toString('latin1'));
}

/** Mutates on latin1 strings (cheap slices and concatenation), then makes one Buffer. */
export function mutate(g: Gen, src: string): Buffer {
  let b = src;
  for (let ops = g.int(1, 4); ops > 0; ops--) {
    const at = g.int(0, b.length);
    const i = Math.max(0, Math.min(at, b.length - 1));
    switch (g.int(0, 9)) {
      case 0:
        if (b.length > 0) b = b.slice(0, i) + String.fromCharCode(b.charCodeAt(i) ^ (1 << g.int(0, 7))) + b.slice(i + 1);
        break;
      case 1:
        b = b.slice(0, at);
        break;
      case 2:
        b = b.slice(0, at) + String.fromCharCode(g.pick(SPECIAL)) + b.slice(at);
        break;
      case 3:
        b = b.slice(0, at) + g.pick(SNIPPETS) + b.slice(at);
        break;
      case 4:
        b = b.slice(0, at) + b.slice(at + g.int(1, 40));
        break;
      case 5: {
        const end = Math.min(b.length, at + g.int(1, 80));
        b = b.slice(0, end) + b.slice(at, end) + b.slice(end);
        break;
      }
      case 6: {
        // A huge header or value: past the size cap now and then, else long.
        const size = g.chance(0.005) ? g.int(60000, 70000) : g.int(50, 1500);
        const fill = g.pick(['A', '"', '<', ';', ',', 'a=', ' ', '\\', '%']);
        b = `${b.slice(0, at)}X-Big: ${fill.repeat(Math.ceil(size / fill.length))}\r\n${b.slice(at)}`;
        break;
      }
      case 7: {
        // A flood of header lines, sometimes past MAX_HEADERS.
        const n = g.chance(0.05) ? g.int(250, 300) : g.int(1, 20);
        const line = `${g.pick(['Via: SIP/2.0/UDP h;branch=z9hG4bK1', 'Contact: <sip:a@b>', 'X: y', ' folded'])}\r\n`;
        b = b.slice(0, at) + line.repeat(n) + b.slice(at);
        break;
      }
      case 8:
        // overwrite one byte with a structural one (LF-only line ends come from the corpus itself)
        if (b.length > 0) b = b.slice(0, i) + String.fromCharCode(g.pick(SPECIAL)) + b.slice(i + 1);
        break;
      default: {
        let junk = '';
        for (let n = g.int(1, 16); n > 0; n--) junk += String.fromCharCode(g.int(0, 255));
        b = b.slice(0, at) + junk + b.slice(at);
      }
    }
  }
  return Buffer.from(b, 'latin1');
}

/** Takes a parse result apart completely; returns a number so the work cannot be optimized away. */
export function exercise(buf: Buffer): { error?: string; work: number } {
  const m = parseSip(buf);
  if ('error' in m) return { error: m.error, work: 0 };
  let w = m.headerNames.length + (m.uri?.host.length ?? 0) + (m.from?.tag?.length ?? 0) + (m.to?.user?.length ?? 0);
  w += m.contacts.length + m.vias.length + (m.callId?.length ?? 0) + (m.cseq?.seq ?? 0) + (m.userAgent?.length ?? 0);
  w += (m.authorization?.username?.length ?? 0) + (m.proxyAuthorization?.nonce?.length ?? 0) + (m.from?.params.size ?? 0) + (m.uri?.params.size ?? 0);
  w += (m.contentLength ?? 0) + m.body.length + (m.bodyTruncated ? 1 : 0) + m.headers('via').length + (m.header('x-big')?.length ?? 0);
  return { work: w };
}

export function runFuzz(count: number, seed = 1): FuzzResult {
  const g = gen(seed);
  const bases = corpus(g);
  const sigs = sipSignatures({ registerDomains: ['pbx.example.com'] });
  const errors: Record<string, number> = {};
  let parsed = 0;
  let offenses = 0;
  let maxMs = 0;
  let slowest: Buffer | null = null;
  let sink = 0;
  const faults0 = parserFaults();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    const buf = mutate(g, g.pick(bases));
    const start = performance.now();
    const r = exercise(buf);
    const ev: RawEvent = { type: 'sip', source: 'fuzz', at: i, transport: 'udp', src: { ip: '198.51.100.1', port: 5060 }, dst: { ip: '192.0.2.1', port: 5060 }, payload: buf };
    // Signatures read the same lazy fields; every 16th message keeps the million affordable.
    if ((i & 15) === 0) for (const s of sigs) if (s.match(ev)) offenses++;
    const ms = performance.now() - start;
    if (ms > maxMs) {
      maxMs = ms;
      slowest = buf;
    }
    sink += r.work;
    if (r.error) errors[r.error] = (errors[r.error] ?? 0) + 1;
    else parsed++;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  let rerun = Infinity;
  for (let k = 0; k < 3 && slowest; k++) {
    const s = performance.now();
    exercise(slowest);
    rerun = Math.min(rerun, performance.now() - s);
  }
  if (sink < 0) console.log(sink);
  const slowestInfo = { bytes: slowest?.length ?? 0, head: JSON.stringify((slowest ?? Buffer.alloc(0)).subarray(0, 160).toString('latin1')) };
  return { count, errors, parsed, offenses, maxMs, slowestRerunMs: rerun, slowest: slowestInfo, seconds, faults: parserFaults() - faults0 };
}

// As a worker thread (the test splits the million over the cores): run and post the result.
if (!isMainThread && parentPort && (workerData as { fuzz?: boolean } | null)?.fuzz) {
  const { count, seed } = workerData as { count: number; seed: number };
  parentPort.postMessage(runFuzz(count, seed));
} else if (import.meta.url === `file://${process.argv[1]}`) {
  const n = Number(process.argv[2] ?? 1_000_000);
  console.log(JSON.stringify(runFuzz(n, Number(process.argv[3] ?? 1)), null, 1));
}
