// Live capture: tcpdump writes pcap to a pipe (`-w -`, packet-buffered with -U) and we read it with
// our own streaming reader. The BPF filter keeps only SIP ports, so the kernel drops RTP and the
// rest before anything is copied to us. The argument vector is built from validated numbers and an
// interface name; no shell is involved. Every statsIntervalMs tcpdump gets SIGUSR1 and writes its
// counters to stderr; they land in stats.tcpdump, and a kernel drop is logged as a warning.
import type { ChildProcess } from 'node:child_process';
import { isIP } from 'node:net';
import { AppError } from '../../core/errors.ts';
import { hostAddresses, interfaceIndex as kernelInterfaceIndex } from '../../core/host.ts';
import { silentLogger, type Logger } from '../../core/log.ts';
import type { RawEvent } from '../../core/types.ts';
import { countSkip, createStats, type EventSource, SourceSetupError, type SourceStats } from '../source.ts';
import { runProcess } from '../subprocess.ts';
import { SipEventDecoder } from './events.ts';
import { PcapFormatError, PcapReader } from './pcap.ts';
import type { TcpLimits } from './tcp-stream.ts';
import { type TcpdumpCounters, TcpdumpCounterTracker, zeroCounters } from './tcpdump-stats.ts';

/** sip.ports after the schema: inclusive ranges. */
export interface PortRange {
  from: number;
  to: number;
}

export interface CaptureOptions {
  /** detect.capture.interface: "eth0", "any", ... */
  interface: string;
  ports: readonly PortRange[];
  /** The tcpdump program (default "tcpdump"). */
  command?: string;
  /**
   * --immediate-mode (default true): each packet at once instead of in blocks up to ~1 s late; a ban
   * is worth most in an attack's first packets, and the port filter keeps the extra wake-ups few.
   */
  immediate?: boolean;
  env?: NodeJS.ProcessEnv;
  /** How often tcpdump is asked for its counters (SIGUSR1), ms; default 10 000. */
  statsIntervalMs?: number;
  /** TCP reassembly bounds (default DEFAULT_TCP_LIMITS). */
  tcp?: Partial<TcpLimits>;
  /** Warnings: packets dropped by the kernel. */
  log?: Logger;
  /** The host's own addresses, asked at each tcpdump start (default: every interface's, core/host.ts). */
  localAddresses?: () => readonly string[];
  /** How often those addresses are checked for a change, which restarts tcpdump (default 10 s). */
  addressCheckMs?: number;
  /** The kernel's index of the interface, or null when it has none; asked at each tcpdump start and check (default: `ip link`). */
  interfaceIndex?: (name: string) => Promise<number | null>;
}

/** The capture source's stats: the common counts, tcpdump's own counters and the TCP state. */
export interface CaptureStats extends SourceStats {
  /** Summed over every tcpdump run so far; as fresh as the last SIGUSR1 report. */
  tcpdump: TcpdumpCounters;
  /** TCP flows tracked and bytes held for reassembly right now. */
  tcp: { flows: number; bufferedBytes: number };
}

const STATS_INTERVAL_MS = 10_000;

/** How often the host's addresses are compared with those in the running tcpdump's filter. */
const ADDRESS_CHECK_MS = 10_000;

const IFACE = /^[A-Za-z0-9_.:@][A-Za-z0-9_.:@-]{0,14}$/;

/**
 * "(udp or tcp) and (portrange 5060-5261 or port 5080)": SIP over UDP and TCP/TLS on our ports, and
 * with `local` (the host's own addresses) "and not ((src host A or src host B) and inbound)".
 *
 * Why: the TCP ACK rule (tcp-acks.ts) trusts the PBX's own packets in the capture. A host on the
 * PBX's link can forge frames "from the PBX" (a SYN-ACK, ACKs) to prove a flow for a victim
 * address; those frames arrive on the interface, where the PBX's genuine packets leave it. The
 * kernel knows which (the packet type, PACKET_OUTGOING); libpcap's `inbound` reads it. Direction
 * alone would not do: a client may send from port 5060 too, and the PBX may itself connect out to
 * a peer's 5060, so "source port 5060 only when outbound" would drop genuine packets. Dropping an
 * incoming packet that claims one of our own source addresses drops nothing genuine (Linux takes
 * such an IPv4 packet for a martian), and applies to UDP alike: there it could only make a forged
 * "PBX response" to a victim.
 *
 * The filter runs on a cooked capture (tcpdumpArgs), where `inbound` reads the packet type from the
 * link header: libpcap 1.10 runs the filter in userland on its first block after it is set, and
 * there an Ethernet capture's `inbound` (a kernel-only load) rejects every packet it meets, so the
 * PBX's own first packet was lost at each start.
 */
export function captureFilter(ports: readonly PortRange[], local: readonly string[] = []): string {
  if (ports.length === 0) throw new AppError('ERR_CONFIG_INVALID', 'sip.ports is empty: capture needs at least one port');
  const terms = ports.map(({ from, to }) => {
    for (const p of [from, to]) {
      if (!Number.isInteger(p) || p < 1 || p > 65535) throw new AppError('ERR_CONFIG_INVALID', `port ${p} is not 1-65535`);
    }
    return from === to ? `port ${from}` : `portrange ${Math.min(from, to)}-${Math.max(from, to)}`;
  });
  const base = `(udp or tcp) and (${terms.join(' or ')})`;
  const hosts = [...new Set(local.map((a) => a.split('%')[0]))];
  for (const a of hosts) if (isIP(a) === 0) throw new AppError('ERR_CONFIG_INVALID', `'${a}' is not an IP address`);
  return hosts.length === 0 ? base : `${base} and not ((${hosts.map((a) => `src host ${a}`).join(' or ')}) and inbound)`;
}

/** A list of addresses as one comparable text: no duplicates, sorted. */
function addressKey(addresses: readonly string[]): string {
  return [...new Set(addresses)].sort().join(',');
}

/**
 * tcpdump's argv. A named interface other than lo is read through the `any` device in Linux cooked
 * v2 form with `ifindex N` in the filter: only a cooked capture carries the packet type in the
 * bytes the filter reads (see captureFilter), libpcap offers it on `any` alone, and only v2 carries
 * the interface index. lo keeps its own device: nothing on lo comes from a link, and libpcap
 * already drops lo's outgoing copy of each packet there (it sees each twice), so the direction
 * clause would leave nothing; lo gets none.
 */
export function tcpdumpArgs(opts: Pick<CaptureOptions, 'interface' | 'ports' | 'immediate'>, local: readonly string[] = [], ifindex?: number): string[] {
  if (!IFACE.test(opts.interface)) {
    throw new AppError('ERR_CONFIG_INVALID', `detect.capture.interface '${opts.interface}' is not an interface name (like eth0, ens3, any)`);
  }
  const onLo = opts.interface === 'lo';
  const onAny = opts.interface === 'any';
  if (!onLo && !onAny && !(Number.isInteger(ifindex) && ifindex! > 0)) {
    throw new Error(`tcpdumpArgs: no interface index for ${opts.interface}`); // a caller's bug
  }
  const ports = captureFilter(opts.ports, onLo ? [] : local);
  const filter = onLo || onAny ? ports : `ifindex ${ifindex} and ${ports}`;
  // `any` itself stays in cooked v1 (its default): libpcap puts VLAN tags back in v1 records, so
  // the parent device's copy of a VLAN's packet fails the filter and each is read once (from the
  // VLAN device); v2 records lose the tag, and both copies would be read.
  const device = onLo ? ['-i', 'lo'] : onAny ? ['-i', 'any'] : ['-i', 'any', '-y', 'LINUX_SLL2'];
  // -B 32768: a 32 MiB capture buffer. With the default 2 MiB, immediate mode lost up to half of a
  // 200-packet burst ("packets dropped by kernel"), and a dropped packet is an unseen attacker.
  return [...device, '-U', '-n', '-s', '0', '-B', '32768', ...(opts.immediate === false ? [] : ['--immediate-mode']), '-w', '-', filter];
}

export function captureSource(opts: CaptureOptions): EventSource & { stats: CaptureStats } {
  tcpdumpArgs(opts, [], 1); // a bad interface name or port fails here, before the first run
  const localAddresses = opts.localAddresses ?? hostAddresses;
  const interfaceIndex = opts.interfaceIndex ?? kernelInterfaceIndex;
  const byIndex = opts.interface !== 'lo' && opts.interface !== 'any';
  /** The interface's index, or undefined for lo and any; throws when there is no such interface. */
  const indexNow = async (): Promise<number | undefined> => {
    if (!byIndex) return undefined;
    const index = await interfaceIndex(opts.interface).catch((e: unknown) => {
      throw e instanceof AppError && e.code === 'ERR_TOOL_MISSING' ? new SourceSetupError(e.code, e.message, { cause: e, hint: e.hint }) : e;
    });
    if (index === null) {
      throw new SourceSetupError('ERR_SOURCE', `there is no network interface '${opts.interface}'`, { hint: 'check detect.capture.interface: `ip link` lists the interfaces (or use any)' });
    }
    return index;
  };
  /** What a filter is built from, as one comparable text: the host's addresses and the interface's index. */
  const keyOf = (local: readonly string[], index: number | undefined): string => `${addressKey(local)} ${index ?? ''}`;
  const filterKey = async (): Promise<string> => keyOf(localAddresses(), await indexNow());
  const command = opts.command ?? 'tcpdump';
  const id = `capture:${opts.interface}`;
  const log = opts.log ?? silentLogger;
  const stats: CaptureStats = { ...createStats(), tcpdump: zeroCounters(), tcp: { flows: 0, bufferedBytes: 0 } };
  const counters = new TcpdumpCounterTracker(stats.tcpdump);
  async function* events(signal: AbortSignal): AsyncGenerator<RawEvent> {
    // One decoder across tcpdump restarts: a TCP flow's state outlives a change of filter.
    const decoder = new SipEventDecoder(id, stats, { tcp: opts.tcp });
    for (let run = 0; !signal.aborted; run++) {
      try {
        if (!(yield* runWithFilter(signal, decoder))) return;
      } catch (e) {
        // Only the first start may fail as a setup error (the daemon then refuses to start); a
        // restart after a change of filter that fails is a failure the restart wrapper retries.
        if (run > 0 && e instanceof SourceSetupError) throw new AppError('ERR_SOURCE', e.message, { cause: e, hint: e.hint });
        throw e;
      }
      log.info({ source: id }, 'host addresses or interface index changed: tcpdump restarted with the new filter');
    }
  }

  /** One tcpdump run with the filter of the moment; true when it stopped for a new filter. */
  async function* runWithFilter(signal: AbortSignal, decoder: SipEventDecoder): AsyncGenerator<RawEvent, boolean> {
    // The host's own addresses are in the filter (captureFilter). When they change (DHCP, SLAAC,
    // an address added by hand), tcpdump restarts with the new list, so an incoming packet
    // forged "from" a new address of ours is read for at most one check period. So does the
    // interface's index: an interface made anew (a VPN's tun, a PPP link) gets a new one.
    const local = localAddresses();
    const index = await indexNow();
    const key = keyOf(local, index);
    const changed = new AbortController();
    let gone = false;
    let checking = false;
    const check = async (): Promise<void> => {
      let now: string;
      try {
        now = await filterKey();
      } catch (e) {
        // The interface is gone (a failure: restart), or the addresses or `ip` could not be
        // read this time (keep the running filter, ask again at the next check).
        gone = e instanceof SourceSetupError;
        if (gone) changed.abort();
        return;
      }
      if (now !== key) changed.abort();
    };
    const watch = opts.interface === 'lo' ? null : setInterval(() => {
      if (checking || changed.signal.aborted) return;
      checking = true;
      void check().finally(() => (checking = false));
    }, opts.addressCheckMs ?? ADDRESS_CHECK_MS);
    watch?.unref();
    try {
      yield* runTcpdump(tcpdumpArgs(opts, local, index), AbortSignal.any([signal, changed.signal]), decoder);
    } finally {
      if (watch) clearInterval(watch);
    }
    if (!changed.signal.aborted) return false; // tcpdump ended by itself, or we were stopped
    // A failure, not a setup error: the restart wrapper waits for the interface with backoff.
    if (gone) throw new AppError('ERR_SOURCE', `network interface '${opts.interface}' is gone`);
    return true;
  }

  async function* runTcpdump(args: string[], signal: AbortSignal, decoder: SipEventDecoder): AsyncGenerator<RawEvent> {
    const reader = new PcapReader((reason) => countSkip(stats, reason));
    const reports = new CounterReports(opts.statsIntervalMs ?? STATS_INTERVAL_MS);
    counters.restart();
    const onStderr = (chunk: Buffer): void => {
      if (chunk.includes('listening on')) reports.ready();
      const dropped = counters.push(chunk);
      if (dropped > 0) {
        log.warn({ source: id, dropped, droppedByKernel: stats.tcpdump.droppedByKernel }, 'tcpdump: packets dropped by kernel (capture buffer full): attackers may go unseen');
      }
    };
    try {
      for await (const chunk of runProcess(command, args, signal, { env: opts.env, onStderr, onSpawn: (c) => reports.start(c) })) {
        reports.ready();
        for (const rec of reader.push(chunk)) yield* decoder.record(rec);
        stats.tcp = { flows: decoder.tcp.flowCount, bufferedBytes: decoder.tcp.bufferedBytes };
      }
    } catch (e) {
      if (e instanceof PcapFormatError) throw new AppError('ERR_SOURCE', `${command} wrote no pcap: ${e.message}`);
      if (e instanceof SourceSetupError && /permission|not permitted/i.test(e.message)) {
        throw new SourceSetupError('ERR_NOT_ROOT', e.message, { cause: e, hint: 'live capture needs root or CAP_NET_RAW for tcpdump' });
      }
      throw e;
    } finally {
      reports.stop();
    }
  }
  return { id, stats, events };
}

/**
 * Sends tcpdump SIGUSR1 every intervalMs, but only once it is up ("listening on", or pcap on
 * stdout): before tcpdump installs its handler, SIGUSR1 would kill it.
 */
class CounterReports {
  private timer: NodeJS.Timeout | null = null;
  private isReady = false;

  constructor(private readonly intervalMs: number) {}

  start(child: ChildProcess): void {
    this.timer = setInterval(() => {
      if (this.isReady && child.exitCode === null && child.signalCode === null) child.kill('SIGUSR1');
    }, this.intervalMs);
    this.timer.unref();
  }

  ready(): void {
    this.isReady = true;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
