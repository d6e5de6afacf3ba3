// tcpdump's own counters: what the kernel dropped before we could see it. On SIGUSR1 tcpdump
// (4.99 on Linux, checked here) writes one line to stderr:
//   tcpdump: 3 packets captured, 6 packets received by filter, 0 packets dropped by kernel
// and at exit the same counters one per line, without the prefix. "N packets dropped by
// interface" follows only when it is not zero, and a count of one says "packet".
import { LineSplitter } from '../lines.ts';

export interface TcpdumpCounters {
  /** Packets tcpdump wrote to us. */
  captured: number;
  /** Packets that passed the BPF filter in the kernel (on lo each one counts twice). */
  receivedByFilter: number;
  /** Packets lost because the capture buffer was full: attackers we never saw. */
  droppedByKernel: number;
  droppedByInterface: number;
}

const NAMES: Record<string, keyof TcpdumpCounters> = {
  captured: 'captured',
  'received by filter': 'receivedByFilter',
  'dropped by kernel': 'droppedByKernel',
  'dropped by interface': 'droppedByInterface',
};
const COUNTER = /(?:^|[\s,:])(\d{1,15}) packets? (captured|received by filter|dropped by kernel|dropped by interface)\b/g;

export const zeroCounters = (): TcpdumpCounters => ({ captured: 0, receivedByFilter: 0, droppedByKernel: 0, droppedByInterface: 0 });

/** The counters a stderr line reports (none for any other line). */
export function parseTcpdumpCounters(line: string): Partial<TcpdumpCounters> {
  const out: Partial<TcpdumpCounters> = {};
  for (const m of line.matchAll(COUNTER)) out[NAMES[m[2]]] = Number(m[1]);
  return out;
}

/**
 * Adds up one tcpdump process after another into `totals`, so a restarted tcpdump (whose counters
 * start again at zero) neither hides nor double-counts what the previous one reported.
 */
export class TcpdumpCounterTracker {
  private last = zeroCounters();
  private readonly lines = new LineSplitter(() => {});

  constructor(readonly totals: TcpdumpCounters) {}

  /** A new tcpdump process starts. */
  restart(): void {
    this.last = zeroCounters();
    this.lines.reset();
  }

  /** Stderr bytes in; how many more packets the kernel dropped since the last report. */
  push(chunk: Buffer): number {
    let newDrops = 0;
    for (const line of this.lines.push(chunk)) {
      for (const [key, value] of Object.entries(parseTcpdumpCounters(line)) as [keyof TcpdumpCounters, number][]) {
        const delta = value >= this.last[key] ? value - this.last[key] : value; // a wrapped 32-bit counter
        this.last[key] = value;
        this.totals[key] += delta;
        if (key === 'droppedByKernel') newDrops += delta;
      }
    }
    return newDrops;
  }
}
