// sipwarden ban / unban / bans
import type { Command } from 'commander';
import { parseDuration, formatDuration } from '../../core/duration.ts';
import { BanService } from '../../service/bans.ts';
import { openContext, requireRoot, type GlobalOptions } from '../context.ts';
import { formatTime, info, printJson, printTable } from '../output.ts';

function service(ctx: Awaited<ReturnType<typeof openContext>>): BanService {
  return new BanService(ctx.store, ctx.backend, ctx.policy, ctx.clock);
}

export function registerBanCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command('ban')
    .argument('<target>', 'IPv4/IPv6 address or CIDR prefix')
    .option('--for <duration>', 'how long: 90s, 10m, 1h, 7d; 0 = until unbanned (default: ban.time)')
    .option('--reason <text>', 'why, shown by `check` and `bans`', 'banned by hand')
    .description('ban an address or prefix now (store + kernel)')
    .addHelpText('after', '\nExamples:\n  sipwarden ban 203.0.113.7 --for 1d --reason "toll fraud attempt"\n  sipwarden ban 198.51.100.0/24 --for 0')
    .action(async (target: string, opts: { for?: string; reason: string }) => {
      const ctx = await openContext(globals(), { resolveNames: true }); // a friend named in `allow` is refused too
      try {
        const duration = opts.for === undefined ? ctx.config.ban.time : parseDuration(opts.for, '--for');
        requireRoot(ctx.backend);
        const ban = await service(ctx).ban({ target, duration, origin: 'cli', reason: opts.reason });
        if (globals().json) printJson(ban);
        else info(`banned ${ban.target} ${ban.expires === null ? 'until unbanned' : `for ${formatDuration(duration)} (until ${formatTime(ban.expires)})`}`);
      } finally {
        ctx.close();
      }
    });

  program
    .command('unban')
    .argument('<target>', 'the address or prefix to release')
    .description('lift a ban (store + kernel, including a kernel scanner ban)')
    .action(async (target: string) => {
      const ctx = await openContext(globals());
      try {
        requireRoot(ctx.backend);
        const existed = await service(ctx).unban(target);
        if (globals().json) printJson({ target, unbanned: true, was_banned: existed });
        else info(existed ? `unbanned ${target}` : `${target} had no ban in the store; removed it from the kernel sets if it was there`);
      } finally {
        ctx.close();
      }
    });

  program
    .command('bans')
    .option('--origin <prefix>', 'only bans whose origin starts with this (cli, rule:, feed:apiban, signature:)')
    .description('list active bans: the store, plus scanners the kernel banned on their first packet')
    .action(async (opts: { origin?: string }) => {
      const ctx = await openContext(globals());
      try {
        const now = ctx.clock.now();
        let rows = ctx.store.activeBans().map((b) => ({ target: b.target, origin: b.origin, reason: b.reason, created: b.created, expires: b.expires, hits: b.hits }));
        if (ctx.backend.name !== 'none' && process.getuid?.() === 0) {
          for (const [target, e] of await ctx.backend.listScanners()) {
            rows.push({ target, origin: 'signature:kernel-scanner', reason: 'caught by a User-Agent or injection rule on its first packet', created: now, expires: e.timeout === null ? null : now + e.timeout * 1000, hits: 1 });
          }
        }
        if (opts.origin) rows = rows.filter((r) => r.origin.startsWith(opts.origin!));
        if (globals().json) return printJson(rows);
        if (rows.length === 0) return info('no active bans');
        printTable(['TARGET', 'ORIGIN', 'EXPIRES', 'HITS', 'REASON'], rows.map((r) => [r.target, r.origin, formatTime(r.expires), r.hits, r.reason]));
      } finally {
        ctx.close();
      }
    });
}
