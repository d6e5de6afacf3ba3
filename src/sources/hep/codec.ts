// HEPv3 (Homer Encapsulation Protocol), as Asterisk res_hep, Kamailio siptrace and FreeSWITCH send
// it: "HEP3", a uint16 total length, then chunks of vendor u16, type u16, length u16 (including the
// 6-byte chunk header) and data, all in network byte order. Only generic (vendor 0) chunks are read;
// unknown ones are skipped. A malformed packet is rejected with a reason, never thrown.
import ipaddr from 'ipaddr.js';
import { normalizeIp } from '../../core/ip.ts';
import type { Endpoint } from '../../core/types.ts';

export const HEP_PROTO_SIP = 1;

export const CHUNK = {
  family: 0x01, ipProto: 0x02, srcIp4: 0x03, dstIp4: 0x04, srcIp6: 0x05, dstIp6: 0x06, srcPort: 0x07, dstPort: 0x08,
  timeSec: 0x09, timeUsec: 0x0a, protocolType: 0x0b, captureId: 0x0c, keepAlive: 0x0d, authKey: 0x0e, payload: 0x0f,
  compressedPayload: 0x10, correlationId: 0x11,
} as const;

/**
 * The transport a HEP IP-protocol id stands for. Kamailio and FreeSWITCH send 22 (IPPROTO_IDP) as a
 * stand-in for TLS (Kamailio also for WS/WSS: which one is not said); Asterisk always sends 17.
 */
export function transportOf(ipProto: number): 'udp' | 'tcp' | 'tls' {
  if (ipProto === 6) return 'tcp';
  return ipProto === 22 ? 'tls' : 'udp';
}

const AF_INET = 2;
const AF_INET6 = 10;
/** Fixed data sizes of the generic chunks that have one. */
const FIXED_SIZE: Record<number, number> = {
  0x01: 1, 0x02: 1, 0x03: 4, 0x04: 4, 0x05: 16, 0x06: 16, 0x07: 2, 0x08: 2, 0x09: 4, 0x0a: 4, 0x0b: 1, 0x0c: 4, 0x0d: 2,
};

export interface HepPacket {
  family: 4 | 6;
  /** IP protocol number: 17 UDP, 6 TCP. */
  ipProto: number;
  src: Endpoint;
  dst: Endpoint;
  /** Capture time, when the sender gave one (seconds and microseconds). */
  timeSec?: number;
  timeUsec?: number;
  /** 1 = SIP, 5 = RTCP, 100 = log. */
  protocolType: number;
  captureId?: number;
  authKey?: string;
  correlationId?: string;
  payload: Buffer;
}

export type HepReject =
  | 'too-short' | 'bad-magic' | 'truncated' | 'bad-total-length' | 'truncated-chunk' | 'bad-chunk-length'
  | 'chunk-overflow' | 'bad-chunk-size' | 'duplicate-chunk' | 'bad-family' | 'missing-field' | 'compressed-payload'
  | 'bad-address';

export type HepDecodeResult = { ok: true; packet: HepPacket } | { ok: false; reason: HepReject };

/** Decodes one HEPv3 packet that must fill buf exactly (one UDP datagram). */
export function decodeHep(buf: Buffer): HepDecodeResult {
  if (buf.length < 6) return reject('too-short');
  if (buf.toString('latin1', 0, 4) !== 'HEP3') return reject('bad-magic');
  const total = buf.readUInt16BE(4);
  if (total > buf.length) return reject('truncated');
  if (total !== buf.length) return reject('bad-total-length');
  const chunks = new Map<number, Buffer>();
  for (let off = 6; off < total; ) {
    if (total - off < 6) return reject('truncated-chunk');
    const vendor = buf.readUInt16BE(off);
    const type = buf.readUInt16BE(off + 2);
    const len = buf.readUInt16BE(off + 4);
    if (len < 6) return reject('bad-chunk-length');
    if (off + len > total) return reject('chunk-overflow');
    const data = buf.subarray(off + 6, off + len);
    off += len;
    if (vendor !== 0 || type > CHUNK.correlationId) continue; // vendor-specific or newer: skip
    if (FIXED_SIZE[type] !== undefined && data.length !== FIXED_SIZE[type]) return reject('bad-chunk-size');
    // A second copy of a field could override the first; which one is genuine is unknowable.
    if (chunks.has(type)) return reject('duplicate-chunk');
    chunks.set(type, data);
  }
  return fromChunks(chunks);
}

function fromChunks(c: Map<number, Buffer>): HepDecodeResult {
  const family = c.get(CHUNK.family)?.[0];
  if (family !== AF_INET && family !== AF_INET6) return reject(family === undefined ? 'missing-field' : 'bad-family');
  const v4 = family === AF_INET;
  const srcIp = c.get(v4 ? CHUNK.srcIp4 : CHUNK.srcIp6);
  const dstIp = c.get(v4 ? CHUNK.dstIp4 : CHUNK.dstIp6);
  const srcPort = c.get(CHUNK.srcPort);
  const dstPort = c.get(CHUNK.dstPort);
  const payload = c.get(CHUNK.payload);
  if (!payload && c.has(CHUNK.compressedPayload)) return reject('compressed-payload');
  if (!srcIp || !dstIp || !srcPort || !dstPort || !payload) return reject('missing-field');
  const src = ipText(srcIp);
  const dst = ipText(dstIp);
  if (!src || !dst) return reject('bad-family');
  if (!v4 && sofiaIpv6Garbage(srcIp) && sofiaIpv6Garbage(dstIp)) return reject('bad-address');
  const packet: HepPacket = {
    family: v4 ? 4 : 6,
    ipProto: c.get(CHUNK.ipProto)?.[0] ?? 17,
    src: { ip: src, port: srcPort.readUInt16BE(0) },
    dst: { ip: dst, port: dstPort.readUInt16BE(0) },
    protocolType: c.get(CHUNK.protocolType)?.[0] ?? 0,
    payload,
  };
  const sec = c.get(CHUNK.timeSec);
  const usec = c.get(CHUNK.timeUsec);
  if (sec) packet.timeSec = sec.readUInt32BE(0);
  if (usec) packet.timeUsec = usec.readUInt32BE(0);
  const capture = c.get(CHUNK.captureId);
  if (capture) packet.captureId = capture.readUInt32BE(0);
  const auth = c.get(CHUNK.authKey);
  if (auth) packet.authKey = auth.toString('utf8').replace(/\0+$/, ''); // some senders NUL-terminate
  const corr = c.get(CHUNK.correlationId);
  if (corr) packet.correlationId = corr.toString('utf8');
  return { ok: true, packet };
}

function ipText(bytes: Buffer): string | null {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`; // the common case, kept cheap
  return normalizeIp(ipaddr.fromByteArray([...bytes]).toString());
}

/**
 * FreeSWITCH (sofia-sip tport_logging.c) fills an IPv6 address chunk by copying 4 bytes from the
 * IPv4 field of the sockaddr, i.e. sin6_flowinfo, and leaves the other 12 bytes zero. Such a frame
 * names no real peer on either side; Kamailio's wildcard listen ("::") zeroes only one side.
 */
function sofiaIpv6Garbage(bytes: Buffer): boolean {
  for (let i = 4; i < 16; i++) if (bytes[i] !== 0) return false;
  return true;
}

function reject(reason: HepReject): HepDecodeResult {
  return { ok: false, reason };
}

export interface ExtraChunk {
  vendor: number;
  type: number;
  data: Buffer;
}

/** Encodes a packet as Asterisk does (for tests and the replay tool). */
export function encodeHep(p: HepPacket, extra: ExtraChunk[] = []): Buffer {
  const v4 = p.family === 4;
  const ip = (text: string): Buffer => Buffer.from(ipaddr.parse(text).toByteArray());
  const u8 = (n: number): Buffer => Buffer.from([n]);
  const u16 = (n: number): Buffer => Buffer.from([n >> 8, n & 0xff]);
  const u32 = (n: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; }; // prettier-ignore
  const chunks: ExtraChunk[] = [
    { vendor: 0, type: CHUNK.family, data: u8(v4 ? AF_INET : AF_INET6) },
    { vendor: 0, type: CHUNK.ipProto, data: u8(p.ipProto) },
    { vendor: 0, type: v4 ? CHUNK.srcIp4 : CHUNK.srcIp6, data: ip(p.src.ip) },
    { vendor: 0, type: v4 ? CHUNK.dstIp4 : CHUNK.dstIp6, data: ip(p.dst.ip) },
    { vendor: 0, type: CHUNK.srcPort, data: u16(p.src.port) },
    { vendor: 0, type: CHUNK.dstPort, data: u16(p.dst.port) },
  ];
  if (p.timeSec !== undefined) chunks.push({ vendor: 0, type: CHUNK.timeSec, data: u32(p.timeSec) });
  if (p.timeUsec !== undefined) chunks.push({ vendor: 0, type: CHUNK.timeUsec, data: u32(p.timeUsec) });
  chunks.push({ vendor: 0, type: CHUNK.protocolType, data: u8(p.protocolType) });
  if (p.captureId !== undefined) chunks.push({ vendor: 0, type: CHUNK.captureId, data: u32(p.captureId) });
  if (p.authKey !== undefined) chunks.push({ vendor: 0, type: CHUNK.authKey, data: Buffer.from(p.authKey) });
  chunks.push(...extra, { vendor: 0, type: CHUNK.payload, data: p.payload });
  if (p.correlationId !== undefined) chunks.push({ vendor: 0, type: CHUNK.correlationId, data: Buffer.from(p.correlationId) });
  const parts = chunks.map(({ vendor, type, data }) => Buffer.concat([u16(vendor), u16(type), u16(data.length + 6), data]));
  const total = 6 + parts.reduce((n, b) => n + b.length, 0);
  if (total > 0xffff) throw new RangeError(`a HEP packet holds at most 65535 bytes, not ${total}`);
  return Buffer.concat([Buffer.from('HEP3'), u16(total), ...parts]);
}
