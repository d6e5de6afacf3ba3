// SIP requests for the firewall tests. Each message carries a unique marker in its Call-ID so a
// test can say exactly which messages arrived (markerOf finds it again in a received payload).

export interface RequestOptions {
  method?: string;
  /** The request-URI; default sip:100@<dst>. */
  uri?: string;
  dst: string;
  src: string;
  /** The whole User-Agent line (e.g. "user-agent:  friendly-scanner"); null = no User-Agent. */
  uaLine?: string | null;
  from?: string;
  to?: string;
  contact?: string;
  /** Tokens to put in the branch, tags and body (for "no false drop" probes). */
  callIdWord?: string;
  tag?: string;
  branchWord?: string;
  body?: string;
  /** Unique id of this message, put in the Call-ID. */
  marker: string;
  /** Compact header names (v: f: t: i: m: l:) and no User-Agent, as SIPVicious sends with -c. */
  compact?: boolean;
}

function hostOf(ip: string): string {
  return ip.includes(':') ? `[${ip}]` : ip;
}

/** A complete request with CRLF line ends and a correct Content-Length. */
export function request(o: RequestOptions): string {
  const method = o.method ?? 'OPTIONS';
  const dst = hostOf(o.dst);
  const src = hostOf(o.src);
  const uri = o.uri ?? `sip:100@${dst}`;
  const body = o.body ?? '';
  const lines = [
    `${method} ${uri} SIP/2.0`,
    `Via: SIP/2.0/UDP ${src}:5062;branch=z9hG4bK-${o.branchWord ?? 'b'}-${o.marker};rport`,
    `From: ${o.from ?? `<sip:200@${dst}>`};tag=${o.tag ?? 'f1'}-${o.marker}`,
    `To: ${o.to ?? `<sip:100@${dst}>`}`,
    `Call-ID: mk-${o.marker}-${o.callIdWord ?? 'c'}@${src}`,
    `CSeq: 1 ${method}`,
    `Contact: ${o.contact ?? `<sip:200@${src}:5062>`}`,
    'Max-Forwards: 70',
  ];
  if (o.uaLine !== null && !o.compact) lines.push(o.uaLine ?? 'User-Agent: Zoiper rv2.10.8.3-mod');
  if (body) lines.push('Content-Type: text/plain');
  lines.push(`Content-Length: ${Buffer.byteLength(body)}`, '', body);
  const text = lines.join('\r\n');
  return o.compact ? compactHeaders(text) : text;
}

const COMPACT: Record<string, string> = { Via: 'v', From: 'f', To: 't', 'Call-ID': 'i', Contact: 'm', 'Content-Length': 'l', 'Content-Type': 'c' };

function compactHeaders(text: string): string {
  return text.replace(/^(Via|From|To|Call-ID|Contact|Content-Length|Content-Type): /gm, (_, name: string) => `${COMPACT[name]}: `);
}

/** The marker of a received payload, or null. */
export function markerOf(payload: string): string | null {
  const m = /^(?:Call-ID|i)[ \t]*:[ \t]*mk-([A-Za-z0-9_.]+)-/im.exec(payload);
  return m ? m[1] : null;
}

/** Marker list of what arrived, sorted, for exact comparisons. */
export function markers(arrivals: { data: string }[]): string[] {
  const out: string[] = [];
  for (const a of arrivals) {
    const m = markerOf(a.data);
    if (m) out.push(m);
  }
  return out.sort();
}

let seq = 0;
/** A marker unique in this process, made of [A-Za-z0-9_.] so markerOf finds it. */
export function newMarker(label: string): string {
  return `${label.replace(/[^A-Za-z0-9]/g, '_')}.${++seq}`;
}
