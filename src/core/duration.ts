import { AppError } from './errors.ts';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/**
 * Parses "90s", "10m", "1h", "7d", "2w" (or a bare number of seconds, or "1h30m") into seconds.
 * "0" means zero (callers decide whether that is "forever" or "off").
 */
export function parseDuration(text: string | number, what = 'duration'): number {
  if (typeof text === 'number') {
    if (Number.isInteger(text) && text >= 0) return text;
    throw new AppError('ERR_DURATION_INVALID', `invalid ${what} ${text}: must be a whole number of seconds >= 0`);
  }
  const s = text.trim();
  if (/^\d+$/.test(s)) return Number(s);
  const re = /(\d+)([smhdw])/gy;
  let total = 0;
  let pos = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * UNIT_SECONDS[m[2]];
    pos = re.lastIndex;
  }
  if (pos === 0 || pos !== s.length) {
    throw new AppError(
      'ERR_DURATION_INVALID',
      `invalid ${what} '${text}': use a number with a unit s, m, h, d or w, like 90s, 10m, 1h, 7d`,
    );
  }
  return total;
}

/** 3600 → "1h", 5400 → "1h30m", 0 → "0s". */
export function formatDuration(seconds: number): string {
  if (seconds <= 0) return '0s';
  let rest = Math.round(seconds);
  let out = '';
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return out;
}
