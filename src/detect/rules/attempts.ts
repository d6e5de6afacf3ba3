// One attempt, several lines: a failed REGISTER writes a NOTICE to the messages log plus an
// InvalidAccountID / ChallengeResponseFailed SECURITY event, in another file when both logs are read.
// Lines with the same attempt key (the Call-ID for PJSIP, the account for chan_sip: see
// asterisk-common.ts chanSipAttempt) close together in time form one group, and the group counts as
// many attempts as its most frequent event: NOTICE + SECURITY is one attempt, NOTICE ×3 + SECURITY ×3
// is three, whatever order the two files' lines arrive in (a replay may read one file whole before
// the other). A brute-forcer that keeps one Call-ID and bumps CSeq writes the same event again for
// each guess, so each guess still counts.
import type { Offense } from '../../core/types.ts';
import { eventOf } from './hit.ts';
import type { AttemptGroup, SourceState } from './source-table.ts';

/** How far apart in time two lines of one group may be (from the group's earliest and latest line). */
export const ATTEMPT_WINDOW_MS = 5000;
/** Interleaved attempts (different keys) remembered per source besides the latest. */
const MORE_GROUPS = 3;
/** Distinct events a group tracks; a line with one more starts a fresh group. */
const MAX_GROUP_EVENTS = 8;

/** True when the offense starts a new attempt (to be counted); false when it joins one. */
export function isNewAttempt(s: SourceState, o: Offense): boolean {
  if (!o.attempt) return true;
  const event = eventOf(o);
  if (s.groupKey === o.attempt) {
    const joined = near(s.groupStart, s.groupLast, o.at) ? join(s.groupSeen, event) : null;
    if (joined) {
      s.groupStart = Math.min(s.groupStart, o.at);
      s.groupLast = Math.max(s.groupLast, o.at);
      s.groupSeen = joined[0];
      return joined[1];
    }
  } else {
    const g = s.moreGroups?.find((x) => x.key === o.attempt);
    const joined = g && near(g.start, g.last, o.at) ? join(g.seen, event) : null;
    if (g && joined) {
      g.start = Math.min(g.start, o.at);
      g.last = Math.max(g.last, o.at);
      g.seen = joined[0];
      return joined[1];
    }
    if (s.groupKey !== '') remember(s, { key: s.groupKey, start: s.groupStart, last: s.groupLast, seen: s.groupSeen });
  }
  s.groupKey = o.attempt;
  s.groupStart = s.groupLast = o.at;
  s.groupSeen = `${event}=1`;
  return true;
}

function remember(s: SourceState, g: AttemptGroup): void {
  const more = (s.moreGroups ?? []).filter((x) => x.key !== g.key);
  more.push(g);
  s.moreGroups = more.length > MORE_GROUPS ? more.slice(-MORE_GROUPS) : more;
}

function near(start: number, last: number, at: number): boolean {
  return at >= start - ATTEMPT_WINDOW_MS && at <= last + ATTEMPT_WINDOW_MS;
}

/**
 * Counts one `event` line into a group's tally and says whether it starts a new attempt: it does
 * when its event is now the group's most frequent alone. The tally is "event=count" lines, so a
 * group that lives through a long attack stays a few short lines.
 */
function join(seen: string, event: string): [string, boolean] | null {
  const counts = countsOf(seen);
  const mine = (counts.get(event) ?? 0) + 1;
  if (mine === 1 && counts.size >= MAX_GROUP_EVENTS) return null;
  counts.set(event, mine);
  let isNew = true;
  const out: string[] = [];
  for (const [e, n] of counts) {
    if (e !== event && n >= mine) isNew = false;
    out.push(`${e}=${n}`);
  }
  return [out.join('\n'), isNew];
}

function countsOf(seen: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const entry of seen.split('\n')) {
    const eq = entry.lastIndexOf('=');
    counts.set(entry.slice(0, eq), Number(entry.slice(eq + 1)));
  }
  return counts;
}
