// The sources stage: bytes in, RawEvent out. createSources builds the configured sources, each
// wrapped in withRestart so a failure at runtime is retried and never reaches the daemon.
import type { Config } from '../config/schema.ts';
import { systemClock, type Clock } from '../core/clock.ts';
import type { Logger } from '../core/log.ts';
import { amiSource } from './ami/client.ts';
import { asteriskLogSource, journaldSource } from './asterisk-log/source.ts';
import { captureSource } from './capture/tcpdump.ts';
import { hepSource } from './hep/listener.ts';
import { type Backoff, DEFAULT_BACKOFF, withRestart } from './restart.ts';
import type { EventSource } from './source.ts';

export type { EventSource, SourceStats } from './source.ts';
export { countSkip, createStats, SourceSetupError, sleep } from './source.ts';
export { type Backoff, DEFAULT_BACKOFF, withRestart } from './restart.ts';
export { asteriskLogSource, journaldSource, type JournaldOptions, type LogSourceOptions } from './asterisk-log/source.ts';
export { followLines, type FollowOptions } from './asterisk-log/follow.ts';
export { amiSource, type AmiOptions } from './ami/client.ts';
export { AmiParser, type AmiMessage } from './ami/protocol.ts';
export { decodeHep, encodeHep, HEP_PROTO_SIP, type HepDecodeResult, type HepPacket, type HepReject } from './hep/codec.ts';
export { hepSource, parseHostPort, type HepOptions } from './hep/listener.ts';
export { captureFilter, captureSource, tcpdumpArgs, type CaptureOptions, type CaptureStats, type PortRange } from './capture/tcpdump.ts';
export { detectPcap, LINKTYPE, PcapFormatError, PcapReader, type PcapHeader, type PcapRecord } from './capture/pcap.ts';
export { decodeFrame, type DecodedFrame } from './capture/packet.ts';
export { replayFile, type ReplayOptions, type ReplayProgress } from './replay/replay.ts';
export { parseLogTimestamp } from './replay/timestamp.ts';

export interface SourceDeps {
  log: Logger;
  clock?: Clock;
  /** Restart delays (default 1 s doubling to 60 s). */
  backoff?: Backoff;
  /** Read log files from their beginning instead of their end (first start only). */
  logsFromStart?: boolean;
}

/**
 * The sources the config asks for: detect.asterisk.logs (one per file), detect.asterisk.journald,
 * detect.asterisk.ami, detect.hep.listen (+ password), detect.capture.interface (with sip.ports).
 * Throws AppError ERR_CONFIG_INVALID for a value no source can use (an interface name, host:port).
 */
export function createSources(config: Pick<Config, 'detect' | 'sip'>, deps: SourceDeps): EventSource[] {
  const clock = deps.clock ?? systemClock;
  const log = deps.log.child({ stage: 'sources' });
  const { asterisk, hep, capture } = config.detect;
  const sources: EventSource[] = [];
  for (const path of asterisk.logs) sources.push(asteriskLogSource(path, { clock, log, fromStart: deps.logsFromStart }));
  if (asterisk.journald) sources.push(journaldSource({ clock }));
  if (asterisk.ami) sources.push(amiSource({ ...asterisk.ami, clock }));
  if (hep.listen) sources.push(hepSource({ listen: hep.listen, password: hep.password, clock }));
  if (capture.interface) sources.push(captureSource({ interface: capture.interface, ports: config.sip.ports, log }));
  return sources.map((s) => withRestart(s, deps.backoff ?? DEFAULT_BACKOFF, log));
}
