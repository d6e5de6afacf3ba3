// sipwarden test-config / show-config
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { loadConfig, resolveConfigPath } from '../../config/load.ts';
import type { GlobalOptions } from '../context.ts';
import { info, printJson } from '../output.ts';

export function registerConfigCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command('test-config')
    .argument('[file]', 'the config to check (default: --config, $SIPWARDEN_CONFIG, /etc/sipwarden/sipwarden.yaml)')
    .description('check a config file (and its .local) and exit 0 if it is valid')
    .action((file?: string) => {
      const loaded = loadConfig(file ?? globals().config ?? resolveConfigPath());
      if (globals().json) printJson({ ok: true, files: loaded.files });
      else info(`config OK: ${loaded.files.join(' + ') || '(built-in defaults)'}`);
    });

  program
    .command('show-config')
    .description('print the merged config with every default filled in')
    .action(() => {
      const { config } = loadConfig(globals().config);
      if (globals().json) printJson(config);
      else process.stdout.write(stringify(config));
    });
}
