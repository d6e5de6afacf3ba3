// One attempt, several lines: a failed REGISTER writes a NOTICE to the messages log plus an
// InvalidAccountID / ChallengeResponseFailed SECURITY event, in another file when both logs are read
// (and the same event again over AMI when that is read too). Lines with the same attempt key (the
// Call-ID for PJSIP, the account for chan_sip: see asterisk-common.ts chanSipAttempt) within a few
// seconds of each other form one group. Each kind of line (each signature) appears at most once per
// attempt, so a group counts as many attempts as its most frequent signature: NOTICE + SECURITY is
// one attempt, NOTICE ×3 + SECURITY ×3 is three, in whatever order the lines arrive. A guesser that
// keeps one Call-ID and bumps CSeq writes the same lines again for each guess, so each guess counts;
// nothing the attacker writes (method names, accounts) can make two guesses look like one, because
// the tally is by signature id, which is ours.
import type { Offense } from '../../core/types.ts';
import { detached } from './detached.ts';
import type { AttemptGroup, SourceState } from './source-table.ts';

/** How far apart in time two lines of one group may be (from the group's earliest and latest line). */
export const ATTEMPT_WINDOW_MS = 5000;
/** Interleaved attempts (different keys) remembered per source besides the latest. */
const MORE_GROUPS = 7;

/** True when the offense starts a new attempt (to be counted); false when it joins one. */
export function isNewAttempt(s: SourceState, o: Offense): boolean {
  if (!o.attempt) return true;
  if (s.groupKey === o.attempt) {
    if (s.groupTally && near(s.groupStart, s.groupLast, o.at)) {
      s.groupStart = Math.min(s.groupStart, o.at);
      s.groupLast = Math.max(s.groupLast, o.at);
      return countLine(s.groupTally, o.signature);
    }
  } else {
    const g = s.moreGroups?.find((x) => x.key === o.attempt);
    if (g && near(g.start, g.last, o.at)) {
      g.start = Math.min(g.start, o.at);
      g.last = Math.max(g.last, o.at);
      return countLine(g.tally, o.signature);
    }
    if (s.groupTally) remember(s, { key: s.groupKey, start: s.groupStart, last: s.groupLast, tally: s.groupTally });
  }
  s.groupKey = detached(o.attempt);
  s.groupStart = s.groupLast = o.at;
  s.groupTally = [o.signature, 1];
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
 * Counts one line of `signature` into a group's tally (pairs: signature id, count; bounded by the
 * number of signatures) and says whether it starts a new attempt: it does when its signature is now
 * the group's most frequent alone.
 */
function countLine(tally: (string | number)[], signature: string): boolean {
  let mine = 0;
  let others = 0;
  let at = -1;
  for (let i = 0; i < tally.length; i += 2) {
    if (tally[i] === signature) at = i;
    else others = Math.max(others, tally[i + 1] as number);
  }
  if (at < 0) tally.push(signature, (mine = 1));
  else tally[at + 1] = mine = (tally[at + 1] as number) + 1;
  return mine > others;
}
