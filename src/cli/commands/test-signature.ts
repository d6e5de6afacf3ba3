// sipwarden test-signature FILE: our fail2ban-regex. Runs every signature over a log file (or an
// AMI event dump) offline, prints what matched, and checks `# expect:` annotations.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.ts';
import { AppError } from '../../core/errors.ts';
import { testSipSampleText } from '../../detect/sip-samples.ts';
import { testSignatureText } from '../../detect/test-signature.ts';
import type { GlobalOptions } from '../context.ts';
import { EXIT } from '../exit-codes.ts';
import { info, printJson } from '../output.ts';
import { configuredSignatures } from '../../service/signatures.ts';

export function registerTestSignatureCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('test-signature')
    .argument('<file>', 'an Asterisk log (one event per line); --format ami: AMI events; --format sip: SIP messages')
    .option('--format <format>', 'log, ami or sip (messages separated by ---, each with a `# src: IP:PORT dst: IP:PORT` line)', 'log')
    .option('--signature <id>', 'run only this signature (the shipped samples in test/fixtures/signatures/<id>.* expect one)')
    .option('-v, --verbose', 'print every line that matched and what it produced')
    .description('run the signatures over a file offline, like fail2ban-regex; exit 1 if an # expect: fails')
    .addHelpText('after', '\nAnnotate a line with `# expect: {"ip": "203.0.113.7", "kind": "auth-failure"}` (or `# expect: null`)\nabove it to turn the file into a test.')
    .action((file: string, opts: { format: string; verbose?: boolean; signature?: string }) => {
      if (!['log', 'ami', 'sip'].includes(opts.format)) throw new AppError('ERR_USAGE', `--format '${opts.format}' is not supported: use log, ami or sip`);
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (e) {
        throw new AppError('ERR_NOT_FOUND', `cannot read ${file}: ${(e as Error).message}`);
      }
      const { config } = loadConfig(globals().config);
      const all = configuredSignatures(config, { oneByOne: true });
      const signatures = opts.signature ? all.filter((s) => s.id === opts.signature) : all;
      if (signatures.length === 0) {
        throw new AppError('ERR_NOT_FOUND', `no signature '${opts.signature}'`, { hint: `known: ${all.map((s) => s.id).join(', ')}` });
      }
      const report = opts.format === 'sip' ? testSipSampleText(text, signatures) : testSignatureText(text, signatures, { format: opts.format as 'log' | 'ami', source: file });
      if (globals().json) printJson(report);
      else {
        const s = report.summary;
        for (const r of report.results) {
          if (r.ok === false) info(`FAIL line ${r.lineNo}: ${r.problem}\n  ${r.text}`);
          else if (opts.verbose && r.offenses.length) info(`line ${r.lineNo}: ${r.offenses.map((o) => `${o.signature} ${o.kind} ${o.ip}${o.account ? ` account=${o.account}` : ''}`).join('; ')}`);
        }
        info(`Lines: ${s.lines} lines, ${s.ignored} ignored, ${s.matched} matched, ${s.missed} missed`);
        info(`Signatures: ${Object.entries(s.perSignature).filter(([, n]) => n > 0).map(([id, n]) => `${id} ${n}`).join(', ') || 'none matched'}`);
        if (s.expectations) info(`Expectations: ${s.expectations - s.failed} of ${s.expectations} held`);
      }
      if (report.summary.failed > 0) process.exitCode = EXIT.FAILURE;
    });
}
