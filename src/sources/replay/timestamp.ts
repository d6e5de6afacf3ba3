// The time at the start of an Asterisk log line, in the forms Asterisk, syslog and journald write:
//   [2026-11-27 04:30:28] / [2026-11-27 04:30:28.123]   Asterisk dateformat=%F %T(.%3q) (FreePBX)
//   [Nov 27 04:30:28] / [Nov  7 04:30:28]               Asterisk's default %b %e %T (no year)
//   Nov 27 04:30:28 host asterisk[123]: ...             syslog (no year)
//   2026-11-27T04:30:28.123456+00:00 host ...           ISO 8601 (rsyslog, journalctl -o short-iso)
// Times without a zone are local time, as Asterisk writes them.

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const ISO_ZONED = /^\[?(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d))/;
const NUMERIC = /^\[?(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:[.,](\d{1,6}))?/;
const NAMED = /^\[?([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?/;
const DAY_MS = 86_400_000;

/**
 * Unix ms of the line's leading timestamp, or null. A timestamp without a year takes the year that
 * puts it at most a day after `reference` (a December line read in January belongs to last year).
 */
export function parseLogTimestamp(line: string, reference: number): number | null {
  const zoned = ISO_ZONED.exec(line);
  if (zoned) {
    const ms = Date.parse(zoned[1].replace(/([+-]\d\d)(\d\d)$/, '$1:$2'));
    return Number.isNaN(ms) ? null : ms;
  }
  const num = NUMERIC.exec(line);
  if (num) {
    const [y, mo, d, h, mi, s] = num.slice(1, 7).map(Number);
    return local(y, mo - 1, d, h, mi, s, fraction(num[7]));
  }
  const named = NAMED.exec(line);
  if (!named) return null;
  const month = MONTHS.indexOf(named[1].toLowerCase());
  if (month === -1) return null;
  const [d, h, mi, s] = named.slice(2, 6).map(Number);
  const year = new Date(reference).getFullYear();
  const ms = fraction(named[6]);
  const guess = local(year, month, d, h, mi, s, ms);
  if (guess !== null && guess > reference + DAY_MS) return local(year - 1, month, d, h, mi, s, ms);
  return guess;
}

function fraction(digits: string | undefined): number {
  return digits ? Math.floor(Number(`0.${digits}`) * 1000) : 0;
}

function local(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number | null {
  const t = new Date(y, mo, d, h, mi, s, ms);
  // Reject what Date would silently roll over (Feb 30, 25:00).
  if (t.getMonth() !== mo || t.getDate() !== d || t.getHours() !== h || mi > 59 || s > 60) return null;
  return t.getTime();
}
