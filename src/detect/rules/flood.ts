// Floods: requests per second from one IP (offense kind 'request': ChallengeSent, a SIP request seen
// on the wire...). No attempt dedupe here: one Call-ID with a rising CSeq counts each request.
// The rate is a sliding one-second estimate from two buckets (previous second weighted by how much of
// it still lies within the last 1000 ms), so a burst straddling a second boundary is not halved.
import type { Offense } from '../../core/types.ts';
import type { EngineConfig } from './config.ts';
import type { RuleHit } from './hit.ts';
import type { SourceState } from './source-table.ts';

export function countRequest(s: SourceState, o: Offense, config: EngineConfig): RuleHit | null {
  const second = Math.floor(o.at / 1000);
  if (second < s.floodSecond) {
    // Slightly out of order (several sources interleaved): count it where it belongs, no verdict.
    if (second === s.floodSecond - 1) s.floodPrevious++;
    return null;
  }
  if (second > s.floodSecond) {
    s.floodPrevious = second === s.floodSecond + 1 ? s.floodCurrent : 0;
    s.floodCurrent = 0;
    s.floodSecond = second;
  }
  s.floodCurrent++;
  const intoSecond = (o.at - second * 1000) / 1000;
  const rate = Math.floor(s.floodPrevious * (1 - intoSecond) + s.floodCurrent);
  const max = config.detect.flood.max_rate;
  if (rate <= max) return null;
  return {
    rule: 'flood',
    base: config.detect.flood.ban_time ?? config.ban.time,
    reason: `${rate} requests/s, more than ${max} (${o.signature})`,
  };
}
