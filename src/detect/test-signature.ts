// The pure half of `sipwarden test-signature FILE` (our fail2ban-regex): run signatures over the text
// of a log file (or an AMI event dump) and report, per line, what matched; with `# expect: JSON`
// annotations (design.md convention 5) each sample is also checked. The CLI reads the file and prints.
import type { Offense, RawEvent } from '../core/types.ts';
import type { Signature } from './signature.ts';

export interface SampleResult {
  /** 1-based line number of the sample's first line. */
  lineNo: number;
  /** The log line, or the AMI event as `Key: value` lines joined by '\n'. */
  text: string;
  offenses: Offense[];
  /** The `# expect:` annotation above the sample, when there is one: null = no offense. */
  expect?: Record<string, unknown> | null;
  /** Whether the expectation held (absent when there was none). */
  ok?: boolean;
  /** Why it did not. */
  problem?: string;
}

export interface TestSignatureReport {
  results: SampleResult[];
  summary: {
    lines: number; // samples run
    ignored: number; // comments and blank lines
    matched: number; // samples with at least one offense
    missed: number;
    perSignature: Record<string, number>;
    expectations: number;
    failed: number; // expectations that did not hold
  };
}

export interface TestSignatureOptions {
  /** 'log': one sample per line; 'ami': `Key: value` blocks separated by blank lines. Default 'log'. */
  format?: 'log' | 'ami';
  /** Event time for lines without a timestamp (detect never reads the clock). Default 0. */
  at?: number;
  source?: string;
}

interface Sample {
  lineNo: number;
  text: string;
  event: RawEvent;
  expect?: Record<string, unknown> | null;
  badExpect?: string;
}

export function testSignatureText(text: string, signatures: Signature[], opts: TestSignatureOptions = {}): TestSignatureReport {
  const { samples, ignored } = opts.format === 'ami' ? amiSamples(text, opts) : logSamples(text, opts);
  const perSignature: Record<string, number> = Object.fromEntries(signatures.map((s) => [s.id, 0]));
  const results = samples.map((s) => runSample(s, signatures, perSignature));
  return summarize(results, perSignature, ignored);
}

/** The fail2ban-regex style summary of per-sample results (shared by the log, AMI and SIP readers). */
export function summarize(results: SampleResult[], perSignature: Record<string, number>, ignored: number): TestSignatureReport {
  const withExpect = results.filter((r) => r.ok !== undefined);
  const matched = results.filter((r) => r.offenses.length > 0).length;
  return {
    results,
    summary: {
      lines: results.length,
      ignored,
      matched,
      missed: results.length - matched,
      perSignature,
      expectations: withExpect.length,
      failed: withExpect.filter((r) => !r.ok).length,
    },
  };
}

function runSample(s: Sample, signatures: Signature[], perSignature: Record<string, number>): SampleResult {
  const offenses: Offense[] = [];
  for (const sig of signatures) {
    const o = sig.match(s.event);
    if (o) {
      offenses.push(o);
      perSignature[sig.id]++;
    }
  }
  const r: SampleResult = { lineNo: s.lineNo, text: s.text, offenses };
  if (s.badExpect !== undefined) return { ...r, ok: false, problem: s.badExpect };
  if (s.expect === undefined) return r;
  r.expect = s.expect;
  r.problem = checkExpect(s.expect, offenses);
  r.ok = r.problem === undefined;
  if (r.ok) delete r.problem;
  return r;
}

/** null: no offense; an object: exactly one offense whose keys include all of it with equal values. */
function checkExpect(expect: Record<string, unknown> | null, offenses: Offense[]): string | undefined {
  if (expect === null) return offenses.length === 0 ? undefined : `expected no offense, got ${offenses.length}`;
  if (offenses.length !== 1) return `expected one offense, got ${offenses.length}`;
  const o = offenses[0] as unknown as Record<string, unknown>;
  const wrong = Object.keys(expect).filter((k) => o[k] !== expect[k]);
  return wrong.length === 0 ? undefined : wrong.map((k) => `${k}: expected ${JSON.stringify(expect[k])}, got ${JSON.stringify(o[k])}`).join('; ');
}

const EXPECT = /^#\s*expect:\s*(.*)$/;

function readExpect(line: string): { expect?: Record<string, unknown> | null; bad?: string } | null {
  const m = EXPECT.exec(line);
  if (!m) return null;
  try {
    const v = JSON.parse(m[1]);
    if (v === null || (typeof v === 'object' && !Array.isArray(v))) return { expect: v };
  } catch {
    /* reported below */
  }
  return { bad: `unreadable expectation: ${m[1]}` };
}

function logSamples(text: string, opts: TestSignatureOptions): { samples: Sample[]; ignored: number } {
  const samples: Sample[] = [];
  let ignored = 0;
  let pending: ReturnType<typeof readExpect> = null;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].endsWith('\r') ? lines[i].slice(0, -1) : lines[i];
    if (line.startsWith('#') || line.trim() === '') {
      pending = readExpect(line) ?? pending;
      ignored++;
      continue;
    }
    const event: RawEvent = { type: 'log-line', source: opts.source ?? 'test-signature', at: opts.at ?? 0, line };
    samples.push({ lineNo: i + 1, text: line, event, expect: pending?.expect, badExpect: pending?.bad });
    pending = null;
  }
  return { samples, ignored };
}

function amiSamples(text: string, opts: TestSignatureOptions): { samples: Sample[]; ignored: number } {
  const samples: Sample[] = [];
  let ignored = 0;
  let pending: ReturnType<typeof readExpect> = null;
  let block: { lineNo: number; lines: string[] } | null = null;
  const flush = () => {
    if (!block) return;
    const fields: Record<string, string> = {};
    for (const l of block.lines) {
      const c = l.indexOf(':');
      if (c > 0) fields[l.slice(0, c).trim()] = l.slice(c + 1).trim();
    }
    const event: RawEvent = { type: 'ami', source: opts.source ?? 'test-signature', at: opts.at ?? 0, fields };
    samples.push({ lineNo: block.lineNo, text: block.lines.join('\n'), event, expect: pending?.expect, badExpect: pending?.bad });
    pending = null;
    block = null;
  };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].endsWith('\r') ? lines[i].slice(0, -1) : lines[i];
    if (line.trim() === '' || line.startsWith('#')) {
      flush();
      pending = readExpect(line) ?? pending;
      ignored++;
      continue;
    }
    block ??= { lineNo: i + 1, lines: [] };
    block.lines.push(line);
  }
  flush();
  return { samples, ignored };
}

