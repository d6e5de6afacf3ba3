// A small SIP registrar with digest auth, written for the attack tests: the PBX that sipwarden
// protects. It answers like Asterisk's chan_sip with alwaysauthreject=no, the setting svwar
// exploits (with alwaysauthreject=yes every extension looks the same and svwar gives up after its
// second request, so it would test nothing):
//   REGISTER without credentials      → 401 with a fresh nonce (no qop, like chan_sip) for a
//                                        configured user; 404 Not Found for an unknown one
//                                        (unknownUser '401' challenges everyone: alwaysauthreject=yes)
//   REGISTER, right user and password → 200 OK (Contact and Expires echoed)
//   REGISTER, wrong password          → 403 Forbidden (chan_sip); wrongPassword '401' answers a
//                                        fresh 401 instead, as PJSIP does
//   REGISTER with credentials for an unknown user → 403, like a wrong password
//   OPTIONS                           → 200 OK;  INVITE → like REGISTER;  ACK → nothing
// Every request is recorded (source, time, method, CSeq) so a test can count exactly what got
// through the firewall, and each failed auth can be written as an Asterisk security log line.
//
// Run inside a namespace: `node --import tsx registrar.ts '<json options>'`; it prints
// {"ready":true} and answers the JSON-line command {"op":"arrivals","id":N} on stdin (hands over
// and forgets what arrived); it exits when stdin closes.
import { createHash, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { appendFileSync } from 'node:fs';
import readline from 'node:readline';
import { pathToFileURL } from 'node:url';

export interface RegistrarOptions {
  port?: number;
  realm?: string;
  users: Record<string, string>;
  wrongPassword?: '403' | '401';
  unknownUser?: '404' | '401';
  /** Append an Asterisk security-log line for each failed auth (the log-file detection path). */
  securityLog?: string;
}

export interface Arrival {
  src: string;
  port: number;
  /** Unix milliseconds when the registrar read the datagram. */
  at: number;
  method: string;
  cseq: number;
  user: string;
  /** The request carried digest credentials (a password guess, right or wrong). */
  credentials: boolean;
  authorized: boolean;
  answer: number | null;
}

export interface Request {
  method: string;
  uri: string;
  headers: Map<string, string[]>;
}

const COMPACT: Record<string, string> = { v: 'via', f: 'from', t: 'to', i: 'call-id', m: 'contact', l: 'content-length' };

/** Parses a request's start line and headers (compact names expanded); null for anything else. */
export function parseRequest(text: string): Request | null {
  const lines = text.split('\r\n\r\n')[0].split(/\r?\n/);
  const m = /^([A-Z]+) (\S+) SIP\/2\.0$/.exec(lines[0] ?? '');
  if (!m) return null;
  const headers = new Map<string, string[]>();
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const raw = line.slice(0, i).trim().toLowerCase();
    const name = COMPACT[raw] ?? raw;
    headers.set(name, [...(headers.get(name) ?? []), line.slice(i + 1).trim()]);
  }
  return { method: m[1], uri: m[2], headers };
}

/** Digest parameters (`username="100", nonce=...`) as a map. */
export function digestParams(value: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /([a-z-]+)\s*=\s*(?:"([^"]*)"|([^,\s]+))/gi;
  const params = value.replace(/^Digest\s+/i, '');
  for (let m = re.exec(params); m; m = re.exec(params)) out.set(m[1].toLowerCase(), m[2] ?? m[3]);
  return out;
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

/** The RFC 2617 response for these credentials (qop=auth when the client used it, else none). */
export function digestResponse(p: Map<string, string>, method: string, password: string, realm: string): string {
  const ha1 = md5(`${p.get('username')}:${realm}:${password}`);
  const ha2 = md5(`${method}:${p.get('uri')}`);
  const qop = p.get('qop');
  if (qop === 'auth' && p.has('nc') && p.has('cnonce')) return md5(`${ha1}:${p.get('nonce')}:${p.get('nc')}:${p.get('cnonce')}:auth:${ha2}`);
  return md5(`${ha1}:${p.get('nonce')}:${ha2}`);
}

const userOf = (h: string | undefined) => /sips?:([^@;>]+)@/.exec(h ?? '')?.[1] ?? '';

export class Registrar {
  readonly arrivals: Arrival[] = [];
  private readonly nonces = new Set<string>();
  private readonly realm: string;

  constructor(private readonly opts: RegistrarOptions) {
    this.realm = opts.realm ?? 'sipwarden-test';
  }

  /** The answer to one datagram from src:port, or null (ACK, responses, garbage). */
  handle(data: string, src: string, port: number, at = Date.now()): string | null {
    const req = parseRequest(data);
    if (!req) return null;
    const cseq = Number(/^(\d+)/.exec(req.headers.get('cseq')?.[0] ?? '')?.[1] ?? 0);
    const arrival: Arrival = { src, port, at, method: req.method, cseq, user: userOf(req.headers.get('to')?.[0]), credentials: false, authorized: false, answer: null };
    this.arrivals.push(arrival);
    const { status, extra } = this.decide(req, src, port, arrival);
    arrival.answer = status;
    return status === null ? null : this.response(req, src, port, status, extra);
  }

  private decide(req: Request, src: string, port: number, a: Arrival): { status: number | null; extra: string[] } {
    if (req.method === 'ACK') return { status: null, extra: [] };
    if (req.method === 'OPTIONS') return { status: 200, extra: [] };
    if (req.method !== 'REGISTER' && req.method !== 'INVITE') return { status: 405, extra: ['Allow: REGISTER, OPTIONS, INVITE, ACK'] };
    const auth = req.headers.get('authorization')?.[0];
    if (!auth && !Object.hasOwn(this.opts.users, a.user) && this.opts.unknownUser !== '401') return { status: 404, extra: [] };
    if (!auth) return { status: 401, extra: [this.challenge()] };
    a.credentials = true;
    const p = digestParams(auth);
    a.user = p.get('username') ?? a.user;
    const password = Object.hasOwn(this.opts.users, a.user) ? this.opts.users[a.user] : undefined;
    const known = this.nonces.has(p.get('nonce') ?? '');
    if (known && password !== undefined && p.get('response') === digestResponse(p, req.method, password, this.realm)) {
      a.authorized = true;
      const contact = req.headers.get('contact')?.[0];
      return { status: 200, extra: [...(contact ? [`Contact: ${contact};expires=60`] : []), 'Expires: 60'] };
    }
    this.logFailure(a.user, src, port);
    if (this.opts.wrongPassword === '401') return { status: 401, extra: [this.challenge()] };
    return { status: 403, extra: [] };
  }

  private challenge(): string {
    const nonce = randomBytes(8).toString('hex');
    this.nonces.add(nonce);
    if (this.nonces.size > 10_000) this.nonces.delete(this.nonces.values().next().value!);
    return `WWW-Authenticate: Digest realm="${this.realm}", nonce="${nonce}", algorithm=MD5`;
  }

  private response(req: Request, src: string, port: number, status: number, extra: string[]): string {
    const reason: Record<number, string> = { 200: 'OK', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed' };
    const vias = (req.headers.get('via') ?? []).map((v, i) => (i === 0 ? withReceived(v, src, port) : v));
    const h = (name: string) => req.headers.get(name)?.[0];
    const to = h('to') ?? '';
    const lines = [
      `SIP/2.0 ${status} ${reason[status]}`,
      ...vias.map((v) => `Via: ${v}`),
      `From: ${h('from') ?? ''}`,
      `To: ${/;tag=/.test(to) ? to : `${to};tag=reg${randomBytes(4).toString('hex')}`}`,
      `Call-ID: ${h('call-id') ?? ''}`,
      `CSeq: ${h('cseq') ?? ''}`,
      'Server: sipwarden-test-registrar',
      ...extra,
      'Content-Length: 0',
    ];
    return lines.join('\r\n') + '\r\n\r\n';
  }

  /** The line Asterisk's res_security_log writes for a wrong password (AccountID is client text). */
  private logFailure(user: string, src: string, port: number): void {
    if (!this.opts.securityLog) return;
    const now = new Date();
    const stamp = now.toISOString().replace('T', ' ').slice(0, 19);
    const safeUser = user.replace(/[^\w.+-]/g, '?');
    const line =
      `[${stamp}] SECURITY[4242] res_security_log.c: SecurityEvent="InvalidPassword",EventTV="${now.toISOString()}",Severity="Error",` +
      `Service="SIP",EventVersion="2",AccountID="${safeUser}",SessionID="0x${randomBytes(4).toString('hex')}",LocalAddress="IPV4/UDP/0.0.0.0/5060",` +
      `RemoteAddress="IPV4/UDP/${src}/${port}",Challenge="x",ReceivedChallenge="x",ReceivedHash="x"\n`;
    appendFileSync(this.opts.securityLog, line);
  }
}

/** RFC 3261 §18.2.1 / RFC 3581: received= always, and rport filled in when the client asked. */
function withReceived(via: string, src: string, port: number): string {
  const v = via.replace(/;received=[^;]*/i, '');
  return /;rport(?=;|$)/i.test(v) ? v.replace(/;rport(?=;|$)/i, `;received=${src};rport=${port}`) : `${v};received=${src}`;
}

/** Serves on UDP until stdin closes. */
async function main(): Promise<void> {
  const opts = JSON.parse(process.argv[2] ?? '{}') as RegistrarOptions;
  const reg = new Registrar(opts);
  const sock = dgram.createSocket('udp4');
  sock.on('message', (msg, rinfo) => {
    const answer = reg.handle(msg.toString('latin1'), rinfo.address, rinfo.port);
    if (answer) sock.send(answer, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => sock.bind(opts.port ?? 5060, resolve));
  console.log(JSON.stringify({ ready: true }));
  const rl = readline.createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    const cmd = JSON.parse(line) as { op: string; id: number };
    if (cmd.op === 'arrivals') console.log(JSON.stringify({ id: cmd.id, result: reg.arrivals.splice(0) }));
    else console.log(JSON.stringify({ id: cmd.id, error: `unknown op ${cmd.op}` }));
  });
  rl.on('close', () => sock.close());
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) void main();
