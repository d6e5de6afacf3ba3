// The `.txt` annotated-sample format for SIP-on-the-wire signatures (format documented in
// signature.ts): blocks separated by `---`, each with `# src: ... dst: ...`, optional
// `# transport:` / `# eol: lf`, `# expect: JSON`, then the SIP message. Pure: text in, report out,
// in the same report shape as test-signature.ts so `sipwarden test-signature` can print both.

import type { Endpoint, Offense, RawEvent } from '../core/types.ts';
import type { Signature } from './signature.ts';
import { summarize, type SampleResult, type TestSignatureReport } from './test-signature.ts';

type Transport = Extract<RawEvent, { type: 'sip' }>['transport'];
const TRANSPORTS: readonly Transport[] = ['udp', 'tcp', 'tls', 'ws', 'wss'];

export interface SipSample {
  /** 1-based line number of the block's first line. */
  lineNo: number;
  event: RawEvent | null;
  /** Undefined: no annotation; null: must not match. */
  expect?: Record<string, unknown> | null;
  /** Why the block could not be read (bad src, bad JSON...). */
  problem?: string;
  text: string;
}

/** `\r \n \t \\ \xNN` stand for bytes; any other backslash (e.g. SIP's `\"`) is kept as written. */
export function unescapeSampleLine(line: string): string {
  return line.replace(/\\(r|n|t|\\|x[0-9a-fA-F]{2})/g, (_, e: string) => {
    if (e === 'r') return '\r';
    if (e === 'n') return '\n';
    if (e === 't') return '\t';
    if (e === '\\') return '\\';
    return String.fromCharCode(parseInt(e.slice(1), 16));
  });
}

function parseEndpoint(text: string): Endpoint | null {
  const m = /^\[([0-9A-Fa-f:.]+)\]:(\d{1,5})$/.exec(text) ?? /^([0-9.]+):(\d{1,5})$/.exec(text);
  return m ? { ip: m[1], port: Number(m[2]) } : null;
}

function readBlock(lines: string[], lineNo: number, at: number): SipSample {
  let i = 0;
  let src: Endpoint | null = null;
  let dst: Endpoint | null = null;
  let transport: Transport = 'udp';
  let eol = '\r\n';
  const sample: SipSample = { lineNo, event: null, text: '' };
  for (; i < lines.length && (lines[i].startsWith('#') || lines[i].trim() === ''); i++) {
    const d = /^#\s*(src|transport|eol|expect):\s*(.*?)\s*$/.exec(lines[i]);
    if (!d) continue;
    const [, key, value] = d;
    if (key === 'src') {
      const m = /^(\S+)\s+dst:\s*(\S+)$/.exec(value);
      src = m ? parseEndpoint(m[1]) : null;
      dst = m ? parseEndpoint(m[2]) : null;
    } else if (key === 'transport') transport = TRANSPORTS.includes(value as Transport) ? (value as Transport) : transport;
    else if (key === 'eol') eol = value === 'lf' ? '\n' : '\r\n';
    else {
      try {
        const v: unknown = JSON.parse(value);
        if (v === null || (typeof v === 'object' && !Array.isArray(v))) sample.expect = v as Record<string, unknown> | null;
        else sample.problem = `unreadable expectation: ${value}`;
      } catch {
        sample.problem = `unreadable expectation: ${value}`;
      }
    }
  }
  const message = lines.slice(i);
  while (message.length > 0 && message[message.length - 1].trim() === '') message.pop();
  sample.text = message.join('\n');
  if (!src || !dst) return { ...sample, problem: sample.problem ?? 'missing or unreadable "# src: IP:port dst: IP:port"' };
  if (message.length === 0) return { ...sample, problem: sample.problem ?? 'no SIP message' };
  let wire = message.map((l) => unescapeSampleLine(l) + eol).join('');
  if (!message.some((l) => l === '')) wire += eol;
  sample.event = { type: 'sip', source: 'sample', at, transport, src, dst, payload: Buffer.from(wire, 'latin1') };
  return sample;
}

/** Splits a `.txt` sample file into samples (events with their expectations). */
export function readSipSamples(text: string, at = 0): SipSample[] {
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  const samples: SipSample[] = [];
  let start = 0;
  for (let i = 0; i <= lines.length; i++) {
    if (i < lines.length && lines[i] !== '---') continue;
    const block = lines.slice(start, i);
    // A block of comments only (a file header) is not a sample.
    const isSample = block.some((l) => (l.trim() !== '' && !l.startsWith('#')) || /^#\s*(src|expect):/.test(l));
    if (isSample) samples.push(readBlock(block, start + 1, at));
    start = i + 1;
  }
  return samples;
}

/** null: no offense; an object: exactly one offense whose keys include all of it with equal values. */
function checkExpect(expect: Record<string, unknown> | null, offenses: Offense[]): string | undefined {
  if (expect === null) return offenses.length === 0 ? undefined : `expected no offense, got ${offenses.map((o) => o.signature).join(', ')}`;
  if (offenses.length !== 1) return `expected one offense, got ${offenses.length}`;
  const o = offenses[0] as unknown as Record<string, unknown>;
  const wrong = Object.keys(expect).filter((k) => o[k] !== expect[k]);
  return wrong.length === 0 ? undefined : wrong.map((k) => `${k}: expected ${JSON.stringify(expect[k])}, got ${JSON.stringify(o[k])}`).join('; ');
}

/** Runs signatures over every sample of a `.txt` file and checks the expectations. */
export function testSipSampleText(text: string, signatures: Signature[], at = 0): TestSignatureReport {
  const perSignature: Record<string, number> = Object.fromEntries(signatures.map((s) => [s.id, 0]));
  const results: SampleResult[] = readSipSamples(text, at).map((s) => {
    const offenses: Offense[] = [];
    for (const sig of signatures) {
      const o = s.event ? sig.match(s.event) : null;
      if (o) {
        offenses.push(o);
        perSignature[sig.id]++;
      }
    }
    const r: SampleResult = { lineNo: s.lineNo, text: s.text, offenses };
    if (s.problem) return { ...r, ok: false, problem: s.problem };
    if (s.expect === undefined) return r;
    const problem = checkExpect(s.expect, offenses);
    return problem ? { ...r, expect: s.expect, ok: false, problem } : { ...r, expect: s.expect, ok: true };
  });
  return summarize(results, perSignature, 0);
}
