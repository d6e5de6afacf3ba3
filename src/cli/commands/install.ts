// sipwarden install: the one-command setup. Writes the config (keeping an existing one), installs
// and starts a systemd unit (or says what to run where there is no systemd), then applies the
// policy and, with an APIBAN key, runs the first sync with progress.
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { parseDocument } from 'yaml';
import { loadConfig, resolveConfigPath } from '../../config/load.ts';
import { findTool, realExec } from '../../enforce/index.ts';
import { EXIT } from '../exit-codes.ts';
import type { GlobalOptions } from '../context.ts';
import { info } from '../output.ts';

export const UNIT_PATH = '/etc/systemd/system/sipwarden.service';

const DEFAULT_CONFIG = `# sipwarden configuration: docs/config.md documents every key.
# Local changes can also go into sipwarden.yaml.local, which is merged over this file.
sip:
  ports: "5060:5261"
  # Only REGISTERs for these domains get through; empty = no REGISTER filtering.
  register_domains: []
# Friends are never dropped: your office, your SIP trunk provider, your monitoring.
allow: []
ranges:
  ponytelecom: true
  vitox: true
firewall:
  backend: iptables
ban:
  time: 1h
store:
  path: /var/lib/sipwarden/sipwarden.db
detect:
  asterisk:
    logs: []
`;

export function unitFile(bin: string, config: string): string {
  return `[Unit]
Description=sipwarden: keeps bots out of this SIP server
Documentation=file://${dirname(dirname(bin))}/docs/README.md
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
ExecStartPre=${bin} --config ${config} test-config
ExecStart=${bin} --config ${config} run
ExecReload=/bin/kill -HUP $MAINPID
Restart=on-failure
RestartSec=5

[Install]
WantedBy=multi-user.target
`;
}

/** Writes the default config, or sets feeds.apiban.key in an existing one (comments kept). */
export function writeConfig(path: string, apibanKey?: string): 'created' | 'updated' | 'kept' {
  const exists = existsSync(path);
  if (exists && !apibanKey) return 'kept';
  const doc = parseDocument(exists ? readFileSync(path, 'utf8') : DEFAULT_CONFIG);
  if (apibanKey) doc.setIn(['feeds', 'apiban', 'key'], apibanKey);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, doc.toString(), { mode: 0o600 }); // it may hold the API key
  return exists ? 'updated' : 'created';
}

async function hasSystemd(): Promise<boolean> {
  return existsSync('/run/systemd/system') && findTool('systemctl') !== null;
}

export function registerInstallCommand(program: Command, globals: () => GlobalOptions, firstSync: (configPath: string) => Promise<void>): void {
  program
    .command('install')
    .option('--apiban-key <key>', 'your APIBAN key: enables the APIBAN feed and runs its first sync')
    .option('--no-start', 'write the config, apply and sync, but install no unit and start no daemon')
    .description('one-command setup: config, systemd unit, first apply (and APIBAN sync), start')
    .addHelpText('after', '\nExample:\n  sudo sipwarden install --apiban-key 0123456789abcdef')
    .action(async (opts: { apibanKey?: string; start: boolean }) => {
      const configPath = resolveConfigPath(globals().config);
      const what = writeConfig(configPath, opts.apibanKey);
      info(`config ${configPath}: ${what}`);
      loadConfig(configPath); // refuse to go on with a config that does not load
      const bin = realpathSync(join(dirname(realpathSync(process.argv[1])), '..', 'bin', 'sipwarden'));
      const apply = await realExec(bin, ['--config', configPath, 'apply']);
      process.stdout.write(apply.stdout);
      if (apply.code !== 0) {
        process.stderr.write(apply.stderr);
        process.exitCode = apply.code;
        return;
      }
      if (opts.apibanKey) await firstSync(configPath);
      if (!opts.start) return info('not started (--no-start)');
      if (await hasSystemd()) {
        writeFileSync(UNIT_PATH, unitFile(bin, configPath));
        for (const args of [['daemon-reload'], ['enable', '--now', 'sipwarden.service']]) {
          const r = await realExec('systemctl', args);
          if (r.code !== 0) {
            process.stderr.write(`sipwarden: systemctl ${args.join(' ')} failed: ${r.stderr}`);
            process.exitCode = EXIT.FAILURE;
            return;
          }
        }
        info(`installed ${UNIT_PATH} and started it: systemctl status sipwarden`);
      } else {
        info('this host has no systemd: start the daemon yourself, for example:');
        info(`  nohup ${bin} --config ${configPath} run >> /var/log/sipwarden.log 2>&1 &`);
      }
    });
}
