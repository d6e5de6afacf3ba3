// Splits an Asterisk log line into the part Asterisk wrote (timestamp, level, file, function) and the
// message. Everything before the message is written by Asterisk or syslog, so the attacker's text can
// only ever start inside `message`: the signatures anchor their IP captures on that fact.
//
// Forms accepted (each with or without ANSI colour codes, raw ESC or rsyslog's `#033` rendering):
//   [2026-11-27 03:20:01] NOTICE[1638] chan_sip.c: ...
//   [2026-11-27 03:20:01.123] NOTICE[1638][C-0000001d]: chan_sip.c:28468 handle_request_register: ...
//   [Nov 27 03:20:01] NOTICE [22382] manager.c: ...
//   Nov  4 18:30:40 host asterisk[32229]: NOTICE[32257]: chan_sip.c:23417 in handle_request_register: ...
//   2026-11-27T03:20:01+00:00 host asterisk[1]: [Nov 27 03:20:01] SECURITY[73]: res_security_log.c:114 f: ...
//   NOTICE[566]: chan_sip.c:28926 handle_request_register: ...         (journald message field)
//   [2013-11-11 14:33:38] WARNING[6756][C-0000001d] Ext. s: "..."        (FreePBX dialplan Log(), no file)
import type { RawEvent } from '../../core/types.ts';

export interface AsteriskLine {
  /** NOTICE, WARNING or SECURITY: a line at any other level (VERBOSE, DEBUG) gives no AsteriskLine. */
  level: 'NOTICE' | 'WARNING' | 'SECURITY';
  /** The source file Asterisk named ("chan_sip.c", "res_pjsip/pjsip_distributor.c"), or '' if none. */
  file: string;
  /** The text after the prefix: the only part an attacker can influence. */
  message: string;
  /** Asterisk's own timestamp text, or the syslog/journal one, or '' (parsed only when needed). */
  stamp: string;
}

// Syslog/journal header: "Nov  4 18:30:40 host " or "2026-11-27T03:20:01.5+00:00 host ", then "asterisk[pid]: ".
const SYSLOG_HEAD =
  /^(?:([A-Z][a-z]{2} {1,2}\d{1,2} \d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?) +)?\S+ +[\w./-]*asterisk\[\d+\]: */y;
// Asterisk's own part after the optional "[stamp] ": LEVEL[tid] (a space may precede the bracket), an
// optional channel id, then "file.c(:line)?( in)?( func)?: " (absent for dialplan Log()).
const AFTER_LEVEL = / ?\[\d+\](?:\[C-[0-9a-fA-F]+\])?:? +(?:([\w/.-]+\.c)(?::\d+)?(?: in)?(?: \w+)?: +)?/y;

/** The levels attacks are logged at; VERBOSE/DEBUG lines echo attacker text and are never read. */
function alertLevelAt(line: string, pos: number): AsteriskLine['level'] | null {
  // One character decides which level it can be: most lines are VERBOSE and stop here.
  const c = line.charCodeAt(pos);
  const level: AsteriskLine['level'] | null = c === 83 /* S */ ? 'SECURITY' : c === 78 /* N */ ? 'NOTICE' : c === 87 /* W */ ? 'WARNING' : null;
  if (level === null || !textAt(line, pos, level)) return null;
  const next = line.charCodeAt(pos + level.length);
  return next >= 65 && next <= 90 ? null : level; // "NOTICES" is not NOTICE
}

// ESC[...m and its "#033[...m" rendering (rsyslog escapes control characters that way).
const ANSI = /(?:\x1b|#033)\[[0-9;]*m/g;

/** Parses the prefix; null when the line is not an Asterisk NOTICE/WARNING/SECURITY line. */
export function parseAsteriskLine(raw: string): AsteriskLine | null {
  // Colour codes are rare and sit in the prefix; look for them only when the plain parse stumbles
  // (a VERBOSE line with a plain level is settled without scanning the line for them).
  const plain = parsePlain(raw);
  if (plain === OTHER_LEVEL) return null;
  if (plain !== null && !startsWithAnsi(plain.message)) return plain;
  if (!raw.includes('\x1b') && !raw.includes('#033[')) return plain;
  const stripped = parsePlain(raw.replace(ANSI, ''));
  return stripped === OTHER_LEVEL ? null : stripped;
}

/** A plain (uncoloured) level that is not one we read: the line is settled. */
const OTHER_LEVEL = Symbol('other level');

function startsWithAnsi(s: string): boolean {
  const c = s.charCodeAt(0);
  return c === 27 || (c === 35 && s.startsWith('#033['));
}

/**
 * True when `text` lies in `s` at `pos` (pos >= 0): s.startsWith(text, pos), which costs ~65 ns a call here
 * (Node 20) while a differing first or second character, the usual answer, is settled in a few, and
 * a match of up to 32 characters (`SecurityEvent="`, the event names) in a loop of ~1 ns each.
 */
export function textAt(s: string, pos: number, text: string): boolean {
  if (text.length === 0) return s.startsWith(text, pos);
  if (s.charCodeAt(pos) !== text.charCodeAt(0) || (text.length > 1 && s.charCodeAt(pos + 1) !== text.charCodeAt(1))) return false;
  if (text.length <= 32) {
    for (let i = 2; i < text.length; i++) if (s.charCodeAt(pos + i) !== text.charCodeAt(i)) return false;
    return true;
  }
  return s.startsWith(text, pos);
}

function parsePlain(line: string): AsteriskLine | typeof OTHER_LEVEL | null {
  let pos = 0;
  let stamp = '';
  if (line.charCodeAt(0) !== 91 /* [ */ && !startsWithLevel(line)) {
    SYSLOG_HEAD.lastIndex = 0;
    const s = SYSLOG_HEAD.exec(line);
    if (!s) return null;
    stamp = s[1] ?? '';
    pos = SYSLOG_HEAD.lastIndex;
  }
  let stampStart = -1;
  let stampEnd = -1;
  if (line.charCodeAt(pos) === 91 /* [ */) {
    const close = line.indexOf(']', pos);
    if (close - pos < 9 || close - pos > 33) return null;
    stampStart = pos + 1;
    stampEnd = close;
    pos = close + 1;
    while (line.charCodeAt(pos) === 32) pos++;
  }
  // Cheap level check first: most lines are VERBOSE and stop here, before any regex or copy.
  const level = alertLevelAt(line, pos);
  if (level === null) {
    const c = line.charCodeAt(pos);
    return c >= 65 && c <= 90 ? OTHER_LEVEL : null;
  }
  if (stampStart !== -1) stamp = line.slice(stampStart, stampEnd); // Asterisk's own stamp wins over syslog's
  AFTER_LEVEL.lastIndex = pos + level.length;
  const m = AFTER_LEVEL.exec(line);
  if (!m) return null;
  return { level, file: m[1] ?? '', message: line.slice(AFTER_LEVEL.lastIndex).trimEnd(), stamp };
}

/** A journald message field starts with the level itself ("NOTICE[566]: ..."). */
function startsWithLevel(line: string): boolean {
  const c = line.charCodeAt(0);
  if (c < 65 || c > 90) return false;
  const b = line.indexOf('[');
  return b >= 4 && b <= 11 && /^[A-Z]+ ?$/.test(line.slice(0, b));
}

// Several signatures look at the same event in turn; parse it once (one-slot memo keyed by identity).
let memoEvent: RawEvent | null = null;
let memoLine: AsteriskLine | null = null;

export function asteriskLineOf(ev: RawEvent): AsteriskLine | null {
  if (ev.type !== 'log-line') return null;
  if (ev !== memoEvent) {
    memoEvent = ev;
    memoLine = ev.line.length > 16384 ? null : parseAsteriskLine(ev.line);
  }
  return memoLine;
}

const MONTHS: Record<string, number> = {
  Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11,
};
const ISO_STAMP = /^(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?(Z|[+-]\d\d:?\d\d)?$/;
const BSD_STAMP = /^([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?$/;

/**
 * The log timestamp in Unix ms, or `fallback` when absent or unreadable. Asterisk writes local time
 * (as fail2ban reads it); a stamp without a year takes the year of `fallback`, or the year before
 * when that would put it more than a day in the future (a December line read in January).
 */
export function parseStamp(stamp: string, fallback: number): number {
  if (!stamp) return fallback;
  // Many lines share a second: remember the last answer (valid while the fallback's day is the same).
  const day = Math.floor(fallback / 86_400_000);
  if (stamp === lastStamp && day === lastDay) return lastResult;
  lastResult = parseStampText(stamp, fallback);
  lastStamp = stamp;
  lastDay = day;
  return lastResult;
}

let lastStamp = '';
let lastDay = NaN;
let lastResult = 0;

function parseStampText(stamp: string, fallback: number): number {
  const iso = ISO_STAMP.exec(stamp);
  if (iso) {
    const ms = iso[7] ? Math.round(Number(`0.${iso[7]}`) * 1000) : 0;
    const [y, mo, d, h, mi, s] = [Number(iso[1]), Number(iso[2]), Number(iso[3]), Number(iso[4]), Number(iso[5]), Number(iso[6])];
    const zone = iso[8];
    if (!zone) return validOr(new Date(y, mo - 1, d, h, mi, s, ms).getTime(), fallback);
    const off = zone === 'Z' ? 0 : zoneMinutes(zone);
    return validOr(Date.UTC(y, mo - 1, d, h, mi, s, ms) - off * 60000, fallback);
  }
  const bsd = BSD_STAMP.exec(stamp);
  if (!bsd || MONTHS[bsd[1]] === undefined) return fallback;
  const year = new Date(fallback).getFullYear();
  const ms = bsd[6] ? Math.round(Number(`0.${bsd[6]}`) * 1000) : 0;
  const parts = [MONTHS[bsd[1]], Number(bsd[2]), Number(bsd[3]), Number(bsd[4]), Number(bsd[5]), ms] as const;
  const guess = new Date(year, ...parts).getTime();
  return validOr(guess > fallback + 86_400_000 ? new Date(year - 1, ...parts).getTime() : guess, fallback);
}

function zoneMinutes(zone: string): number {
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4)));
}

function validOr(ms: number, fallback: number): number {
  return Number.isFinite(ms) ? ms : fallback;
}
