// The APIBAN wire protocol (reference/apiban.md §1): v1 GET {url}{KEY}/banned/{ID} and /check/{IP};
// v2 POST {url}get and {url}check with a Bearer key. Every answer is classified here, once: a page,
// the end of the list, or a FeedError whose kind tells the scheduler how long to back off.
import { FeedError } from './feed.ts';
import { fetchWithTimeout, readLimited, redact, retryAfterMs, type FetchFn } from './http.ts';

export interface ApibanClientOptions {
  key: string;
  /** The base including /api/, e.g. https://apiban.org/api/. */
  url: string;
  api: 'v1' | 'v2';
  set: 'sip' | 'http' | 'all';
  timeoutMs?: number;
  fetch?: FetchFn;
}

export type ApibanPage = { kind: 'page'; ips: string[]; id: string } | { kind: 'end' };

export interface ApibanCheck {
  listed: boolean;
  /** The listing's ID when listed. */
  id?: string;
}

/** The ID every client starts from (reference/apiban.md §1.1); any ID older than the oldest entry means "from the start". */
export const APIBAN_START_ID = '100';

/** A page is at most 250 entries of ~16 bytes; anything near a megabyte is not APIBAN. */
const MAX_BODY = 1024 * 1024;

interface Answer {
  status: number;
  body: unknown;
  res: Response;
}

export class ApibanClient {
  private readonly base: string;
  constructor(private readonly opts: ApibanClientOptions) {
    this.base = opts.url.endsWith('/') ? opts.url : `${opts.url}/`;
  }

  /** One page of entries newer than `id`, oldest first, or the end of the list. */
  async banned(id: string, signal: AbortSignal): Promise<ApibanPage> {
    const a = this.opts.api === 'v1'
      ? await this.request(`${this.base}${encodeURIComponent(this.opts.key)}/banned/${encodeURIComponent(id)}`, undefined, signal)
      : await this.request(`${this.base}get`, { set: this.opts.set, id }, signal);
    if (a.status === 200) return parsePage(a.body);
    if ((a.status === 400 || a.status === 404) && isNoNewBans(a.body)) return { kind: 'end' };
    throw this.failure(a);
  }

  /** Whether APIBAN lists an address now (`sipwarden check IP --online`). */
  async check(ip: string, signal: AbortSignal): Promise<ApibanCheck> {
    const a = this.opts.api === 'v1'
      ? await this.request(`${this.base}${encodeURIComponent(this.opts.key)}/check/${encodeURIComponent(ip)}`, undefined, signal)
      : await this.request(`${this.base}check`, { set: this.opts.set, ipaddress: ip }, signal);
    const body = a.body as { ipaddress?: unknown; ID?: unknown } | undefined;
    const notBlocked = Array.isArray(body?.ipaddress) && body.ipaddress[0] === 'not blocked';
    if (a.status === 200 && !notBlocked && Array.isArray(body?.ipaddress)) return { listed: true, id: typeof body.ID === 'string' ? body.ID : undefined };
    if ((a.status === 200 || a.status === 400 || a.status === 404) && notBlocked) return { listed: false };
    throw this.failure(a);
  }

  private async request(url: string, json: object | undefined, signal: AbortSignal): Promise<Answer> {
    const http = { fetch: this.opts.fetch, timeoutMs: this.opts.timeoutMs ?? 30_000, signal };
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'sipwarden' };
    if (json) {
      headers.authorization = `Bearer ${this.opts.key}`;
      headers['content-type'] = 'application/json';
    }
    const init: RequestInit = json ? { method: 'POST', headers, body: JSON.stringify(json) } : { method: 'GET', headers };
    const res = await fetchWithTimeout(url, init, http);
    const raw = await readLimited(res, url, MAX_BODY, http);
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      body = undefined; // classified by status below; a 200 without JSON is malformed
    }
    return { status: res.status, body, res };
  }

  private failure(a: Answer): FeedError {
    const url = redact(a.res.url || this.base);
    const body = a.body as { ipaddress?: unknown; ID?: unknown } | undefined;
    const rateLimited = a.status === 429 || body?.ipaddress === 'rate limit exceeded';
    if (rateLimited) {
      return new FeedError('rate-limited', `APIBAN rate limit exceeded (HTTP ${a.status} from ${url})`, { retryAfterMs: retryAfterMs(a.res, Date.now()) });
    }
    if (a.status === 401 || a.status === 403 || body?.ID === 'unauthorized') {
      return new FeedError('unauthorized', `APIBAN refused the API key (HTTP ${a.status} from ${url})`, {
        hint: 'check feeds.apiban.key (get a key at apiban.org); sipwarden waits hours before trying this key again',
      });
    }
    if (a.status >= 500) return new FeedError('transient', `APIBAN server error (HTTP ${a.status} from ${url})`);
    if (a.status === 200) return new FeedError('malformed', `APIBAN answered 200 with a body that is not {"ipaddress":[...],"ID":"..."} (${url})`);
    return new FeedError('transient', `APIBAN answered HTTP ${a.status} from ${url} with an unexpected body`);
  }
}

function parsePage(body: unknown): ApibanPage {
  const b = body as { ipaddress?: unknown; ID?: unknown } | undefined;
  if (!b || typeof b !== 'object' || typeof b.ID !== 'string') {
    throw new FeedError('malformed', 'APIBAN answered 200 without a string ID; the last good list stays in force');
  }
  if (b.ID === 'none') return { kind: 'end' };
  if (!/^\d{1,30}$/.test(b.ID) || !Array.isArray(b.ipaddress) || !b.ipaddress.every((x) => typeof x === 'string')) {
    throw new FeedError('malformed', `APIBAN answered 200 with a malformed page (ID ${JSON.stringify(b.ID).slice(0, 40)}); the last good list stays in force`);
  }
  if (b.ipaddress.length === 0) return { kind: 'end' };
  return { kind: 'page', ips: b.ipaddress as string[], id: b.ID };
}

/** 400 {"ipaddress":["no new bans"],"ID":"none"}; the string form of older docs is accepted too. */
function isNoNewBans(body: unknown): boolean {
  const b = body as { ipaddress?: unknown; ID?: unknown } | undefined;
  if (!b || b.ID !== 'none') return false;
  const first = Array.isArray(b.ipaddress) ? b.ipaddress[0] : b.ipaddress;
  return first === 'no new bans';
}
