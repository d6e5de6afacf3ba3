// Header names are compared in one canonical form: lower case, compact forms expanded.

/** RFC 3261 §7.3.3 and the later RFCs' single-letter forms (IANA "Header Fields" registry). */
const COMPACT: Record<string, string> = {
  a: 'accept-contact',
  b: 'referred-by',
  c: 'content-type',
  d: 'request-disposition',
  e: 'content-encoding',
  f: 'from',
  i: 'call-id',
  j: 'reject-contact',
  k: 'supported',
  l: 'content-length',
  m: 'contact',
  n: 'identity-info',
  o: 'event',
  r: 'refer-to',
  s: 'subject',
  t: 'to',
  u: 'allow-events',
  v: 'via',
  x: 'session-expires',
  y: 'identity',
};

// The spellings seen on nearly every message map straight to an interned canonical string,
// which skips toLowerCase on the hot path.
const KNOWN = new Map<string, string>();
for (const name of [
  'Via', 'From', 'To', 'Call-ID', 'Call-Id', 'CSeq', 'Contact', 'Max-Forwards', 'User-Agent', 'Allow',
  'Content-Length', 'Content-Type', 'Expires', 'Authorization', 'Proxy-Authorization', 'Supported',
  'Accept', 'Server', 'WWW-Authenticate', 'Proxy-Authenticate', 'Allow-Events', 'Date', 'Route',
  'Record-Route', 'Event', 'Subject', 'Session-Expires', 'Min-SE', 'Require', 'Privacy',
  'P-Asserted-Identity', 'Remote-Party-ID', 'Accept-Language', 'Accept-Encoding', 'X-Serialnumber',
]) {
  KNOWN.set(name, name.toLowerCase());
  KNOWN.set(name.toLowerCase(), name.toLowerCase());
}
for (const [short, full] of Object.entries(COMPACT)) {
  KNOWN.set(short, full);
  KNOWN.set(short.toUpperCase(), full);
}

/** The canonical (lower-case, expanded) form of a header name. */
export function canonicalHeaderName(name: string): string {
  const known = KNOWN.get(name);
  if (known !== undefined) return known;
  const lower = name.toLowerCase();
  return lower.length === 1 ? (COMPACT[lower] ?? lower) : lower;
}
