// sip-injection: SQL-injection probes in the Request-URI, From / To / Contact (display name, user,
// host) and the Authorization / Proxy-Authorization username. Brute-forcers send these hoping the
// PBX looks accounts up in SQL (fail2ban's test log: `<sip:'or''='@4.5.6.7>`).
//
// Unlike Kamailio's secfilter (any quote is injection), a quote must be followed or preceded by
// SQL: `"O'Brien" <sip:100@pbx>` and `D'Andrea` are names, `a'or'3=3--` and `'or''='` are probes.

import type { SipMessage } from '../../sip/index.ts';
import type { Signature } from '../signature.ts';
import { safeText } from './safe-text.ts';
import { attemptOf, sipOffense, sipRequestOf } from './sip-common.ts';

export const INJECTION_ID = 'sip-injection';

const QUOTE = `['"\`]`;
export const SQL_PATTERNS: RegExp[] = [
  // quote then a keyword: a'or'3=3, 'and 1=1, "union select
  new RegExp(`${QUOTE}\\s*(or|and|xor|union|select|having|order\\s+by|group\\s+by)(?![a-z0-9_])`),
  // quote then an operator, comment or terminator: '=', '--, ';, '#, '/*, '||
  new RegExp(`${QUOTE}\\s*(=|--|;|#|/\\*|\\|\\||\\))`),
  // keyword then a quote: or'1'='1, or "x"="x
  new RegExp(`(^|[^a-z0-9_])(or|and)\\s*${QUOTE}`),
  // tautologies without quotes: or 1=1, and 2>1
  /(^|[^a-z0-9_])(or|and)\s+\d+\s*(=|<|>|like)\s*\d+/,
  // one whitespace char or one comment per repetition: no nested quantifier to backtrack through
  /(^|[^a-z0-9_])union(?:\s|\/\*[^*]*\*\/)+(?:all(?:\s|\/\*[^*]*\*\/)+)?select(?![a-z0-9_])/,
  /;\s*(drop|delete|insert|update|select|shutdown|exec|truncate|alter|create)\s/,
  /(^|[^a-z0-9_])(sleep|benchmark|pg_sleep)\s*\(|waitfor\s+delay/,
];

/**
 * Every pattern above needs one of these: a quote (the first three), whitespace (the tautology,
 * union's separators, `waitfor delay`), '/' (union's comments), ';' or '('. A value with none of
 * them (nearly every user, host and display name a phone sends) cannot match, and skips the seven
 * patterns and the lower-casing (sip-indicators.test.ts holds the patterns to this).
 */
export const SQL_NEEDS = /['"`;(/\s]/;

/** Percent-escapes decoded (invalid ones kept), so %27 is seen as a quote. */
function percentDecoded(s: string): string {
  return s.indexOf('%') < 0 ? s : s.replace(/%([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/** Probes are short; a longer value is judged by its head so a 64 KiB header costs no more than this. */
const MAX_INSPECTED = 1024;

export function looksLikeSqlInjection(value: string): boolean {
  if (value === '') return false;
  const decoded = percentDecoded(value.length > MAX_INSPECTED ? value.slice(0, MAX_INSPECTED) : value);
  if (!SQL_NEEDS.test(decoded)) return false;
  const v = decoded.toLowerCase();
  return SQL_PATTERNS.some((re) => re.test(v));
}

/** Labels for the detail text, made once (a message with no probe builds no strings). */
const ADDRESS_LABELS = (['From', 'To', 'Contact'] as const).map((h) => ({
  header: h,
  displayName: `${h} display name`,
  user: `${h} user`,
  host: `${h} host`,
  uri: `${h} URI`,
}));

/** The first place holding a probe, as [label, value], in the order a reader would list them. */
function injectedField(msg: SipMessage): [string, string] | null {
  const found = (label: string, value: string | null | undefined): [string, string] | null =>
    value && looksLikeSqlInjection(value) ? [label, value] : null;
  const uri = msg.uri;
  let hit = found('Request-URI user', uri?.user) ?? found('Request-URI host', uri?.host);
  for (const l of ADDRESS_LABELS) {
    if (hit) return hit;
    const a = l.header === 'From' ? msg.from : l.header === 'To' ? msg.to : msg.contact;
    if (!a) continue;
    // A URI the parser could not read still carries the probe.
    hit = found(l.displayName, a.displayName) ?? found(l.user, a.user) ?? found(l.host, a.host) ?? (a.uri ? null : found(l.uri, a.rawUri));
  }
  return hit ?? found('Authorization username', msg.authorization?.username) ?? found('Proxy-Authorization username', msg.proxyAuthorization?.username);
}

export function createInjectionSignature(): Signature {
  return {
    id: INJECTION_ID,
    match(event) {
      const r = sipRequestOf(event);
      if (!r) return null;
      const hit = injectedField(r.msg);
      if (hit) {
        const [label, value] = hit;
        return sipOffense(INJECTION_ID, r.ev, r.ev.src.ip, {
          kind: 'injection',
          detail: `${r.msg.method} with SQL injection in ${label}: ${safeText(value)}`,
          account: r.msg.to?.user,
          attempt: attemptOf(r.msg),
          callId: r.msg.callId,
        });
      }
      return null;
    },
  };
}
