// One attempt, several lines: a failed PJSIP REGISTER writes a NOTICE plus InvalidAccountID /
// ChallengeResponseFailed with the same Call-ID. Lines with the same attempt key within a short
// window count once, unless the same event repeats: a brute-forcer that keeps one Call-ID and bumps
// CSeq writes the same event again for each guess, and each of those is a new attempt.
import type { Offense } from '../../core/types.ts';
import { eventOf } from './hit.ts';
import type { SourceState } from './source-table.ts';

/** How long the lines of one attempt may be spread over. */
export const ATTEMPT_WINDOW_MS = 5000;
/** Interleaved attempts (different Call-IDs) remembered per source besides the latest. */
const MORE_GROUPS = 3;

/** True when the offense starts a new attempt (to be counted); false when it joins one. */
export function isNewAttempt(s: SourceState, o: Offense): boolean {
  if (!o.attempt) return true;
  const event = eventOf(o);
  if (s.groupKey === o.attempt) {
    if (joins(s.groupStart, s.groupSeen, o, event)) {
      s.groupSeen += `\n${event}`;
      return false;
    }
  } else {
    const g = s.moreGroups?.find((x) => x.key === o.attempt);
    if (g && joins(g.start, g.seen, o, event)) {
      g.seen += `\n${event}`;
      return false;
    }
    if (s.groupKey !== '') {
      const more = (s.moreGroups ?? []).filter((x) => x.key !== o.attempt);
      more.push({ key: s.groupKey, start: s.groupStart, seen: s.groupSeen });
      s.moreGroups = more.length > MORE_GROUPS ? more.slice(-MORE_GROUPS) : more;
    }
  }
  s.groupKey = o.attempt;
  s.groupStart = o.at;
  s.groupSeen = event;
  return true;
}

function joins(start: number, seen: string, o: Offense, event: string): boolean {
  return o.at >= start && o.at - start <= ATTEMPT_WINDOW_MS && !seen.split('\n').includes(event);
}
