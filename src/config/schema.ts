// The one config schema: defaults, allowed values and the error text for each key. Keys are
// snake_case (fail2ban's words); unknown keys are refused.
import { z } from 'zod';
import { parseDuration } from '../core/duration.ts';
import { tryParsePrefix } from '../core/ip.ts';

/** A duration like 90s, 10m, 1h, 7d (or whole seconds); parsed to seconds. */
const duration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  try {
    return parseDuration(v);
  } catch {
    ctx.issues.push({ code: 'custom', input: v, message: `'${v}' is not a duration: use 90s, 10m, 1h, 7d` });
    return z.NEVER;
  }
});

const cidr = z.string().refine((s) => tryParsePrefix(s) !== null, {
  message: 'expected an IPv4 or IPv6 address or CIDR prefix',
});

/** A host name for a friend that is re-resolved periodically. */
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;
const friend = z.string().refine((s) => tryParsePrefix(s) !== null || HOSTNAME.test(s), {
  message: 'expected an IP address, a CIDR prefix or a DNS name',
});

/** "5060:5261", "5060", 5060 or a list of those. */
const portRange = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const m = /^(\d{1,5})(?::(\d{1,5}))?$/.exec(String(v).trim());
  const lo = m ? Number(m[1]) : NaN;
  const hi = m && m[2] ? Number(m[2]) : lo;
  if (!m || lo < 1 || hi > 65535 || lo > hi) {
    ctx.issues.push({ code: 'custom', input: v, message: `'${v}' is not a port or range: use 5060 or 5060:5261` });
    return z.NEVER;
  }
  return { from: lo, to: hi };
});
const ports = z.union([portRange, z.array(portRange).min(1)]).transform((v) => (Array.isArray(v) ? v : [v]));

const domain = z.string().regex(HOSTNAME, 'expected a domain name like pbx.example.com');

const userAgents = z.strictObject({
  /** Use the built-in scanner list. */
  builtin: z.boolean().default(true),
  /** More substrings to drop (case-insensitive). */
  add: z.array(z.string().min(3).max(100)).default([]),
  /** More exact values to drop (the whole User-Agent, case-insensitive). */
  exact: z.array(z.string().min(1).max(100)).default([]),
  /** Built-in entries to leave out, by their text. */
  remove: z.array(z.string()).default([]),
});

const sip = z.strictObject({
  ports: ports.default([{ from: 5060, to: 5261 }]),
  register_domains: z.array(domain).default([]),
  user_agents: userAgents.prefault({}),
  /** Drop SQL-injection probes in the request line and From/To/Contact. */
  injection: z.boolean().default(true),
  /** How long the kernel bans a scanner caught by a User-Agent or injection rule; 0 = drop only. */
  scanner_ban_time: duration.default(3600),
  /** The string rules look at the first N packets of each flow; the first-packet ban catches the rest. */
  inspect_packets: z.number().int().min(1).max(1000).default(4),
});

const ranges = z.strictObject({
  ponytelecom: z.boolean().default(true),
  vitox: z.boolean().default(true),
});

const firewall = z.strictObject({
  backend: z.enum(['iptables', 'nftables', 'none']).default('iptables'),
  /** How often the daemon compares the kernel with the store and repairs drift. */
  reconcile_interval: duration.default(60),
  /**
   * The lowest of the mark bits sipwarden uses; pick bits no other tool on the host uses. Packet
   * marks (nftables backend, from the iptables string rules to the nft chain): this bit = scanner,
   * the next = foreign REGISTER. Conntrack marks (both backends): this bit = the flow carried a
   * scanner, the next = inspected and clean, the one above = carried a foreign REGISTER.
   */
  mark: z
    .number()
    .int()
    .refine((n) => n > 0 && n < 2 ** 30 && (n & (n - 1)) === 0, { message: 'must be a single bit below 0x40000000, like 0x10000000' })
    .default(0x10000000),
});

const ban = z.strictObject({
  /** Default ban time (CLI bans and rules without their own). */
  time: duration.default(3600),
  /** Repeat offenders: each new ban lasts ban time × factor^(earlier bans), up to max_time. */
  factor: z.number().min(1).max(100).default(2),
  max_time: duration.default(7 * 86400),
});

const store = z.strictObject({
  path: z.string().min(1).default('/var/lib/sipwarden/sipwarden.db'),
});

const bruteForce = z.strictObject({
  max_retry: z.number().int().min(1).default(5),
  find_time: duration.default(600),
  ban_time: duration.optional(),
  /** Failures from one IP across all its accounts before the IP is banned whatever the accounts. */
  per_ip_max_retry: z.number().int().min(1).default(20),
});
const enumeration = z.strictObject({
  /** Distinct unknown or failed accounts from one IP within find_time. */
  max_accounts: z.number().int().min(2).default(5),
  find_time: duration.default(600),
  ban_time: duration.optional(),
});
const flood = z.strictObject({
  /** Requests per second from one IP (friends learned from successful auth are exempt). */
  max_rate: z.number().int().min(1).default(50),
  /** One Call-ID with a rising CSeq counts as an attempt each time. */
  ban_time: duration.optional(),
});
const learn = z.strictObject({
  enabled: z.boolean().default(true),
  /** How long an IP that authenticated successfully counts as a friend for flood and scanner noise. */
  time: duration.default(3600),
});
const limits = z.strictObject({
  /** Sources tracked at once; the oldest are forgotten first. */
  max_sources: z.number().int().min(1000).default(1_000_000),
});

const ami = z.strictObject({
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(1).max(65535).default(5038),
  username: z.string().min(1),
  secret: z.string().min(1),
});
const hostPort = z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/, 'expected host:port, like 127.0.0.1:9060');

const detect = z.strictObject({
  asterisk: z
    .strictObject({
      logs: z.array(z.string().min(1)).default([]),
      /** Read Asterisk's journald stream instead of (or as well as) files. */
      journald: z.boolean().default(false),
      ami: ami.optional(),
    })
    .prefault({}),
  hep: z
    .strictObject({
      /** host:port, or a bare port for loopback (HEP is clear text: loopback unless told otherwise). */
      listen: z
        .union([z.number().int().min(1).max(65535).transform((port) => `127.0.0.1:${port}`), hostPort], {
          error: 'expected host:port like 127.0.0.1:9060, or a port number for loopback',
        })
        .optional(),
      password: z.string().optional(),
    })
    .prefault({}),
  capture: z
    .strictObject({
      interface: z.string().min(1).optional(),
    })
    .prefault({}),
  brute_force: bruteForce.prefault({}),
  enumeration: enumeration.prefault({}),
  flood: flood.prefault({}),
  learn_friends: learn.prefault({}),
  limits: limits.prefault({}),
});

const apiban = z.strictObject({
  key: z.string().min(1),
  url: z.url().default('https://apiban.org/api/'),
  api: z.enum(['v1', 'v2']).default('v2'),
  set: z.enum(['sip', 'http', 'all']).default('sip'),
  /** Fixed interval; when absent, a random interval between min_interval and max_interval each time. */
  interval: duration.optional(),
  min_interval: duration.default(240),
  max_interval: duration.default(1320),
  /** How long an IP stays banned after the feed last listed it (APIBAN's listing lifetime). */
  lifetime: duration.default(7 * 86400),
  /** Full resync from the start, dropping what the feed no longer lists. */
  full_resync: duration.default(86400),
});

const listFeed = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,15}$/, 'expected a short name: a-z, 0-9, _ and -, at most 16 characters'),
  url: z.url().optional(),
  file: z.string().optional(),
  interval: duration.default(4 * 3600),
  max_bytes: z.number().int().min(1024).default(16 * 1024 * 1024),
  /** Entries stay banned this long after the list last had them. */
  lifetime: duration.default(2 * 86400),
}).refine((f) => !f.url !== !f.file, { message: 'give exactly one of url or file' });

const feeds = z.strictObject({
  apiban: apiban.optional(),
  lists: z.array(listFeed).default([]),
  /** Refuse feed entries broader than these prefix lengths. */
  min_prefix_v4: z.number().int().min(1).max(32).default(16),
  min_prefix_v6: z.number().int().min(1).max(128).default(32),
  /** Hold a sync that grows or shrinks a feed by more than this ratio until accepted. */
  max_change_ratio: z.number().min(0).default(0.5),
  /** Below this many entries a feed is never held for changing size. */
  hold_min_entries: z.number().int().min(0).default(100),
});

const api = z.strictObject({
  listen: hostPort.default('127.0.0.1:8787'),
  enabled: z.boolean().default(false),
  token: z.string().optional(),
});

export const configSchema = z.strictObject({
  sip: sip.prefault({}),
  allow: z.array(friend).default([]),
  /** How often DNS names in allow are resolved again. */
  allow_resolve_interval: duration.default(300),
  ranges: ranges.prefault({}),
  firewall: firewall.prefault({}),
  ban: ban.prefault({}),
  store: store.prefault({}),
  detect: detect.prefault({}),
  feeds: feeds.prefault({}),
  api: api.prefault({}),
  log: z.strictObject({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error']).default('info') }).prefault({}),
});

export type Config = z.output<typeof configSchema>;
export { cidr };
