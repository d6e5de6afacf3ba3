// sipwarden run (the daemon, in the foreground) and sipwarden status.
import { serviceLines } from './status-text.ts';
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.ts';
import { createLogger } from '../../core/log.ts';
import { Daemon } from '../../main.ts';
import { Store } from '../../store/store.ts';
import { systemClock } from '../../core/clock.ts';
import type { GlobalOptions } from '../context.ts';
import { info, printJson } from '../output.ts';

export function registerRunCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('run')
    .description('run the daemon in the foreground: apply, detect, sync feeds, expire, reconcile')
    .addHelpText('after', '\nSIGHUP reloads the config; SIGTERM/SIGINT stop in order and leave the bans in the kernel.')
    .action(async () => {
      const { config } = loadConfig(globals().config);
      const log = createLogger(config.log.level);
      const daemon = new Daemon({ configPath: globals().config, backend: globals().backend, log });
      const { services } = await import('../../service/daemon-services.ts');
      await daemon.start(services);
      await new Promise<void>((resolve) => {
        const stop = (sig: string) => {
          log.info({ signal: sig }, 'stopping');
          daemon.stop().then(resolve, (e) => {
            log.error({ err: String(e) }, 'stop failed');
            resolve();
          });
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
        process.on('SIGHUP', () => {
          log.info('SIGHUP: reloading the config');
          daemon.reload().catch((e) => log.error({ err: String(e) }, 'reload failed'));
        });
        log.info({ pid: process.pid }, 'sipwarden running');
      });
    });

  program
    .command('status')
    .description("the running daemon's state: backend, bans, sources, feeds, counters")
    .action(() => {
      const { config } = loadConfig(globals().config);
      const store = new Store(config.store.path, systemClock);
      try {
        const raw = store.getKv('daemon.status');
        const status = raw ? JSON.parse(raw) : null;
        const running = status && !status.stopped && Date.now() - Date.parse(status.updated) < 30_000;
        const out = { running: !!running, ...(status ?? {}) };
        if (globals().json) return printJson(out);
        if (!status) return info('the daemon has never run with this store (sipwarden run)');
        info(`daemon ${running ? `running (pid ${status.pid})` : 'not running'}; last seen ${status.updated}; backend ${status.backend}; ${status.bans} active bans`);
        for (const [name, s] of Object.entries(status.services ?? {})) for (const line of serviceLines(name, s)) info(line);
      } finally {
        store.close();
      }
    });
}
