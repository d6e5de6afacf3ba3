import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_HEADERS, MAX_LIST_ITEMS, MAX_MESSAGE_BYTES, MAX_PARAMS, parseSip, type SipMessage } from './index.ts';

const CRLF = (lines: string[]): Buffer => Buffer.from(lines.join('\r\n'), 'latin1');
const LF = (lines: string[]): Buffer => Buffer.from(lines.join('\n'), 'latin1');

function ok(buf: Buffer): SipMessage {
  const m = parseSip(buf);
  if ('error' in m) assert.fail(`unexpected parse error ${m.error}`);
  return m;
}

function err(buf: Buffer | string): string {
  const m = parseSip(typeof buf === 'string' ? Buffer.from(buf, 'latin1') : buf);
  assert.ok('error' in m, 'expected a parse error');
  return m.error;
}

const REGISTER = [
  'REGISTER sip:pbx.example.com;transport=udp SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK1998342657;rport',
  'From: "Alice Smith" <sip:1001@pbx.example.com>;tag=1846253394',
  'To: <sip:1001@pbx.example.com>',
  'Call-ID: 1254861305-5060-3@192.0.2.10',
  'CSeq: 2 REGISTER',
  'Contact: <sip:1001@192.0.2.10:5062;line=abc>;expires=3600;+sip.instance="<urn:uuid:1>"',
  'Authorization: Digest username="1001", realm="asterisk", nonce="1732683101/6c2e", uri="sip:pbx.example.com", response="2a5b4c3d", algorithm=MD5, cnonce="0a4f113b", qop=auth, nc=00000001',
  'User-Agent: Yealink SIP-T46S 66.86.0.15',
  'Content-Length: 0',
  '',
  '',
];

test('a request: method, Request-URI, and every extracted field', () => {
  const m = ok(CRLF(REGISTER));
  assert.equal(m.kind, 'request');
  assert.equal(m.method, 'REGISTER');
  assert.equal(m.status, null);
  assert.equal(m.requestUri, 'sip:pbx.example.com;transport=udp');
  assert.deepEqual({ ...m.uri, params: Object.fromEntries(m.uri!.params) }, {
    scheme: 'sip', user: null, password: null, host: 'pbx.example.com', port: null,
    params: { transport: 'udp' }, headers: null,
  });
  assert.equal(m.from?.displayName, 'Alice Smith');
  assert.equal(m.from?.user, '1001');
  assert.equal(m.from?.host, 'pbx.example.com');
  assert.equal(m.from?.tag, '1846253394');
  assert.equal(m.to?.displayName, null);
  assert.equal(m.to?.tag, null);
  assert.equal(m.contact?.port, 5062);
  assert.equal(m.contact?.uri?.params.get('line'), 'abc');
  assert.equal(m.contact?.params.get('expires'), '3600');
  assert.equal(m.contact?.params.get('+sip.instance'), '<urn:uuid:1>');
  assert.equal(m.callId, '1254861305-5060-3@192.0.2.10');
  assert.deepEqual(m.cseq, { seq: 2, method: 'REGISTER' });
  assert.equal(m.userAgent, 'Yealink SIP-T46S 66.86.0.15');
  const a = m.authorization!;
  assert.deepEqual(
    [a.scheme, a.username, a.realm, a.nonce, a.uri, a.response, a.qop, a.nc, a.cnonce, a.algorithm],
    ['Digest', '1001', 'asterisk', '1732683101/6c2e', 'sip:pbx.example.com', '2a5b4c3d', 'auth', '00000001', '0a4f113b', 'MD5'],
  );
  assert.equal(m.proxyAuthorization, null);
  assert.equal(m.contentLength, 0);
  assert.equal(m.body.length, 0);
  assert.equal(m.complete, true);
});

test('Digest: escaped quotes and backslashes in quoted values are resolved, commas inside kept', () => {
  const m = ok(CRLF([
    'REGISTER sip:pbx.example.com SIP/2.0',
    'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK1',
    'Call-ID: esc-1',
    'CSeq: 1 REGISTER',
    'Authorization: Digest username="a\\"b,c", realm="x\\\\y", nonce="n1", uri="sip:pbx.example.com", response="r"',
    'Content-Length: 0',
    '',
    '',
  ]));
  const a = m.authorization!;
  assert.deepEqual([a.username, a.realm, a.nonce, a.response], ['a"b,c', 'x\\y', 'n1', 'r']);
});

test('a response: status, reason, and the Via with received/rport', () => {
  const m = ok(CRLF([
    'SIP/2.0 401 Unauthorized',
    'Via: SIP/2.0/UDP 10.0.0.5:5060;rport=40123;branch=z9hG4bK-1;received=203.0.113.9',
    'From: <sip:100@pbx>;tag=a',
    'To: <sip:100@pbx>;tag=b',
    'Call-ID: x',
    'CSeq: 1 REGISTER',
    'WWW-Authenticate: Digest realm="asterisk",nonce="abc"',
    '', '',
  ]));
  assert.equal(m.kind, 'response');
  assert.equal(m.method, null);
  assert.equal(m.status, 401);
  assert.equal(m.reason, 'Unauthorized');
  assert.equal(m.uri, null);
  const [via] = m.vias;
  assert.deepEqual([via.transport, via.host, via.port, via.branch, via.rport, via.received], ['UDP', '10.0.0.5', 5060, 'z9hG4bK-1', '40123', '203.0.113.9']);
  assert.equal(m.to?.tag, 'b');
  assert.equal(ok(CRLF(['SIP/2.0 200', 'CSeq: 1 OPTIONS', '', ''])).reason, '');
});

test('bare LF line ends parse like CRLF', () => {
  const a = ok(CRLF(REGISTER));
  const b = ok(LF(REGISTER));
  for (const name of ['via', 'from', 'to', 'call-id', 'cseq', 'contact', 'authorization', 'user-agent']) {
    assert.equal(b.header(name), a.header(name), name);
  }
  assert.equal(b.complete, true);
});

test('compact header forms map to the full names, in both directions', () => {
  const m = ok(CRLF([
    'INVITE sip:200@pbx SIP/2.0',
    'v: SIP/2.0/TCP h:5060;branch=z9hG4bK1',
    'f: <sip:100@pbx>;tag=1',
    't: <sip:200@pbx>',
    'i: cid-1',
    'm: <sip:100@10.0.0.1>',
    'l: 3',
    'c: text/plain',
    'k: replaces',
    's: hi',
    'e: gzip',
    'o: presence',
    'r: <sip:300@pbx>',
    'u: talk',
    'x: 1800',
    'CSeq: 1 INVITE',
    '',
    'abc',
  ]));
  const pairs: [string, string][] = [
    ['Via', 'SIP/2.0/TCP h:5060;branch=z9hG4bK1'], ['From', '<sip:100@pbx>;tag=1'], ['To', '<sip:200@pbx>'],
    ['Call-ID', 'cid-1'], ['Contact', '<sip:100@10.0.0.1>'], ['Content-Length', '3'], ['Content-Type', 'text/plain'],
    ['Supported', 'replaces'], ['Subject', 'hi'], ['Content-Encoding', 'gzip'], ['Event', 'presence'],
    ['Refer-To', '<sip:300@pbx>'], ['Allow-Events', 'talk'], ['Session-Expires', '1800'],
  ];
  for (const [full, value] of pairs) assert.equal(m.header(full), value, full);
  assert.equal(m.header('v'), 'SIP/2.0/TCP h:5060;branch=z9hG4bK1');
  assert.equal(m.header('I'), 'cid-1');
  assert.equal(m.from?.tag, '1');
  assert.equal(m.vias[0].transport, 'TCP');
  assert.equal(m.body.toString('latin1'), 'abc');
  assert.deepEqual(m.headerNames.slice(0, 3), ['via', 'from', 'to']);
});

test('header names are case-insensitive; unusual spacing around the colon is fine', () => {
  const m = ok(CRLF(['OPTIONS sip:a@b SIP/2.0', 'cAlL-iD:x1', 'USER-AGENT  :  friendly-scanner  ', 'cseq:\t7 OPTIONS', '', '']));
  assert.equal(m.callId, 'x1');
  assert.equal(m.header('user-agent'), 'friendly-scanner');
  assert.deepEqual(m.cseq, { seq: 7, method: 'OPTIONS' });
});

test('a header name ends at the first colon, whatever follows', () => {
  const m = ok(CRLF(['OPTIONS sip:a@b SIP/2.0', 'User-Agent:friendly-scanner: x', 'Via:\tSIP/2.0/UDP h: y', 'Subject:a: b c', '', '']));
  assert.equal(m.userAgent, 'friendly-scanner: x');
  assert.equal(m.header('via'), 'SIP/2.0/UDP h: y');
  assert.equal(m.header('subject'), 'a: b c');
  assert.deepEqual(m.headerNames, ['user-agent', 'via', 'subject']);
});

test('folded (continuation) lines join with one space', () => {
  const m = ok(CRLF(['OPTIONS sip:a@b SIP/2.0', 'Subject: I know you are there,', '     pick up the phone', '\tand talk to me!', 'Call-ID: c', 'Empty:', '  later', '', '']));
  assert.equal(m.header('subject'), 'I know you are there, pick up the phone and talk to me!');
  assert.equal(m.header('empty'), 'later');
  assert.equal(m.callId, 'c');
});

test('repeated headers: header() gives the first, headers() all, vias/contacts split comma lists', () => {
  const m = ok(CRLF([
    'SIP/2.0 200 OK',
    'Via: SIP/2.0/UDP a:1;branch=z9hG4bK1, SIP/2.0/UDP b:2;branch=z9hG4bK2',
    'v: SIP/2.0/TLS [2001:db8::1]:5061;branch=z9hG4bK3;received=2001:db8::2',
    'Contact: <sip:1@h1>;expires=60, "Bob, Jr." <sip:2@h2>',
    'Contact: sip:3@h3;expires=0',
    '', '',
  ]));
  assert.equal(m.header('via'), 'SIP/2.0/UDP a:1;branch=z9hG4bK1, SIP/2.0/UDP b:2;branch=z9hG4bK2');
  assert.equal(m.headers('VIA').length, 2);
  assert.deepEqual(m.vias.map((v) => [v.transport, v.host, v.port, v.branch]), [
    ['UDP', 'a', 1, 'z9hG4bK1'], ['UDP', 'b', 2, 'z9hG4bK2'], ['TLS', '2001:db8::1', 5061, 'z9hG4bK3'],
  ]);
  assert.equal(m.vias[2].received, '2001:db8::2');
  assert.deepEqual(m.contacts.map((c) => [c.displayName, c.user, c.host, c.params.get('expires') ?? null]), [
    [null, '1', 'h1', '60'], ['Bob, Jr.', '2', 'h2', null], [null, '3', 'h3', '0'],
  ]);
  assert.deepEqual(m.headers('x-missing'), []);
  assert.equal(m.header('x-missing'), null);
});

test('name-addr forms: quoted, unquoted, bare addr-spec, escapes, passwords, IPv6, star', () => {
  const from = (v: string) => ok(CRLF(['OPTIONS sip:x@y SIP/2.0', `From: ${v}`, '', ''])).from!;
  let f = from('Bob Smith <sips:bob:secret@[2001:db8::5]:5061;transport=tls>;tag=9;x');
  assert.deepEqual([f.displayName, f.user, f.uri?.password, f.host, f.port, f.uri?.scheme, f.tag, f.params.get('x')], ['Bob Smith', 'bob', 'secret', '2001:db8::5', 5061, 'sips', '9', '']);
  f = from('sip:100@pbx.example.com:5060;tag=abc');
  assert.deepEqual([f.displayName, f.user, f.host, f.port, f.tag], [null, '100', 'pbx.example.com', 5060, 'abc']);
  f = from('"O\'Brien \\"Jr\\"" <sip:100@pbx>');
  assert.equal(f.displayName, 'O\'Brien "Jr"');
  f = from('"sipvicious"<sip:100@1.1.1.1>;tag=6162');
  assert.deepEqual([f.displayName, f.user, f.host, f.tag], ['sipvicious', '100', '1.1.1.1', '6162']);
  f = from('<tel:+15551234567;phone-context=x>');
  assert.deepEqual([f.uri?.scheme, f.user, f.host], ['tel', '+15551234567', '']);
  f = from('<sip:a\'or\'3=3--@pbx>');
  assert.equal(f.user, "a'or'3=3--");
  f = from('nonsense');
  assert.equal(f.uri, null);
  const star = ok(CRLF(['REGISTER sip:x SIP/2.0', 'Contact: *', 'Expires: 0', '', ''])).contact!;
  assert.equal(star.rawUri, '*');
  assert.equal(star.uri, null);
});

test('Request-URI with user, password, port, params and headers', () => {
  const m = ok(CRLF(['INVITE sip:100:pw@10.0.0.1:5070;user=phone;lr?Subject=x SIP/2.0', '', '']));
  assert.deepEqual([m.uri?.user, m.uri?.password, m.uri?.host, m.uri?.port, m.uri?.params.get('user'), m.uri?.params.get('lr'), m.uri?.headers], ['100', 'pw', '10.0.0.1', 5070, 'phone', '', 'Subject=x']);
  assert.equal(ok(CRLF(['OPTIONS sip:nm SIP/2.0', '', ''])).uri?.host, 'nm');
  assert.equal(ok(CRLF(['OPTIONS sip:h:99999 SIP/2.0', '', ''])).uri?.port, null);
});

test('Proxy-Authorization and odd Digest shapes', () => {
  const m = ok(CRLF([
    'INVITE sip:1@h SIP/2.0',
    'Proxy-Authorization: Digest username="a\\"b",realm=asterisk,nonce="x,y",uri="sip:1@h",response="r",qop=auth,algorithm=MD5',
    'Authorization: Basic',
    '', '',
  ]));
  const p = m.proxyAuthorization!;
  assert.deepEqual([p.username, p.realm, p.nonce, p.qop, p.nc, p.cnonce], ['a"b', 'asterisk', 'x,y', 'auth', null, null]);
  assert.equal(m.authorization?.scheme, 'Basic');
  assert.equal(m.authorization?.username, null);
});

test('Content-Length bounds the body; a short body is flagged; an absent one takes the rest', () => {
  let m = ok(CRLF(['MESSAGE sip:a@b SIP/2.0', 'Content-Length: 5', '', 'hello world']));
  assert.equal(m.body.toString(), 'hello');
  assert.equal(m.bodyTruncated, false);
  m = ok(CRLF(['MESSAGE sip:a@b SIP/2.0', 'Content-Length: 50', '', 'hello']));
  assert.equal(m.body.toString(), 'hello');
  assert.equal(m.bodyTruncated, true);
  m = ok(CRLF(['MESSAGE sip:a@b SIP/2.0', '', 'v=0\r\n']));
  assert.equal(m.body.toString(), 'v=0\r\n');
  assert.equal(m.contentLength, null);
  m = ok(CRLF(['MESSAGE sip:a@b SIP/2.0', 'l: x12', '', '']));
  assert.equal(m.contentLength, null);
});

test('the SIP version is case-insensitive (RFC 3261 §7.1)', () => {
  assert.equal(ok(Buffer.from('OPTIONS sip:a@b sip/2.0\r\n\r\n')).method, 'OPTIONS');
  assert.equal(ok(Buffer.from('sip/2.0 200 OK\r\n\r\n')).status, 200);
  assert.equal(err('sip/3.0 200 OK\r\n\r\n'), 'bad-version');
});

test('keep-alives and leading line ends; headers without the closing blank line', () => {
  assert.equal(err('\r\n\r\n'), 'empty');
  assert.equal(err(''), 'empty');
  assert.equal(ok(Buffer.from('\r\n\r\nOPTIONS sip:a@b SIP/2.0\r\n\r\n')).method, 'OPTIONS');
  const m = ok(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nCall-ID: 1\r\nCSeq: 1 OPTIONS'));
  assert.equal(m.complete, false);
  assert.equal(m.cseq?.method, 'OPTIONS');
  assert.equal(m.body.length, 0);
});

test('every parse error reason, returned, never thrown', () => {
  assert.equal(err(Buffer.alloc(MAX_MESSAGE_BYTES + 1, 0x41)), 'too-large');
  assert.equal(err('OPTIONS sip:a@b SIP/2.0'), 'truncated');
  assert.equal(err('HELLO\r\n\r\n'), 'bad-start-line');
  assert.equal(err('OPTIONS sip:a@b  SIP/2.0\r\n\r\n'), 'bad-start-line');
  assert.equal(err('OPTIONS sip:a@b HTTP/1.1\r\n\r\n'), 'bad-start-line');
  assert.equal(err('OPTIONS sip:a@b SIP/3.0\r\n\r\n'), 'bad-version');
  assert.equal(err('SIP/1.0 200 OK\r\n\r\n'), 'bad-version');
  assert.equal(err('OPT<IONS sip:a@b SIP/2.0\r\n\r\n'), 'bad-method');
  assert.equal(err('OPTIONS nocolon SIP/2.0\r\n\r\n'), 'bad-request-uri');
  assert.equal(err('SIP/2.0 20 OK\r\n\r\n'), 'bad-status');
  assert.equal(err('SIP/2.0 900 OK\r\n\r\n'), 'bad-status');
  assert.equal(err('SIP/2.0 2000 OK\r\n\r\n'), 'bad-status');
  assert.equal(err('OPTIONS sip:a@b SIP/2.0\r\nno colon here\r\n\r\n'), 'bad-header-line');
  assert.equal(err('OPTIONS sip:a@b SIP/2.0\r\n: value\r\n\r\n'), 'bad-header-name');
  assert.equal(err('OPTIONS sip:a@b SIP/2.0\r\nCall ID: x\r\n\r\n'), 'bad-header-name');
  assert.equal(err('OPTIONS sip:a@b SIP/2.0\r\n folded first\r\n\r\n'), 'bad-fold');
  const many = ['OPTIONS sip:a@b SIP/2.0', ...Array.from({ length: MAX_HEADERS + 1 }, (_, i) => `X-${i}: v`), '', ''];
  assert.equal(err(CRLF(many)), 'too-many-headers');
  assert.equal(ok(CRLF(many.slice(0, -3).concat(['', '']))).headers('x-1').length, 1);
});

test('Latin-1: every byte maps to one char, so high bytes survive', () => {
  const m = ok(Buffer.concat([Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nUser-Agent: caf'), Buffer.from([0xe9, 0xff]), Buffer.from('\r\n\r\n')]));
  assert.equal(m.userAgent, 'caf\u00e9\u00ff');
});

test('hostile shapes near the size cap parse in linear time (no search per parameter to the end)', () => {
  const fill = (line: string, bytes: number) => line.repeat(Math.floor(bytes / line.length));
  const big = 60000;
  const cases: [string, (m: SipMessage) => unknown][] = [
    [`Via: SIP/2.0/UDP h${';a'.repeat(big / 2)}`, (m) => m.vias],
    [`From: <sip:a@b>${';t'.repeat(big / 2)}`, (m) => m.from],
    [`Contact: <sip:a@b;x${';y'.repeat(big / 2)}>`, (m) => m.contacts],
    [`Contact: ${'<sip:a@b>,'.repeat(big / 10)}`, (m) => m.contacts],
    [`Contact: ${'a,'.repeat(big / 2)}`, (m) => m.contacts],
    [`Via: ${'SIP/2.0/UDP h,'.repeat(big / 14)}`, (m) => m.vias],
    [`Authorization: Digest ${'a,'.repeat(big / 2)}`, (m) => m.authorization],
    [`Authorization: Digest ${'a="x",'.repeat(big / 6)}`, (m) => m.authorization],
    [`Proxy-Authorization: Digest username="${'\\"'.repeat(big / 2)}`, (m) => m.proxyAuthorization],
    [fill('X:y\r\n', 1000) + fill('Y:z\r\n', 0), (m) => m.headerNames],
    [`Subject: x\r\n${' y\r\n'.repeat(big / 4)}`, (m) => m.header('subject')],
  ];
  for (const [headers, read] of cases) {
    const buf = Buffer.from(`OPTIONS sip:a@b SIP/2.0\r\n${headers}\r\n\r\n`, 'latin1');
    const t = performance.now();
    const m = parseSip(buf);
    if (!('error' in m)) read(m);
    const ms = performance.now() - t;
    // Unbounded versions took 5-30 ms on this machine; bounded ones take well under one.
    assert.ok(ms < 100, `${headers.slice(0, 30)}…: ${ms.toFixed(1)} ms`);
  }
});

test('lists and parameters are capped (MAX_LIST_ITEMS, MAX_PARAMS); the first entries are kept', () => {
  const m = ok(CRLF([
    'SIP/2.0 200 OK',
    `Via: ${Array.from({ length: 100 }, (_, i) => `SIP/2.0/UDP h${i}`).join(', ')}`,
    `Contact: ${Array.from({ length: 100 }, (_, i) => `<sip:u${i}@h>`).join(',')}`,
    `From: <sip:a@b>${Array.from({ length: 100 }, (_, i) => `;p${i}=${i}`).join('')}`,
    `Authorization: Digest ${Array.from({ length: 100 }, (_, i) => `p${i}=${i}`).join(',')}`,
    '', '',
  ]));
  assert.equal(m.vias.length, MAX_LIST_ITEMS);
  assert.equal(m.vias[0].host, 'h0');
  assert.equal(m.contacts.length, MAX_LIST_ITEMS);
  assert.equal(m.from!.params.size, MAX_PARAMS);
  assert.equal(m.from!.params.get('p0'), '0');
  assert.equal(m.authorization!.params.size, MAX_PARAMS);
  // empty segments do not count: a tag behind 60,000 semicolons is still found
  const hidden = ok(CRLF(['OPTIONS sip:a@b SIP/2.0', `From: <sip:a@b>${';'.repeat(60000)};tag=x`, '', '']));
  assert.equal(hidden.from?.tag, 'x');
  // The common parameters (tag, branch, received...) and Digest's known fields are never pushed out
  // by other names, repeated or not (received= is sip-auth's guard against reflection); past
  // 4 * MAX_PARAMS items nothing more is read. A field read on its own and the params Map agree.
  const pad = (n: number, sep: string, name = (i: number) => `p${i}`) => Array.from({ length: n }, (_, i) => `${name(i)}=1`).join(sep);
  for (const name of [(i: number) => `p${i}`, () => 'a']) {
    const within = ok(CRLF([
      'REGISTER sip:a@b SIP/2.0',
      `Via: SIP/2.0/UDP h;${pad(100, ';', name)};branch=z9hG4bK1;received=192.0.2.9`,
      `From: <sip:a@b>;${pad(100, ';', name)};tag=x`,
      `Authorization: Digest ${pad(100, ',', name)},username="u"`,
      '', '',
    ]));
    assert.deepEqual([within.vias[0].branch, within.vias[0].received, within.vias[0].params.get('received')], ['z9hG4bK1', '192.0.2.9', '192.0.2.9']);
    assert.deepEqual([within.from?.tag, within.from?.params.get('tag')], ['x', 'x']);
    assert.deepEqual([within.authorization?.username, within.authorization?.params.get('username')], ['u', 'u']);
    assert.ok(within.from!.params.size <= MAX_PARAMS + 1);
  }
  const past = ok(CRLF([
    'REGISTER sip:a@b SIP/2.0',
    `From: <sip:a@b>;${pad(4 * MAX_PARAMS, ';')};tag=x`,
    `Authorization: Digest ${pad(4 * MAX_PARAMS, ',')},username="u"`,
    '', '',
  ]));
  assert.deepEqual([past.from?.tag, past.from?.params.get('tag')], [null, undefined]);
  assert.deepEqual([past.authorization?.username, past.authorization?.params.get('username')], [null, undefined]);
  const firsts = ok(CRLF(['REGISTER sip:a@b SIP/2.0', `From: <sip:a@b>;a;a;tag=x;tag=y`, 'Authorization: Digest a, a, username="u", username="v"', '', '']));
  assert.deepEqual([firsts.from?.tag, firsts.from?.params.get('tag')], ['x', 'x']);
  assert.deepEqual([firsts.authorization?.username, firsts.authorization?.params.get('username')], ['u', 'u']);
});
