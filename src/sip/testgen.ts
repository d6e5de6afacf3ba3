// Test helpers for the SIP parser: a seeded PRNG, a generator of varied but valid SIP messages
// (for the tshark oracle), and a pcap writer (Ethernet/IPv4/UDP) so tshark can read them.

/** mulberry32: small, fast, seeded; the same seed gives the same messages on every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Gen {
  rnd: () => number;
  int(lo: number, hi: number): number;
  pick<T>(xs: readonly T[]): T;
  chance(p: number): boolean;
  word(chars: string, lo: number, hi: number): string;
}

export function gen(seed: number): Gen {
  const rnd = prng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  return {
    rnd,
    int,
    pick: (xs) => xs[int(0, xs.length - 1)],
    chance: (p) => rnd() < p,
    word: (chars, lo, hi) => {
      let s = '';
      for (let n = int(lo, hi); n > 0; n--) s += chars[int(0, chars.length - 1)];
      return s;
    },
  };
}

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const HEX = '0123456789abcdef';
const METHODS = ['REGISTER', 'INVITE', 'OPTIONS', 'BYE', 'CANCEL', 'ACK', 'SUBSCRIBE', 'NOTIFY', 'MESSAGE', 'INFO'];
const STATUSES: [number, string][] = [[100, 'Trying'], [180, 'Ringing'], [200, 'OK'], [401, 'Unauthorized'], [403, 'Forbidden'], [404, 'Not Found'], [407, 'Proxy Authentication Required'], [486, 'Busy Here'], [603, 'Decline']];
const UAS = ['friendly-scanner', 'Yealink SIP-T46S 66.86.0.15', 'Asterisk PBX 20.5.0', 'sipcli/v1.8', 'Linphone/5.2.0 (belle-sip/5.2.0)', 'PolycomVVX-VVX_401-UA/5.9.0.9373', 'Z 5.6.1 v2.10.19.3'];
const COMPACT: Record<string, string> = { Via: 'v', From: 'f', To: 't', 'Call-ID': 'i', Contact: 'm', 'Content-Length': 'l', 'Content-Type': 'c' };

export interface GeneratedMessage {
  bytes: Buffer;
}

/** One valid SIP message with random shape: request or response, compact names, LF-only, odd case. */
export function generateMessage(g: Gen): Buffer {
  const host = () => (g.chance(0.5) ? `${g.int(1, 223)}.${g.int(0, 255)}.${g.int(0, 255)}.${g.int(1, 254)}` : `${g.word('abcdefghijklmnopqrstuvwxyz', 2, 8)}.example.${g.pick(['com', 'net', 'org'])}`);
  // Users of 2+ chars: tshark 4.0 reports no user part for a one-char user (sip:A@host); we do.
  const user = () => (g.chance(0.6) ? g.word('0123456789', 3, 11) : g.word(ALNUM, 2, 12));
  const port = () => (g.chance(0.5) ? `:${g.int(1024, 65535)}` : '');
  const nameAddr = (u: string, h: string, tag: string | null) => {
    const display = g.pick([null, `"${g.word(ALNUM + ' ', 1, 12).trim() || 'x'}" `, `${g.word(ALNUM, 1, 8)} `]);
    const uri = `sip:${u}@${h}${port()}`;
    const base = display === null && g.chance(0.3) ? uri : `${display ?? ''}<${uri}>`;
    return tag === null ? base : `${base};tag=${tag}`;
  };
  const compact = g.chance(0.3);
  const eol = g.chance(0.3) ? '\n' : '\r\n';
  const name = (n: string) => {
    if (compact && COMPACT[n] && g.chance(0.7)) return COMPACT[n];
    return g.pick([n, n, n, n.toLowerCase(), n.toUpperCase()]);
  };
  // No "Name : value" here: tshark 4.0 does not accept space before the colon (the parser does, see parse.test.ts).
  const sep = () => g.pick([': ', ':', ':  ', ':\t']);
  const isRequest = g.chance(0.7);
  const method = g.pick(METHODS);
  const lines: string[] = [];
  if (isRequest) {
    lines.push(`${method} sip:${g.chance(0.7) ? `${user()}@` : ''}${host()}${port()} SIP/2.0`);
  } else {
    const [code, reason] = g.pick(STATUSES);
    lines.push(`SIP/2.0 ${code} ${reason}`);
  }
  const vias: string[] = [];
  for (let n = g.int(1, 3); n > 0; n--) {
    const rport = g.pick(['', ';rport', `;rport=${g.int(1024, 65535)}`]);
    const received = g.chance(0.3) ? `;received=${g.int(1, 223)}.${g.int(0, 255)}.${g.int(0, 255)}.${g.int(1, 254)}` : '';
    vias.push(`SIP/2.0/${g.pick(['UDP', 'TCP', 'TLS'])} ${host()}${port()};branch=z9hG4bK${g.word(ALNUM, 4, 20)}${rport}${received}`);
  }
  if (g.chance(0.5)) lines.push(`${name('Via')}${sep()}${vias.join(', ')}`);
  else for (const v of vias) lines.push(`${name('Via')}${sep()}${v}`);
  lines.push(`${name('Max-Forwards')}${sep()}70`);
  lines.push(`${name('From')}${sep()}${nameAddr(user(), host(), g.word(HEX + 'xyz', 1, 40))}`);
  lines.push(`${name('To')}${sep()}${nameAddr(user(), host(), g.chance(0.4) ? g.word(ALNUM, 1, 20) : null)}`);
  lines.push(`${name('Call-ID')}${sep()}${g.word(ALNUM + '-.', 1, 30)}${g.chance(0.5) ? `@${host()}` : ''}`);
  lines.push(`${name('CSeq')}${sep()}${g.int(0, 2 ** 31 - 1)} ${isRequest ? method : g.pick(METHODS)}`);
  if (g.chance(0.6)) lines.push(`${name('Contact')}${sep()}<sip:${user()}@${host()}${port()}>;expires=${g.int(0, 3600)}`);
  if (g.chance(0.7)) lines.push(`${name('User-Agent')}${sep()}${g.pick(UAS)}`);
  if (isRequest && g.chance(0.3)) {
    const kv = [
      `username="${user()}"`, `realm="${g.pick(['asterisk', 'pbx.example.com'])}"`, `nonce="${g.word(HEX, 8, 32)}"`,
      `uri="sip:${host()}"`, `response="${g.word(HEX, 32, 32)}"`, 'algorithm=MD5',
      ...(g.chance(0.5) ? [`cnonce="${g.word(HEX, 8, 8)}"`, 'qop=auth', `nc=0000000${g.int(1, 9)}`] : []),
    ];
    lines.push(`${name(g.chance(0.8) ? 'Authorization' : 'Proxy-Authorization')}${sep()}Digest ${kv.join(g.pick([', ', ',']))}`);
  }
  let body = '';
  if (g.chance(0.2)) {
    body = ['v=0', `o=- ${g.int(1, 99999)} 0 IN IP4 192.0.2.10`, 's=-', 'c=IN IP4 192.0.2.10', 't=0 0', `m=audio ${g.int(10000, 20000)} RTP/AVP 0 8`, ''].join('\r\n');
    lines.push(`${name('Content-Type')}${sep()}application/sdp`);
  }
  lines.push(`${name('Content-Length')}${sep()}${body.length}`);
  return Buffer.from(lines.join(eol) + eol + eol + body, 'latin1');
}

/** A pcap file (LINKTYPE_ETHERNET) with one UDP/IPv4 datagram per payload, src port 5060 → dst 5060. */
export function writePcap(payloads: readonly Buffer[]): Buffer {
  const global = Buffer.alloc(24);
  global.writeUInt32LE(0xa1b2c3d4, 0);
  global.writeUInt16LE(2, 4);
  global.writeUInt16LE(4, 6);
  global.writeUInt32LE(262144, 16); // snaplen
  global.writeUInt32LE(1, 20); // Ethernet
  const parts: Buffer[] = [global];
  payloads.forEach((payload, i) => {
    const frame = Buffer.alloc(14 + 20 + 8 + payload.length);
    frame.writeUInt16BE(0x0800, 12); // EtherType IPv4 (MACs left zero)
    const ip = 14;
    frame[ip] = 0x45;
    frame.writeUInt16BE(20 + 8 + payload.length, ip + 2);
    frame.writeUInt16BE(i & 0xffff, ip + 4);
    frame[ip + 8] = 64; // TTL
    frame[ip + 9] = 17; // UDP
    frame.set([198, 51, 100, 7], ip + 12);
    frame.set([192, 0, 2, 1], ip + 16);
    frame.writeUInt16BE(ipChecksum(frame.subarray(ip, ip + 20)), ip + 10);
    const udp = ip + 20;
    frame.writeUInt16BE(5060, udp);
    frame.writeUInt16BE(5060, udp + 2);
    frame.writeUInt16BE(8 + payload.length, udp + 4); // checksum 0 = none (allowed for IPv4)
    payload.copy(frame, udp + 8);
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(1_790_000_000 + i, 0);
    rec.writeUInt32LE(frame.length, 8);
    rec.writeUInt32LE(frame.length, 12);
    parts.push(rec, frame);
  });
  return Buffer.concat(parts);
}

function ipChecksum(header: Buffer): number {
  let sum = 0;
  for (let i = 0; i < header.length; i += 2) sum += header.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
