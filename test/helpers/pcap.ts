// Builds pcap files and frames for tests: the reader is checked against bytes we lay out by hand.
import ipaddr from 'ipaddr.js';

export interface PcapOptions {
  bigEndian?: boolean;
  nano?: boolean;
  linkType?: number;
  snaplen?: number;
}

export interface TestPacket {
  /** Unix milliseconds (may be fractional). */
  at: number;
  data: Buffer;
  origLen?: number;
}

export function pcapFile(packets: TestPacket[], opts: PcapOptions = {}): Buffer {
  const be = opts.bigEndian ?? false;
  const u32 = (n: number): Buffer => { const b = Buffer.alloc(4); be ? b.writeUInt32BE(n) : b.writeUInt32LE(n); return b; }; // prettier-ignore
  const u16 = (n: number): Buffer => { const b = Buffer.alloc(2); be ? b.writeUInt16BE(n) : b.writeUInt16LE(n); return b; }; // prettier-ignore
  const header = Buffer.concat([
    u32(opts.nano ? 0xa1b23c4d : 0xa1b2c3d4), u16(2), u16(4), u32(0), u32(0), u32(opts.snaplen ?? 262144), u32(opts.linkType ?? 1),
  ]);
  const records = packets.map((p) => {
    const sec = Math.floor(p.at / 1000);
    const frac = opts.nano ? Math.round((p.at - sec * 1000) * 1e6) : Math.round((p.at - sec * 1000) * 1e3);
    return Buffer.concat([u32(sec), u32(frac), u32(p.data.length), u32(p.origLen ?? p.data.length), p.data]);
  });
  return Buffer.concat([header, ...records]);
}

const bytes = (ip: string): Buffer => Buffer.from(ipaddr.parse(ip).toByteArray());

export function udp(sport: number, dport: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(sport, 0);
  h.writeUInt16BE(dport, 2);
  h.writeUInt16BE(8 + payload.length, 4);
  return Buffer.concat([h, payload]);
}

/** A TCP segment; flags default to PSH+ACK (0x18); SYN 0x02, FIN 0x01, RST 0x04. */
export function tcp(sport: number, dport: number, payload: Buffer, seq = 0, flags = 0x18, ack = 0): Buffer {
  const h = Buffer.alloc(20);
  h.writeUInt16BE(sport, 0);
  h.writeUInt16BE(dport, 2);
  h.writeUInt32BE(seq >>> 0, 4);
  h.writeUInt32BE(ack >>> 0, 8);
  h[12] = 5 << 4;
  h[13] = flags;
  return Buffer.concat([h, payload]);
}

export function ipv4(src: string, dst: string, proto: 'udp' | 'tcp', segment: Buffer, fragment = 0): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(20 + segment.length, 2);
  h.writeUInt16BE(fragment, 6);
  h[8] = 64;
  h[9] = proto === 'udp' ? 17 : 6;
  bytes(src).copy(h, 12);
  bytes(dst).copy(h, 16);
  return Buffer.concat([h, segment]);
}

/** IPv6, optionally with a hop-by-hop options header in front of the transport header. */
export function ipv6(src: string, dst: string, proto: 'udp' | 'tcp', segment: Buffer, hopByHop = false): Buffer {
  const h = Buffer.alloc(40);
  h[0] = 0x60;
  const ext = hopByHop ? Buffer.from([proto === 'udp' ? 17 : 6, 0, 1, 4, 0, 0, 0, 0]) : Buffer.alloc(0);
  h.writeUInt16BE(ext.length + segment.length, 4);
  h[6] = hopByHop ? 0 : proto === 'udp' ? 17 : 6;
  h[7] = 64;
  bytes(src).copy(h, 8);
  bytes(dst).copy(h, 24);
  return Buffer.concat([h, ext, segment]);
}

export function ethernet(ip: Buffer, vlan?: number): Buffer {
  const type = Buffer.alloc(2);
  type.writeUInt16BE(ip[0] >> 4 === 6 ? 0x86dd : 0x0800);
  const macs = Buffer.from('020000000001020000000002', 'hex');
  const tag = vlan === undefined ? Buffer.alloc(0) : Buffer.from([0x81, 0x00, vlan >> 8, vlan & 0xff]);
  return Buffer.concat([macs, tag, type, ip]);
}

export function linuxSll(ip: Buffer): Buffer {
  const h = Buffer.alloc(16);
  h.writeUInt16BE(0, 0); // to us
  h.writeUInt16BE(1, 2); // ARPHRD_ETHER
  h.writeUInt16BE(6, 4);
  h.writeUInt16BE(ip[0] >> 4 === 6 ? 0x86dd : 0x0800, 14);
  return Buffer.concat([h, ip]);
}

export function linuxSll2(ip: Buffer): Buffer {
  const h = Buffer.alloc(20);
  h.writeUInt16BE(ip[0] >> 4 === 6 ? 0x86dd : 0x0800, 0);
  h.writeUInt32BE(2, 4); // ifindex
  h.writeUInt16BE(1, 8);
  h[11] = 6;
  return Buffer.concat([h, ip]);
}

export function sipMessage(method: string, callId: string, body = ''): Buffer {
  return Buffer.from(
    `${method} sip:100@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 203.0.113.9:5070\r\nCall-ID: ${callId}\r\nCSeq: 1 ${method}\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
