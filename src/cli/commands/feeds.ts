// sipwarden feeds / feeds sync [NAME] / feeds accept NAME
import type { Command } from 'commander';
import { formatDuration } from '../../core/duration.ts';
import { acceptHeld, listFeedStates, syncFeed, type FeedSyncResult } from '../../feeds/index.ts';
import { openContext, requireRoot, type Context, type GlobalOptions } from '../context.ts';
import { wireFeeds } from '../../service/feeds.ts';
import { EXIT } from '../exit-codes.ts';
import { formatTime, info, printJson, printTable, progress, progressDone } from '../output.ts';

/** Syncs one feed or every feed with a progress line per page; the exit code says if any failed. */
export async function syncFeeds(ctx: Context, name: string | undefined, json: boolean): Promise<FeedSyncResult[]> {
  const { feeds, deps } = wireFeeds(ctx.config, ctx.store, ctx.backend, ctx.policy, ctx.clock, ctx.log);
  const names = name ? [name] : feeds.map((f) => f.id);
  if (names.length === 0) info('no feeds configured (feeds.apiban, feeds.lists in the config)');
  const results: FeedSyncResult[] = [];
  for (const n of names) {
    const r = await syncFeed(n, feeds, deps, (p) => {
      if (!json) progress(`${p.feed}: page ${p.page}: ${p.count} entries${p.id ? `, ID ${p.id}` : ''} (${p.added} new, ${p.refreshed} refreshed, ${p.refused} refused)`);
    });
    if (!json) progressDone();
    results.push(r);
    if (json) continue;
    const refused = Object.entries(r.refused).map(([k, v]) => `${v} ${k}`).join(', ');
    if (r.error) info(`${n}: ${r.status}: ${r.error.message}`);
    else info(`${n}: ${r.status}: ${r.entries} entries in force (+${r.added} new, ${r.refreshed} refreshed, -${r.removed} removed${refused ? `; refused ${refused}` : ''}) in ${formatDuration(Math.ceil(r.durationMs / 1000))}`);
  }
  if (results.some((r) => r.status === 'error' || r.status === 'held')) process.exitCode = EXIT.FAILURE;
  return results;
}

export function registerFeedCommands(program: Command, globals: () => GlobalOptions): void {
  const feeds = program
    .command('feeds')
    .description('list the feeds: last sync, entries, last error, next run')
    .action(async () => {
      const ctx = await openContext(globals());
      try {
        const states = listFeedStates(ctx.store, ctx.config);
        if (globals().json) return printJson(states);
        if (states.length === 0) return info('no feeds configured (feeds.apiban, feeds.lists in the config)');
        printTable(
          ['FEED', 'ENTRIES', 'LAST SYNC', 'LAST OK', 'NEXT RUN', 'STATE'],
          states.map((s) => [s.feed, s.entries, formatTime(s.lastSync), formatTime(s.lastOk), formatTime(s.nextRun), s.held ? `HELD: ${s.held.reason}` : (s.lastError ?? 'ok')]),
        );
      } finally {
        ctx.close();
      }
    });

  feeds
    .command('sync')
    .argument('[name]', 'one feed (default: all)')
    .description('sync now, with a progress line per page; exit 1 if a feed failed or was held')
    .action(async (name?: string) => {
      const ctx = await openContext(globals(), { resolveNames: true });
      try {
        requireRoot(ctx.backend);
        const results = await syncFeeds(ctx, name, !!globals().json);
        if (globals().json) printJson(results);
      } finally {
        ctx.close();
      }
    });

  feeds
    .command('accept')
    .argument('<name>', 'the held feed')
    .description('apply a sync that was held because the feed changed too much')
    .action(async (name: string) => {
      const ctx = await openContext(globals(), { resolveNames: true });
      try {
        requireRoot(ctx.backend);
        const { deps } = wireFeeds(ctx.config, ctx.store, ctx.backend, ctx.policy, ctx.clock, ctx.log);
        const applied = await acceptHeld(name, deps);
        if (globals().json) printJson({ feed: name, accepted: applied });
        else info(applied ? `accepted and applied the held sync of ${name}` : `${name} has no held sync`);
      } finally {
        ctx.close();
      }
    });
}
