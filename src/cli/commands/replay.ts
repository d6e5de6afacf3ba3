// sipwarden replay FILE...: what would be banned, and why, from pcap/pcapng captures and Asterisk
// logs, with nothing touched. The rules see the files' own timestamps, all files merged in time
// order, so find_time windows and attempts play out as they did when the traffic happened.
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.ts';
import { formatDuration } from '../../core/duration.ts';
import { errorMessage } from '../../core/errors.ts';
import type { Decision, Offense } from '../../core/types.ts';
import { DetectionEngine } from '../../detect/engine.ts';
import { engineConfigFrom } from '../../detect/rules/config.ts';
import { compilePolicy } from '../../enforce/index.ts';
import { BUILTIN_USER_AGENTS } from '../../detect/signatures/scanner-user-agents.ts';
import { PrefixSet, tryParsePrefix } from '../../core/ip.ts';
import { mergeByTime } from '../../sources/replay/merge.ts';
import { replayFile } from '../../sources/replay/replay.ts';
import { createStats } from '../../sources/source.ts';
import type { GlobalOptions } from '../context.ts';
import { EXIT } from '../exit-codes.ts';
import { info, printJson, progress, progressDone } from '../output.ts';
import { configuredSignatures } from '../../service/signatures.ts';
import { friendlyHostAddresses, resolveFriendNames } from '../../service/wiring.ts';
import { silentLogger } from '../../core/log.ts';

export interface ReplayReport {
  offenses: { ip: string; signature: string; account: string | null; at: string }[];
  decisions: { target: string; origin: string; reason: string; ban_time: number }[];
}

export function registerReplayCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('replay')
    .argument('<files...>', '.pcap/.pcapng captures and Asterisk log files')
    .description('print what would be banned and why, from captures and logs (changes nothing)')
    .addHelpText('after', '\n--json prints {"offenses": [{"ip","signature","account","at"}], "decisions": [{"target","origin","reason","ban_time"}]}.')
    .action(async (files: string[]) => {
      const json = !!globals().json;
      const { config } = loadConfig(globals().config);
      // The same friends the daemon spares: allow (names resolved), loopback, this host.
      const policy = compilePolicy(config, {
        builtinUserAgents: BUILTIN_USER_AGENTS,
        resolvedFriends: await resolveFriendNames(config, silentLogger),
        hostAddresses: friendlyHostAddresses(),
      });
      const friends = new PrefixSet();
      for (const f of policy.friends) friends.add(f, true);
      let now = 0; // the clock follows the files' own time
      const engine = new DetectionEngine(engineConfigFrom(config), {
        clock: { now: () => now },
        isFriend: (ip) => {
          const p = tryParsePrefix(ip);
          return !!p && friends.has(p);
        },
      });
      const signatures = configuredSignatures(config);
      const offenses: Offense[] = [];
      const decisions: Decision[] = [];
      let failed = false;
      // All files at once, merged by time: the rules see the lines and packets in the order they
      // happened, whatever file they are in (see sources/replay/merge.ts).
      const stats = files.map(() => createStats());
      const read = files.map(() => 0);
      const total = files.map(() => 1);
      const inputs = files.map((file, i) =>
        replayFile(file, {
          ports: config.sip.ports,
          stats: stats[i],
          onProgress: json ? undefined : (p) => {
            read[i] = p.bytesRead;
            total[i] = Math.max(1, p.totalBytes);
            const pct = Math.floor((100 * sum(read)) / sum(total));
            progress(`${files.length === 1 ? files[0] : `${files.length} files`}: ${pct}% (${sum(stats.map((x) => x.received))} events)`);
          },
        }),
      );
      const onError = (i: number, e: unknown) => {
        failed = true;
        process.stderr.write(`sipwarden: ${files[i]}: ${errorMessage(e)}\n`);
      };
      for await (const ev of mergeByTime(inputs, onError)) {
        now = Math.max(now, ev.at);
        for (const sig of signatures) {
          const o = sig.match(ev);
          if (!o) continue;
          offenses.push(o);
          decisions.push(...engine.offense(o));
        }
      }
      if (!json) {
        progressDone();
        files.forEach((file, i) => {
          const st = stats[i];
          const why = st.skipped ? ` (${Object.entries(st.skippedByReason).map(([k, v]) => `${v} ${k}`).join(', ')})` : '';
          info(`${file}: ${st.received} events, ${st.skipped} skipped${why}`);
        });
      }
      const report: ReplayReport = {
        offenses: offenses.map((o) => ({ ip: o.ip, signature: o.signature, account: o.account ?? null, at: new Date(o.at).toISOString() })),
        decisions: decisions.map((d) => ({ target: d.target, origin: d.origin, reason: d.reason, ban_time: d.duration })),
      };
      if (json) printJson(report);
      else {
        info(`${offenses.length} offenses, ${decisions.length} bans would be issued`);
        for (const d of decisions) info(`  ban ${d.target} for ${d.duration ? formatDuration(d.duration) : 'ever'}  ${d.origin}  ${d.reason}`);
      }
      if (failed) process.exitCode = EXIT.FAILURE;
    });
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
