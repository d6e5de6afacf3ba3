// `sipwarden status` for people: the daemon's snapshot (the same object `--json` prints) as short
// lines, the problems first in each part (skips by reason, refused lines, the last error).
// Unknown services and fields are still shown, so a new counter is never hidden.

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

/** Lines describing one service's status (detection, feeds, others as key=value). */
export function serviceLines(name: string, s: unknown): string[] {
  if (name === 'detection' && isObj(s)) return detectionLines(s);
  if (name === 'feeds' && Array.isArray(s)) return feedLines(s);
  return [`${name}: ${inline(s)}`];
}

function detectionLines(d: Obj): string[] {
  const c = isObj(d.counts) ? d.counts : {};
  const e = isObj(d.engine) ? d.engine : {};
  const out = [
    `detection: ${plural(num(c.events), 'event')}, ${plural(num(c.offenses), 'offense')}, ${plural(num(c.bans), 'ban')}` +
      (num(c.refused) ? `, ${num(c.refused)} bans refused` : '') +
      (num(c.errors) ? `, ${plural(num(c.errors), 'error')}` : ''),
  ];
  const decisions = isObj(e.decisions) ? Object.entries(e.decisions).map(([k, v]) => `${k} ${v}`).join(', ') : '';
  out.push(
    `  rules: ${decisions || 'no decisions'}; ${num(e.joinedAttempts)} lines joined an attempt, ` +
      `${num(e.alreadyBanned)} from banned sources, ${num(e.friendOffenses)} from friends`,
  );
  out.push(`  state: ${plural(num(e.tracked), 'tracked source')} (${num(e.evicted)} evicted), ${plural(num(e.learnedFriends), 'learned friend')}`);
  const refused = isObj(d.refusedLines) ? Object.entries(d.refusedLines) : [];
  if (refused.length) out.push(`  refused log lines (nobody banned): ${refused.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  for (const [id, st] of Object.entries(isObj(d.sources) ? d.sources : {})) out.push(...sourceLines(id, st));
  return out;
}

function sourceLines(id: string, st: unknown): string[] {
  if (!isObj(st)) return [`  ${id}`];
  const { received, skipped, skippedByReason, restarts, lastError, ...more } = st;
  const extra = Object.entries(more).map(([k, v]) => `${k} ${inline(v)}`);
  const out = [`  ${id}: received ${num(received)}, skipped ${num(skipped)}, restarts ${num(restarts)}${extra.length ? `, ${extra.join(', ')}` : ''}`];
  const reasons = isObj(skippedByReason) ? Object.entries(skippedByReason) : [];
  if (reasons.length) out.push(`    skipped: ${reasons.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  if (lastError) out.push(`    last error: ${String(lastError)}`);
  return out;
}

function feedLines(feeds: unknown[]): string[] {
  if (feeds.length === 0) return ['feeds: none configured'];
  return [
    'feeds:',
    ...feeds.map((f) => {
      if (!isObj(f)) return `  ${inline(f)}`;
      const next = typeof f.nextRun === 'number' ? new Date(f.nextRun).toISOString() : 'not scheduled';
      const state = f.running ? 'syncing now' : `next sync ${next}`;
      return `  ${String(f.feed)}: ${state}${num(f.failures) ? `, ${plural(num(f.failures), 'failure')} in a row` : ''}`;
    }),
  ];
}

function inline(v: unknown): string {
  if (isObj(v)) return Object.entries(v).map(([k, x]) => `${k}=${inline(x)}`).join(' ');
  if (Array.isArray(v)) return v.map(inline).join(',');
  return String(v);
}
