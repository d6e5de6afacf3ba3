// The sipwarden command line. One file per command group under commands/; this file wires them
// and turns errors into a message, a hint and an exit code.
import { Command, CommanderError } from 'commander';
import { isAppError } from '../core/errors.ts';
import { registerBanCommands } from './commands/bans.ts';
import { registerCheckCommand } from './commands/check.ts';
import { registerConfigCommands } from './commands/config.ts';
import { registerDoctorCommand } from './commands/doctor.ts';
import { registerFeedCommands, syncFeeds } from './commands/feeds.ts';
import { registerFirewallCommands } from './commands/firewall.ts';
import { registerInstallCommand } from './commands/install.ts';
import { registerReplayCommand } from './commands/replay.ts';
import { registerRunCommand } from './commands/run.ts';
import { registerTestSignatureCommand } from './commands/test-signature.ts';
import { openContext, type GlobalOptions } from './context.ts';
import { EXIT, exitCodeFor } from './exit-codes.ts';

const program = new Command('sipwarden')
  .description('Keeps bots out of SIP servers: kernel-set bans, scanner policy, detection and feeds.')
  .option('-c, --config <file>', 'config file (default: $SIPWARDEN_CONFIG or /etc/sipwarden/sipwarden.yaml)')
  .option('--backend <name>', 'override firewall.backend: iptables, nftables or none (dry run)')
  .option('--json', 'machine-readable output')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride()
  .addHelpText(
    'after',
    `
Start here:
  sipwarden doctor                 what this host has and lacks
  sipwarden apply                  put the policy and the bans into the kernel
  sipwarden check 203.0.113.7      is it blocked, and why?
  sipwarden ban 203.0.113.7 --for 1d --reason "toll fraud"
  sipwarden run                    the daemon (detection, feeds, expiry, reconcile)
Every command takes --config FILE; every listing takes --json. Docs: docs/cli.md, docs/config.md.`,
  );

const globals = (): GlobalOptions => program.opts<GlobalOptions>();
registerFirewallCommands(program, globals);
registerBanCommands(program, globals);
registerCheckCommand(program, globals);
registerConfigCommands(program, globals);
registerDoctorCommand(program, globals);
registerRunCommand(program, globals);
registerFeedCommands(program, globals);
registerTestSignatureCommand(program, globals);
registerReplayCommand(program, globals);
registerInstallCommand(program, globals, async (configPath) => {
  const ctx = await openContext({ ...globals(), config: configPath }, { resolveNames: true });
  try {
    await syncFeeds(ctx, 'apiban', false);
  } finally {
    ctx.close();
  }
});
for (const cmd of program.commands) cmd.exitOverride().showHelpAfterError();

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    process.exit(e.exitCode === 0 ? EXIT.OK : EXIT.USAGE);
  }
  if (isAppError(e)) {
    if (globals().json) process.stderr.write(`${JSON.stringify({ error: e.code, message: e.message, hint: e.hint })}\n`);
    else process.stderr.write(`sipwarden: ${e.message}\n${e.hint ? `  hint: ${e.hint}\n` : ''}`);
    process.exit(exitCodeFor(e.code));
  }
  process.stderr.write(`sipwarden: unexpected error: ${(e as Error).stack ?? e}\n`);
  process.exit(EXIT.FAILURE);
}
