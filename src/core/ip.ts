// Addresses and prefixes: parse, normalise, classify, and look up. Every IP that reaches argv, SQL or
// a kernel set has passed through parseTarget first.
import ipaddr from 'ipaddr.js';
import { AppError } from './errors.ts';
import type { Family, Target } from './types.ts';

export interface Prefix {
  family: Family;
  /** The network address as a bigint (IPv4 fits in 32 bits, IPv6 in 128). */
  network: bigint;
  length: number;
  text: Target;
}

function toBigInt(addr: ipaddr.IPv4 | ipaddr.IPv6): bigint {
  let n = 0n;
  for (const b of addr.toByteArray()) n = (n << 8n) | BigInt(b);
  return n;
}

function parseAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  const s = text.trim();
  if (ipaddr.IPv4.isValidFourPartDecimal(s)) return ipaddr.IPv4.parse(s);
  if (!s.includes(':') || !ipaddr.IPv6.isValid(s)) return null;
  const v6 = ipaddr.IPv6.parse(s);
  if (v6.zoneId) return null;
  return v6.isIPv4MappedAddress() ? v6.toIPv4Address() : v6;
}

const DOTTED = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})(?:\/(\d{1,2}))?$/;

/** Plain dotted IPv4 (the bulk of every feed) without ipaddr.js and string round trips. */
function parseDotted(s: string): Prefix | null | undefined {
  const m = DOTTED.exec(s);
  if (!m) return undefined; // not this form: let the general parser decide
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(m[i]);
    if (octet > 255) return null;
    n = n * 256 + octet;
  }
  const length = m[5] === undefined ? 32 : Number(m[5]);
  if (length > 32) return null;
  const net = length === 0 ? 0 : Math.floor(n / 2 ** (32 - length)) * 2 ** (32 - length);
  const text = `${Math.floor(net / 16777216)}.${Math.floor(net / 65536) % 256}.${Math.floor(net / 256) % 256}.${net % 256}`;
  return { family: 4, network: BigInt(net), length, text: length === 32 ? text : `${text}/${length}` };
}

/** Parses "192.0.2.7", "192.0.2.0/24", "2001:db8::1", "::ffff:192.0.2.7"; null when malformed. */
export function tryParsePrefix(text: string): Prefix | null {
  const fast = parseDotted(text.trim());
  if (fast !== undefined) return fast;
  const [addrText, lenText, extra] = text.trim().split('/');
  if (extra !== undefined || addrText === undefined) return null;
  const addr = parseAddress(addrText);
  if (!addr) return null;
  const bits = addr.kind() === 'ipv4' ? 32 : 128;
  let length = bits;
  if (lenText !== undefined) {
    if (!/^\d{1,3}$/.test(lenText)) return null;
    length = Number(lenText);
    // A mapped IPv4 with a v6 length (::ffff:1.2.3.0/120) becomes the v4 length.
    if (addr.kind() === 'ipv4' && addrText.includes(':')) length -= 96;
    if (length < 0 || length > bits) return null;
  }
  const family: Family = bits === 32 ? 4 : 6;
  const hostBits = BigInt(bits - length);
  const network = (toBigInt(addr) >> hostBits) << hostBits;
  return { family, network, length, text: formatPrefix(family, network, length) };
}

export function formatPrefix(family: Family, network: bigint, length: number): Target {
  const bytes: number[] = [];
  const count = family === 4 ? 4 : 16;
  for (let i = count - 1; i >= 0; i--) bytes.push(Number((network >> BigInt(i * 8)) & 0xffn));
  const addr = ipaddr.fromByteArray(bytes).toString();
  return length === (family === 4 ? 32 : 128) ? addr : `${addr}/${length}`;
}

/** Parses a target or throws ERR_TARGET_INVALID naming the text and what is allowed. */
export function parseTarget(text: string, what = 'target'): Prefix {
  const p = tryParsePrefix(text);
  if (!p) {
    throw new AppError(
      'ERR_TARGET_INVALID',
      `invalid ${what} '${text}': expected an IPv4 or IPv6 address, optionally with a /prefix length (192.0.2.7, 198.51.100.0/24, 2001:db8::/32)`,
    );
  }
  return p;
}

/** The canonical text of a single address, or null: accepts "[2001:db8::1]" and IPv4-mapped forms. */
export function normalizeIp(text: string): string | null {
  if (isCanonicalIpv4(text)) return text; // the common case, without a parse and a round trip
  const s = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const addr = parseAddress(s);
  return addr ? addr.toString() : null;
}

/** Four decimal octets 0-255 without leading zeros, by hand: a regex call cost more than the rest. */
export function isCanonicalIpv4(text: string): boolean {
  let pos = 0;
  for (let octet = 0; octet < 4; octet++) {
    if (octet > 0 && text.charCodeAt(pos++) !== 46 /* . */) return false;
    const start = pos;
    let value = 0;
    for (let c = text.charCodeAt(pos); c >= 48 && c <= 57; c = text.charCodeAt(++pos)) value = value * 10 + c - 48;
    const digits = pos - start;
    if (digits === 0 || digits > 3 || value > 255 || (digits > 1 && text.charCodeAt(start) === 48)) return false;
  }
  return pos === text.length;
}

export function isSingleAddress(p: Prefix): boolean {
  return p.length === (p.family === 4 ? 32 : 128);
}

/** ipaddr.js's special ranges, in its own order (its range() returns the first that matches). */
const SPECIAL_RANGES: Record<Family, { name: string; network: bigint; length: number }[]> = (() => {
  const out: Record<Family, { name: string; network: bigint; length: number }[]> = { 4: [], 6: [] };
  for (const [family, cls] of [[4, ipaddr.IPv4], [6, ipaddr.IPv6]] as const) {
    // Not in ipaddr.js's typings, but its API since 1.x: name → [addr, len] or a list of them.
    const ranges = (cls.prototype as unknown as { SpecialRanges: Record<string, unknown[]> }).SpecialRanges;
    for (const [name, value] of Object.entries(ranges)) {
      const list = (Array.isArray(value[0]) ? value : [value]) as [ipaddr.IPv4 | ipaddr.IPv6, number][];
      for (const [addr, length] of list) out[family].push({ name, network: toBigInt(addr), length });
    }
  }
  return out;
})();

/** Every special-purpose range with its ipaddr.js name, as prefixes (for "does this CIDR swallow one?"). */
export function specialPrefixes(): { name: string; prefix: Prefix }[] {
  return ([4, 6] as Family[]).flatMap((family) =>
    SPECIAL_RANGES[family].map((r) => ({ name: r.name, prefix: { family, network: r.network, length: r.length, text: formatPrefix(family, r.network, r.length) } })),
  );
}

/** The ipaddr.js range name of a prefix's network address: 'unicast' for ordinary public space. */
export function rangeOf(p: Prefix): string {
  const bits = p.family === 4 ? 32 : 128;
  for (const r of SPECIAL_RANGES[p.family]) {
    const shift = BigInt(bits - r.length);
    if (p.network >> shift === r.network >> shift) return r.name;
  }
  return 'unicast';
}

/** Ranges that never belong in a ban: banning them cuts the host off from itself or its LAN. */
export const NON_PUBLIC_RANGES = new Set([
  'unspecified', 'broadcast', 'multicast', 'linkLocal', 'loopback', 'private', 'reserved',
  'carrierGradeNat', 'uniqueLocal', 'ipv4Mapped', 'rfc6145', 'rfc6052', '6to4', 'teredo', 'discard',
  'benchmarking', 'amt', 'as112', 'deprecated', 'orchid2', 'as112v6', 'droneRemoteIdProtocolEntityTags',
]);

/** True when a and b overlap (one contains the other). */
export function overlaps(a: Prefix, b: Prefix): boolean {
  if (a.family !== b.family) return false;
  const bits = a.family === 4 ? 32 : 128;
  const len = Math.min(a.length, b.length);
  const shift = BigInt(bits - len);
  return a.network >> shift === b.network >> shift;
}

/**
 * A set of prefixes answering "which entry contains this address?" in at most one hash probe per
 * distinct prefix length (33 for IPv4, 129 for IPv6), so a million entries cost no more than ten.
 */
export class PrefixSet<V = true> {
  private readonly byLength = new Map<string, Map<bigint, V>>(); // key "4/24"
  private lengths: { family: Family; length: number; key: string }[] = [];
  private count = 0;

  add(p: Prefix, value: V): void {
    const key = `${p.family}/${p.length}`;
    let m = this.byLength.get(key);
    if (!m) {
      m = new Map();
      this.byLength.set(key, m);
      this.lengths.push({ family: p.family, length: p.length, key });
      this.lengths.sort((x, y) => y.length - x.length); // longest first: most specific wins
    }
    if (!m.has(p.network)) this.count++;
    m.set(p.network, value);
  }

  get size(): number {
    return this.count;
  }

  /** The most specific entry containing the address or prefix, or undefined. */
  lookup(p: Prefix): { prefix: Target; value: V } | undefined {
    const bits = p.family === 4 ? 32 : 128;
    for (const { family, length, key } of this.lengths) {
      if (family !== p.family || length > p.length) continue;
      const shift = BigInt(bits - length);
      const net = (p.network >> shift) << shift;
      const v = this.byLength.get(key)!.get(net);
      if (v !== undefined) return { prefix: formatPrefix(family, net, length), value: v };
    }
    return undefined;
  }

  has(p: Prefix): boolean {
    return this.lookup(p) !== undefined;
  }
}
