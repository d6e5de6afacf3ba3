// The Asterisk log signatures behind one Signature, as the daemon runs them. Called one by one, the
// eight of them cost more than parsing the line (each call a megamorphic dispatch that mostly returns
// null); here the line's prefix is parsed once, VERBOSE/DEBUG lines stop at once, and an alert line
// meets only the members whose `messageStarts` fit its message's first character (plus those that
// declare none). Each member still checks everything itself, so a route that is too wide only costs
// time; the members' fixed starts are distinct, so a line matches one member at most, and the
// dispatcher returns the same offense the members would (asterisk-dispatch.test.ts checks both).
import type { Signature } from '../signature.ts';
import { LOG_LINES, type LogSignature } from './asterisk-common.ts';
import { asteriskLineOf } from './asterisk-line.ts';

export const DISPATCH_ID = 'asterisk-log';

export function asteriskLogDispatch(members: readonly LogSignature[]): Signature {
  const anyStart = members.filter((m) => !m.messageStarts);
  // Indexed by the first character's code (an array: a Map lookup cost a builtin call per line);
  // every entry starts as the members that take any message, and a message starting past the
  // table's end meets only those.
  const byFirstChar: LogSignature[][] = Array.from({ length: 128 }, () => anyStart);
  for (const m of members) {
    for (const start of m.messageStarts ?? []) {
      const c = start.charCodeAt(0);
      if (c >= byFirstChar.length) throw new Error(`messageStarts must begin with an ASCII character: ${JSON.stringify(start)}`);
      // In registration order, with the members that take any message.
      byFirstChar[c] = members.filter((x) => !x.messageStarts || x.messageStarts.some((s) => s.charCodeAt(0) === c));
    }
  }
  return {
    id: DISPATCH_ID,
    eventTypes: LOG_LINES,
    match(ev) {
      const line = asteriskLineOf(ev);
      if (!line) return null;
      const offered = byFirstChar[line.message.charCodeAt(0)] ?? anyStart;
      for (let i = 0; i < offered.length; i++) {
        const o = offered[i].match(ev);
        if (o) return o;
      }
      return null;
    },
  };
}
