// sip-injection: SQL-injection probes in the Request-URI, From / To / Contact (display name, user,
// host) and the Authorization / Proxy-Authorization username. Brute-forcers send these hoping the
// PBX looks accounts up in SQL (fail2ban's test log: `<sip:'or''='@4.5.6.7>`).
//
// Unlike Kamailio's secfilter (any quote is injection), a quote must be followed or preceded by
// SQL: `"O'Brien" <sip:100@pbx>` and `D'Andrea` are names, `a'or'3=3--` and `'or''='` are probes.

import type { SipMessage } from '../../sip/index.ts';
import type { Signature } from '../signature.ts';
import { attemptOf, clean, sipOffense, sipRequestOf } from './sip-common.ts';

export const INJECTION_ID = 'sip-injection';

const QUOTE = `['"\`]`;
const SQL_PATTERNS: RegExp[] = [
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

/** Percent-decoded (invalid escapes kept) and lower-cased, so %27 and OR are seen as ' and or. */
function normalize(s: string): string {
  const decoded = s.indexOf('%') < 0 ? s : s.replace(/%([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  return decoded.toLowerCase();
}

/** Probes are short; a longer value is judged by its head so a 64 KiB header costs no more than this. */
const MAX_INSPECTED = 1024;

export function looksLikeSqlInjection(value: string): boolean {
  if (value === '') return false;
  const v = normalize(value.length > MAX_INSPECTED ? value.slice(0, MAX_INSPECTED) : value);
  return SQL_PATTERNS.some((re) => re.test(v));
}

/** The places a probe goes, with a label for the detail text. */
function fieldsOf(msg: SipMessage): [string, string | null | undefined][] {
  const out: [string, string | null | undefined][] = [
    ['Request-URI user', msg.uri?.user],
    ['Request-URI host', msg.uri?.host],
  ];
  const addrs: [string, ReturnType<() => SipMessage['from']>][] = [['From', msg.from], ['To', msg.to], ['Contact', msg.contact]];
  for (const [label, a] of addrs) {
    if (!a) continue;
    out.push([`${label} display name`, a.displayName], [`${label} user`, a.user], [`${label} host`, a.host]);
    // A URI the parser could not read still carries the probe.
    if (!a.uri) out.push([`${label} URI`, a.rawUri]);
  }
  out.push(['Authorization username', msg.authorization?.username], ['Proxy-Authorization username', msg.proxyAuthorization?.username]);
  return out;
}

export function createInjectionSignature(): Signature {
  return {
    id: INJECTION_ID,
    match(event) {
      const r = sipRequestOf(event);
      if (!r) return null;
      for (const [label, value] of fieldsOf(r.msg)) {
        if (value && looksLikeSqlInjection(value)) {
          return sipOffense(INJECTION_ID, r.ev, r.ev.src.ip, {
            kind: 'injection',
            detail: `${r.msg.method} with SQL injection in ${label}: ${clean(value)}`,
            account: r.msg.to?.user,
            attempt: attemptOf(r.msg),
            callId: r.msg.callId,
          });
        }
      }
      return null;
    },
  };
}
