// sipwarden apply / remove / render
import type { Command } from 'commander';
import { AppError } from '../../core/errors.ts';
import { renderFreepbx, renderForBackend } from '../../enforce/render-all.ts';
import { BanService } from '../../service/bans.ts';
import { feedNames } from '../../service/wiring.ts';
import { openContext, requireRoot, type GlobalOptions } from '../context.ts';
import { info, printJson } from '../output.ts';

export function registerFirewallCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command('apply')
    .description('compile config + store into the kernel: sets, rules, bans (idempotent, atomic)')
    .action(async () => {
      const ctx = await openContext(globals(), { resolveNames: true });
      try {
        requireRoot(ctx.backend);
        const svc = new BanService(ctx.store, ctx.backend, ctx.policy, ctx.clock);
        const r = await svc.apply(feedNames(ctx.config));
        if (globals().json) printJson({ backend: ctx.backend.name, bans: r.bans, friends: ctx.policy.friends.length });
        else info(`applied the ${ctx.backend.name} policy: ${r.bans} bans, ${ctx.policy.userAgents.length} User-Agent rules, ${ctx.policy.ranges.length} range lists, ${ctx.policy.friends.length} friends`);
      } finally {
        ctx.close();
      }
    });

  program
    .command('remove')
    .description('take every sipwarden set, chain and table out of the kernel (bans stay in the store)')
    .action(async () => {
      const ctx = await openContext(globals());
      try {
        requireRoot(ctx.backend);
        await ctx.backend.teardown();
        if (globals().json) printJson({ backend: ctx.backend.name, removed: true });
        else info(`removed sipwarden from the kernel (${ctx.backend.name}); \`sipwarden apply\` puts it back`);
      } finally {
        ctx.close();
      }
    });

  program
    .command('render')
    .option('--format <format>', 'iptables, nftables or freepbx', 'iptables')
    .description('print the ruleset without touching the kernel')
    .addHelpText('after', '\nfreepbx prints `-A fpbxreject ...` lines to paste into the FreePBX Firewall custom rules.')
    .action(async (opts: { format: string }) => {
      const ctx = await openContext(globals(), { resolveNames: true });
      try {
        const feeds = feedNames(ctx.config);
        if (opts.format === 'freepbx') process.stdout.write(renderFreepbx(ctx.policy));
        else if (opts.format === 'iptables' || opts.format === 'nftables') process.stdout.write(renderForBackend(opts.format, ctx.policy, feeds));
        else throw new AppError('ERR_USAGE', `--format '${opts.format}' is not supported: use iptables, nftables or freepbx`);
      } finally {
        ctx.close();
      }
    });
}
