// sipwarden check IP: is it blocked, by what, until when; or is it a friend.
import type { Command } from 'commander';
import { AppError } from '../../core/errors.ts';
import { PrefixSet, normalizeIp, parseTarget, type Prefix } from '../../core/ip.ts';
import { checkOnline } from '../../feeds/index.ts';
import type { Context } from '../context.ts';
import { openContext, type GlobalOptions } from '../context.ts';
import { info, printJson } from '../output.ts';

export interface CheckReason {
  origin: string;
  reason: string;
  /** ISO time, or null for no expiry. */
  expires: string | null;
  /** The ban, list entry or rule that covers the address. */
  target?: string;
}

export interface CheckResult {
  ip: string;
  blocked: boolean;
  friend: boolean;
  friend_reason?: string;
  reasons: CheckReason[];
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export async function checkIp(ctx: Context, ip: Prefix): Promise<CheckResult> {
  const reasons: CheckReason[] = [];
  const now = ctx.clock.now();
  // Exact rows, then prefix rows (few), from the store: bans from the CLI, rules and feeds.
  const rows = ctx.store.db
    .prepare("SELECT * FROM bans WHERE (expires IS NULL OR expires > ?) AND (target = ? OR (family = ? AND target LIKE '%/%'))")
    .all(now, ip.text, ip.family) as { target: string; origin: string; reason: string; expires: number | null }[];
  for (const r of rows) {
    const set = new PrefixSet();
    set.add(parseTarget(r.target), true);
    if (set.has(ip)) reasons.push({ origin: r.origin, reason: r.reason, expires: iso(r.expires), target: r.target });
  }
  for (const range of ctx.policy.ranges) {
    const set = new PrefixSet<string>();
    for (const p of range.prefixes) set.add(p, p.text);
    const hit = set.lookup(ip);
    if (hit) reasons.push({ origin: `range:${range.name}`, reason: `in the built-in ${range.name} range list (${range.proto === 'udp' ? 'UDP only' : 'all protocols'})`, expires: null, target: hit.prefix });
  }
  if (ctx.backend.name !== 'none' && process.getuid?.() === 0) {
    const scanners = await ctx.backend.listScanners();
    const e = scanners.get(ip.text);
    if (e) reasons.push({ origin: 'signature:kernel-scanner', reason: 'sent a scanner User-Agent or an injection probe; banned by the kernel on that packet', expires: e.timeout === null ? null : iso(now + e.timeout * 1000), target: ip.text });
  }
  const friends = new PrefixSet<string>();
  for (const f of ctx.policy.friends) friends.add(f, 'allow list, loopback or this host');
  for (const f of ctx.store.activeFriends()) friends.add(parseTarget(f.target), `${f.origin}: ${f.reason}`);
  const friend = friends.lookup(ip);
  return {
    ip: ip.text,
    blocked: reasons.length > 0 && !friend,
    friend: !!friend,
    ...(friend ? { friend_reason: `${friend.prefix} (${friend.value})` } : {}),
    reasons,
  };
}

export function registerCheckCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('check')
    .argument('<ip>', 'the address to explain')
    .option('--online', 'also ask APIBAN whether it lists the address now')
    .description('is this IP blocked, by what and until when, or is it a friend?')
    .addHelpText('after', '\nExit code 0 either way; read "blocked" in --json output from scripts.')
    .action(async (text: string, opts: { online?: boolean }) => {
      const addr = normalizeIp(text);
      if (!addr) throw new AppError('ERR_TARGET_INVALID', `invalid IP '${text}': expected an IPv4 or IPv6 address`);
      const ctx = await openContext(globals(), { resolveNames: true }); // friends named in `allow` count
      try {
        const result: CheckResult & { apiban_online?: unknown } = await checkIp(ctx, parseTarget(addr));
        if (opts.online) {
          const online = await checkOnline(ctx.config, addr);
          result.apiban_online = online;
        }
        if (globals().json) return printJson(result);
        if (opts.online) info(`APIBAN (online): ${JSON.stringify(result.apiban_online)}`);
        if (result.friend) info(`${result.ip} is a friend: ${result.friend_reason}; sipwarden never drops it`);
        if (result.reasons.length === 0) return info(result.friend ? '' : `${result.ip} is not blocked`);
        info(`${result.ip} is ${result.blocked ? 'BLOCKED' : 'covered, but spared as a friend'} by:`);
        for (const r of result.reasons) info(`  ${r.origin}  ${r.target ?? ''}  until ${r.expires ?? (r.origin.startsWith('range:') ? 'the list is switched off' : 'unbanned')}  ${r.reason}`);
      } finally {
        ctx.close();
      }
    });
}
