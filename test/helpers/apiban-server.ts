// A local APIBAN-compatible server for tests and benchmarks, speaking reference/apiban.md §1.4
// exactly: v1 GET /api/{KEY}/banned[/{ID}] and /api/{KEY}/check/{IP}; v2 POST /api/get and
// /api/check with a Bearer key (the body is parsed whatever its Content-Type). Pages of 250, oldest
// first, strictly newer than the ID asked for; IDs are a monotonic sequence from 10^9 so same-second
// entries never straddle a page. Listens on 127.0.0.1 only. Test hooks inject 429/503, add and
// expire entries, and count requests.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ApibanSet = 'sip' | 'http';

interface Entry {
  id: number;
  ip: string;
  set: ApibanSet;
}

export interface RecordedRequest {
  method: string;
  path: string;
  auth: string | undefined;
  contentType: string | undefined;
  body: string;
  status: number;
}

export interface ApibanServerOptions {
  /** Keys the server accepts (default ["testkey"]). */
  keys?: string[];
  pageSize?: number;
  firstId?: number;
}

const NO_NEW_BANS = { ipaddress: ['no new bans'], ID: 'none' };
const UNAUTHORIZED = { ipaddress: 'none', ID: 'unauthorized' };
const RATE_LIMITED = { ipaddress: 'rate limit exceeded', ID: 'unauthorized' };
const NOT_BLOCKED = { ipaddress: ['not blocked'], ID: 'none' };

export class ApibanTestServer {
  private readonly server: Server;
  private entries: Entry[] = []; // ordered by id
  private nextId: number;
  private readonly failures = new Map<number, { status: number | 'hang'; body?: string }>();
  readonly requests: RecordedRequest[] = [];
  readonly keys: Set<string>;
  readonly pageSize: number;
  /** Base URL including /api/, as feeds.apiban.url wants it. */
  url = '';
  port = 0;

  constructor(opts: ApibanServerOptions = {}) {
    this.keys = new Set(opts.keys ?? ['testkey']);
    this.pageSize = opts.pageSize ?? 250;
    this.nextId = opts.firstId ?? 1_000_000_000;
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    this.url = `http://127.0.0.1:${this.port}/api/`;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Lists (or re-lists) addresses; a re-listed address moves to a new, higher ID. Returns the last ID. */
  add(ips: readonly string[], set: ApibanSet = 'sip'): string {
    const again = new Set(ips);
    this.entries = this.entries.filter((e) => !(again.has(e.ip) && e.set === set));
    for (const ip of ips) this.entries.push({ id: this.nextId++, ip, set });
    return String(this.nextId - 1);
  }

  /** Drops addresses from the active list (APIBAN's 7-day expiry). */
  expire(ips: readonly string[]): void {
    const gone = new Set(ips);
    this.entries = this.entries.filter((e) => !gone.has(e.ip));
  }

  /** The active addresses, oldest first. */
  active(set?: ApibanSet): string[] {
    return this.entries.filter((e) => !set || e.set === set).map((e) => e.ip);
  }

  /**
   * Makes the n-th request from the start (1-based, counting every request) fail with a status, or
   * 'hang': never answer (until close), for client timeouts.
   */
  failOn(n: number, status: 429 | 503 | 500 | 200 | 'hang', body?: string): void {
    this.failures.set(n, { status, body });
  }

  /** Makes the next request fail. */
  failNext(status: 429 | 503 | 500 | 200 | 'hang', body?: string): void {
    this.failOn(this.requests.length + 1, status, body);
  }

  get requestCount(): number {
    return this.requests.length;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const rec: RecordedRequest = {
      method: req.method ?? '', path: req.url ?? '', auth: req.headers.authorization,
      contentType: req.headers['content-type'], body: Buffer.concat(chunks).toString('utf8'), status: 0,
    };
    this.requests.push(rec);
    const injected = this.failures.get(this.requests.length);
    if (injected?.status === 'hang') return;
    const [status, body] = injected ? this.injectedAnswer(injected) : this.answer(rec);
    rec.status = status;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  }

  private injectedAnswer(f: { status: number | 'hang'; body?: string }): [number, unknown] {
    if (f.status === 'hang') return [0, ''];
    if (f.body !== undefined) return [f.status, f.body];
    if (f.status === 429) return [429, RATE_LIMITED];
    return [f.status, f.status === 200 ? '{not json' : '<html>Service Unavailable</html>'];
  }

  private answer(rec: RecordedRequest): [number, unknown] {
    const path = rec.path.split('?')[0];
    if (rec.method === 'POST' && (path === '/api/get' || path === '/api/check')) return this.v2(path, rec);
    const m = /^\/api\/([^/]+)\/(banned|check)(?:\/([^/]+))?\/?$/.exec(path);
    if (rec.method !== 'GET' || !m) return [404, { ipaddress: 'none', ID: 'not found' }];
    const key = decodeURIComponent(m[1]);
    if (!this.keys.has(key)) return [403, UNAUTHORIZED];
    const arg = m[3] === undefined ? undefined : decodeURIComponent(m[3]);
    return m[2] === 'banned' ? this.banned(arg, 'sip') : this.check(arg ?? '', 'sip');
  }

  private v2(path: string, rec: RecordedRequest): [number, unknown] {
    const key = /^Bearer\s+(.+)$/i.exec(rec.auth ?? '')?.[1]?.trim();
    if (!key || !this.keys.has(key)) return [403, UNAUTHORIZED];
    let body: { set?: unknown; id?: unknown; ipaddress?: unknown } = {};
    try {
      body = rec.body ? JSON.parse(rec.body) : {}; // parsed whatever the Content-Type (golib sends none)
    } catch {
      return [400, { ipaddress: 'bad request', ID: 'none' }];
    }
    const set = body.set === 'http' || body.set === 'all' ? body.set : 'sip';
    if (path === '/api/get') return this.banned(typeof body.id === 'string' ? body.id : undefined, set);
    return this.check(typeof body.ipaddress === 'string' ? body.ipaddress : '', set);
  }

  /** Entries strictly newer than id, oldest first; an unknown/old ID means "from the start". */
  private banned(id: string | undefined, set: ApibanSet | 'all'): [number, unknown] {
    const after = id !== undefined && /^\d+$/.test(id) ? Number(id) : 0;
    const page: Entry[] = [];
    for (let i = this.firstAfter(after); i < this.entries.length; i++) {
      const e = this.entries[i];
      if (set !== 'all' && e.set !== set) continue;
      page.push(e);
      if (page.length === this.pageSize) break;
    }
    if (page.length === 0) return [400, NO_NEW_BANS];
    return [200, { ipaddress: page.map((e) => e.ip), ID: String(page[page.length - 1].id) }];
  }

  /** Index of the first entry with an ID above `id` (entries are ordered by ID). */
  private firstAfter(id: number): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.entries[mid].id <= id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private check(ip: string, set: ApibanSet | 'all'): [number, unknown] {
    const hit = this.entries.find((e) => e.ip === ip && (set === 'all' || e.set === set));
    return hit ? [200, { ipaddress: [ip], ID: String(hit.id) }] : [400, NOT_BLOCKED];
  }
}

export async function startApibanServer(opts: ApibanServerOptions = {}): Promise<ApibanTestServer> {
  return new ApibanTestServer(opts).listen();
}

/** n distinct public IPv4 addresses starting at 45.0.0.1 (public unicast, so the sanity filter passes them). */
export function publicIps(n: number, offset = 0): string[] {
  const out: string[] = [];
  const base = (45 << 24) >>> 0;
  for (let i = 0; i < n; i++) {
    const v = base + 1 + offset + i;
    out.push(`${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`);
  }
  return out;
}
