// Offline replay: a pcap/pcapng capture or an Asterisk log file (plain or gzip) as events, for
// `sipwarden replay` and signature tests. Classic pcap (micro- or nanosecond) is read directly;
// pcapng goes through `tcpdump -r - -w -`, which turns it into classic pcap (all interfaces must
// share one link type, as tcpdump requires). Log lines get `at` from their own timestamp.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { AppError, errorMessage } from '../../core/errors.ts';
import type { Endpoint, RawEvent } from '../../core/types.ts';
import { SipEventDecoder } from '../capture/events.ts';
import { detectPcap, PcapFormatError, PcapReader } from '../capture/pcap.ts';
import type { PortRange } from '../capture/tcpdump.ts';
import { LineSplitter } from '../lines.ts';
import { countSkip, createStats, SourceSetupError, type SourceStats } from '../source.ts';
import { runProcess } from '../subprocess.ts';
import { parseLogTimestamp } from './timestamp.ts';

export interface ReplayProgress {
  /** Bytes of the file read so far (compressed bytes for .gz). */
  bytesRead: number;
  totalBytes: number;
}

export interface ReplayOptions {
  /** Called after each chunk read (about every MiB). */
  onProgress?: (p: ReplayProgress) => void;
  /** Keep only SIP packets to or from these ports (pcap only). */
  ports?: readonly PortRange[];
  /** Filled with received/skipped counts as the replay goes. */
  stats?: SourceStats;
  /** A year-less log timestamp is placed at most a day after this (default: the file's mtime). */
  reference?: number;
  /** The tcpdump program for pcapng (default "tcpdump"). */
  tcpdump?: string;
  signal?: AbortSignal;
}

const CHUNK = 1024 * 1024;

export async function* replayFile(path: string, opts: ReplayOptions = {}): AsyncGenerator<RawEvent> {
  const stats = opts.stats ?? createStats();
  const signal = opts.signal ?? new AbortController().signal;
  const source = `replay:${path}`;
  const info = await stat(path).catch((e: unknown) => {
    throw new AppError('ERR_NOT_FOUND', `cannot read ${path}: ${errorMessage(e)}`, { cause: e });
  });
  let input = await peek(readCounted(path, info.size, opts.onProgress));
  if (input.head[0] === 0x1f && input.head[1] === 0x8b) {
    const gunzip = createGunzip();
    pipeline(Readable.from(input.rest), gunzip, () => {}); // a read error reaches us through gunzip
    input = await peek(gunzip);
  }
  const kind = detectPcap(input.head);
  if (kind === 'pcap') yield* pcapEvents(input.rest, source, stats, opts.ports);
  else if (kind === 'pcapng') yield* pcapngEvents(input.rest, source, stats, opts, signal);
  else if (input.head.includes(0)) throw new AppError('ERR_USAGE', `${path} is neither a pcap/pcapng capture nor a text log`);
  else yield* logEvents(input.rest, source, stats, opts.reference ?? info.mtimeMs);
}

async function* readCounted(path: string, total: number, onProgress?: (p: ReplayProgress) => void): AsyncGenerator<Buffer> {
  let bytesRead = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: CHUNK })) {
    bytesRead += (chunk as Buffer).length;
    onProgress?.({ bytesRead, totalBytes: total });
    yield chunk as Buffer;
  }
}

/** Reads the first bytes to tell the format, and gives back a stream that still starts with them. */
async function peek(stream: AsyncIterable<Buffer>): Promise<{ head: Buffer; rest: AsyncIterable<Buffer> }> {
  const it = stream[Symbol.asyncIterator]();
  const seen: Buffer[] = [];
  let size = 0;
  while (size < 4096) {
    const next = await it.next();
    if (next.done) break;
    seen.push(next.value);
    size += next.value.length;
  }
  async function* rest(): AsyncGenerator<Buffer> {
    yield* seen;
    for (let next = await it.next(); !next.done; next = await it.next()) yield next.value;
  }
  return { head: Buffer.concat(seen).subarray(0, 4096), rest: rest() };
}

async function* pcapEvents(chunks: AsyncIterable<Buffer>, source: string, stats: SourceStats, ports?: readonly PortRange[]): AsyncGenerator<RawEvent> {
  const reader = new PcapReader((reason) => countSkip(stats, reason));
  const onPort = (port: number): boolean => ports!.some((r) => port >= r.from && port <= r.to);
  const keep = ports ? (src: Endpoint, dst: Endpoint) => onPort(src.port) || onPort(dst.port) : undefined;
  // A file may hold one direction only (captured with a filter on the destination port): then a
  // flow's messages can never be ACKed, and are taken on trust (counted as tcp-one-way).
  const decoder = new SipEventDecoder(source, stats, { keep, tcp: { oneWayFallback: true } });
  try {
    for await (const chunk of chunks) {
      for (const rec of reader.push(chunk)) yield* decoder.record(rec);
    }
  } catch (e) {
    if (e instanceof PcapFormatError) throw new AppError('ERR_USAGE', `${source.slice(7)}: ${e.message}`);
    throw e;
  }
  reader.end();
  yield* decoder.end();
}

async function* pcapngEvents(chunks: AsyncIterable<Buffer>, source: string, stats: SourceStats, opts: ReplayOptions, signal: AbortSignal): AsyncGenerator<RawEvent> {
  const pcap = runProcess(opts.tcpdump ?? 'tcpdump', ['-r', '-', '-w', '-'], signal, { stdin: Readable.from(chunks) });
  try {
    yield* pcapEvents(pcap, source, stats, opts.ports);
  } catch (e) {
    // A capture cut short makes tcpdump exit 1 ("truncated dump file") after what it could read.
    if (e instanceof SourceSetupError || !(e instanceof AppError) || e.code !== 'ERR_SOURCE') throw e;
    countSkip(stats, 'truncated-file');
    stats.lastError = e.message;
  }
}

async function* logEvents(chunks: AsyncIterable<Buffer>, source: string, stats: SourceStats, reference: number): AsyncGenerator<RawEvent> {
  const splitter = new LineSplitter(() => countSkip(stats, 'overlong-line'));
  let lastAt = reference; // a line without a timestamp keeps the previous line's: file order
  const toEvents = function* (lines: string[]): Generator<RawEvent> {
    for (const line of lines) {
      if (line.trim() === '') continue;
      lastAt = parseLogTimestamp(line, reference) ?? lastAt;
      stats.received++;
      yield { type: 'log-line', source, at: lastAt, line };
    }
  };
  for await (const chunk of chunks) yield* toEvents(splitter.push(chunk));
  const last = splitter.flush();
  if (last !== null) yield* toEvents([last]);
}
