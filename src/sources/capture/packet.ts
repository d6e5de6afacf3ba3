// One captured frame → the transport payload and its addresses: link layer (Ethernet with VLAN
// tags, Linux cooked v1/v2, raw IP), IPv4/IPv6 (extension headers skipped), UDP or TCP.
// Limits: IP fragments are not reassembled (a fragmented SIP INVITE is skipped and counted). TCP
// segments come out one by one with their sequence number and flags; tcp-stream.ts reassembles.
import ipaddr from 'ipaddr.js';
import { normalizeIp } from '../../core/ip.ts';
import type { Endpoint } from '../../core/types.ts';
import { LINKTYPE } from './pcap.ts';

export type DecodedFrame =
  | { ok: true; transport: 'udp'; src: Endpoint; dst: Endpoint; payload: Buffer }
  /**
   * payload may be empty: a SYN, FIN or RST opens or ends a flow, and a bare ACK's acknowledgment
   * number is what lets the other direction's messages through (tcp-acks.ts).
   */
  | { ok: true; transport: 'tcp'; src: Endpoint; dst: Endpoint; payload: Buffer; seq: number; ack: number; flags: number }
  /** reason null: not for us (ARP, ICMP), not worth counting. */
  | { ok: false; reason: string | null };

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const VLAN_TAGS = new Set([0x8100, 0x88a8, 0x9100]);
const IPV6_SKIPPABLE = new Set([0, 43, 60]); // hop-by-hop, routing, destination options
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const IPPROTO_FRAGMENT = 44;
const IPPROTO_AH = 51;

const ignore: DecodedFrame = { ok: false, reason: null };
const bad = (reason: string): DecodedFrame => ({ ok: false, reason });

export function decodeFrame(linkType: number, frame: Buffer): DecodedFrame {
  const ip = networkLayer(linkType, frame);
  if (ip === 'unknown-link') return bad('unsupported-link-type');
  if (ip === 'short') return bad('truncated-packet');
  if (ip === 'not-ip') return ignore;
  const version = ip[0] >> 4;
  if (version === 4) return ipv4(ip);
  if (version === 6) return ipv6(ip);
  return bad('bad-ip-header');
}

/** The IP packet inside the frame, or why there is none. */
function networkLayer(linkType: number, f: Buffer): Buffer | 'short' | 'not-ip' | 'unknown-link' {
  let type: number;
  let off: number;
  if (linkType === LINKTYPE.EN10MB) {
    if (f.length < 14) return 'short';
    [type, off] = [f.readUInt16BE(12), 14];
    for (let tags = 0; VLAN_TAGS.has(type) && tags < 2; tags++, off += 4) {
      if (f.length < off + 4) return 'short';
      type = f.readUInt16BE(off + 2);
    }
  } else if (linkType === LINKTYPE.LINUX_SLL) {
    if (f.length < 16) return 'short';
    [type, off] = [f.readUInt16BE(14), 16];
  } else if (linkType === LINKTYPE.LINUX_SLL2) {
    if (f.length < 20) return 'short';
    [type, off] = [f.readUInt16BE(0), 20];
  } else if (linkType === LINKTYPE.RAW || linkType === LINKTYPE.IPV4 || linkType === LINKTYPE.IPV6) {
    [type, off] = [-1, 0];
  } else {
    return 'unknown-link';
  }
  if (type !== -1 && type !== ETHERTYPE_IPV4 && type !== ETHERTYPE_IPV6) return 'not-ip';
  return f.length > off ? f.subarray(off) : 'short';
}

function ipv4(p: Buffer): DecodedFrame {
  if (p.length < 20) return bad('truncated-packet');
  const ihl = (p[0] & 0x0f) * 4;
  const total = p.readUInt16BE(2);
  if (ihl < 20 || total < ihl) return bad('bad-ip-header');
  if (p.length < total) return bad('truncated-packet');
  if ((p.readUInt16BE(6) & 0x3fff) !== 0) return bad('ip-fragment'); // MF set or a non-zero offset
  const src = `${p[12]}.${p[13]}.${p[14]}.${p[15]}`;
  const dst = `${p[16]}.${p[17]}.${p[18]}.${p[19]}`;
  return transport(p[9], p.subarray(ihl, total), src, dst);
}

function ipv6(p: Buffer): DecodedFrame {
  if (p.length < 40) return bad('truncated-packet');
  const end = 40 + p.readUInt16BE(4);
  if (p.length < end) return bad('truncated-packet');
  let next = p[6];
  let off = 40;
  for (let hops = 0; hops < 8; hops++) {
    if (next === IPPROTO_FRAGMENT) {
      if (end < off + 8) return bad('truncated-packet');
      if ((p.readUInt16BE(off + 2) & 0xfff9) !== 0) return bad('ip-fragment'); // offset or M set
      [next, off] = [p[off], off + 8];
    } else if (IPV6_SKIPPABLE.has(next) || next === IPPROTO_AH) {
      if (end < off + 2) return bad('truncated-packet');
      const len = next === IPPROTO_AH ? (p[off + 1] + 2) * 4 : (p[off + 1] + 1) * 8;
      [next, off] = [p[off], off + len];
    } else {
      break;
    }
  }
  if (off > end) return bad('truncated-packet');
  return transport(next, p.subarray(off, end), ip6(p.subarray(8, 24)), ip6(p.subarray(24, 40)));
}

function ip6(bytes: Buffer): string {
  const text = ipaddr.fromByteArray([...bytes]).toString();
  return normalizeIp(text) ?? text;
}

function transport(proto: number, seg: Buffer, srcIp: string, dstIp: string): DecodedFrame {
  if (proto === IPPROTO_UDP) {
    if (seg.length < 8) return bad('truncated-packet');
    const len = seg.readUInt16BE(4);
    if (len < 8 || len > seg.length) return bad('bad-udp-length');
    return ok('udp', seg, srcIp, dstIp, seg.subarray(8, len));
  }
  if (proto === IPPROTO_TCP) {
    if (seg.length < 20) return bad('truncated-packet');
    const dataOff = (seg[12] >> 4) * 4;
    if (dataOff < 20 || dataOff > seg.length) return bad('bad-tcp-header');
    const flags = seg[13];
    const src = { ip: srcIp, port: seg.readUInt16BE(0) };
    const dst = { ip: dstIp, port: seg.readUInt16BE(2) };
    return { ok: true, transport: 'tcp', src, dst, payload: seg.subarray(dataOff), seq: seg.readUInt32BE(4), ack: seg.readUInt32BE(8), flags };
  }
  return ignore;
}

function ok(t: 'udp', seg: Buffer, srcIp: string, dstIp: string, payload: Buffer): DecodedFrame {
  return { ok: true, transport: t, src: { ip: srcIp, port: seg.readUInt16BE(0) }, dst: { ip: dstIp, port: seg.readUInt16BE(2) }, payload };
}
