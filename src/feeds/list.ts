// Plain-text list feeds (VoIPBL, FireHOL and the like): one IP or CIDR per line, '#' and ';'
// comments. A fetched list replaces the previous one; a 304 (ETag / Last-Modified) or an unchanged
// file only refreshes the expiry of what the list still has. Gzip is undone whether it comes as
// Content-Encoding (fetch decodes it) or as a .gz body (detected by its magic bytes).
import { readFile, stat } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import type { Config } from '../config/schema.ts';
import { AppError } from '../core/errors.ts';
import { tryParsePrefix } from '../core/ip.ts';
import type { Target } from '../core/types.ts';
import { FeedError, type Feed, type FeedRunReport, type FeedState, type FeedSyncContext } from './feed.ts';
import { fetchWithTimeout, readLimited, type FetchFn } from './http.ts';

export type ListFeedConfig = Config['feeds']['lists'][number];

export interface ListFeedOptions {
  fetch?: FetchFn;
  timeoutMs?: number;
}

type Fetched = { kind: 'not-modified' } | { kind: 'body'; body: Buffer; etag: string | null; modified: string | null };

export interface ParsedList {
  /** Every entry token as written (malformed ones too, so the sanity filter counts them). */
  tokens: string[];
  /** The canonical form of every well-formed entry. */
  valid: Set<Target>;
  malformed: number;
}

/** One entry per line; '#' or ';' starts a comment anywhere; the first word of a line is the entry. */
export function parseList(text: string): ParsedList {
  const tokens: string[] = [];
  const valid = new Set<Target>();
  let malformed = 0;
  for (const line of text.split('\n')) {
    const cut = line.search(/[#;]/);
    const token = (cut === -1 ? line : line.slice(0, cut)).trim().split(/\s+/)[0];
    if (!token) continue;
    tokens.push(token);
    const p = tryParsePrefix(token);
    if (p) valid.add(p.text);
    else malformed++;
  }
  return { tokens, valid, malformed };
}

export function createListFeed(cfg: ListFeedConfig, opts: ListFeedOptions = {}): Feed {
  if (!cfg.url === !cfg.file) throw new AppError('ERR_CONFIG_INVALID', `feeds.lists '${cfg.name}' needs exactly one of url or file`);
  return {
    id: cfg.name,
    nextInterval: () => cfg.interval * 1000,
    sync: (ctx) => syncList(ctx, cfg, opts),
  };
}

async function syncList(ctx: FeedSyncContext, cfg: ListFeedConfig, opts: ListFeedOptions): Promise<FeedRunReport> {
  const where = cfg.url ?? cfg.file!;
  const state = ctx.state();
  const fetched = cfg.url ? await fetchList(cfg.url, state, cfg.max_bytes, ctx, opts) : await readListFile(cfg.file!, state, cfg.max_bytes);
  const expires = ctx.clock.now() + cfg.lifetime * 1000;
  if (fetched.kind === 'not-modified') {
    // The list still has everything it had: only the expiry moves on.
    const current = [...(await ctx.current()).keys()];
    if (current.length > 0) await ctx.apply({ add: current, expires });
    return { status: 'unchanged', pages: 0, full: false };
  }
  const parsed = parseList(decode(fetched.body, where, cfg.max_bytes));
  if (parsed.malformed > parsed.valid.size) {
    throw new FeedError('malformed', `${where}: ${parsed.malformed} of ${parsed.tokens.length} lines are not IP addresses or CIDR prefixes; keeping the last good list`);
  }
  const remove = [...(await ctx.current()).keys()].filter((t) => !parsed.valid.has(t));
  const out = await ctx.apply({ add: parsed.tokens, remove, expires, state: { etag: fetched.etag, modified: fetched.modified } });
  const refused = Object.values(out.refused).reduce((a, b) => a + (b ?? 0), 0);
  ctx.progress({ page: 1, count: parsed.tokens.length, added: out.added, refreshed: out.refreshed, refused });
  return { status: 'ok', pages: 1, full: true };
}

async function fetchList(url: string, state: FeedState, maxBytes: number, ctx: FeedSyncContext, opts: ListFeedOptions): Promise<Fetched> {
  const http = { fetch: opts.fetch, timeoutMs: opts.timeoutMs ?? 60_000, signal: ctx.signal };
  const headers: Record<string, string> = { 'user-agent': 'sipwarden' };
  if (state.etag) headers['if-none-match'] = state.etag;
  if (state.modified) headers['if-modified-since'] = state.modified;
  const res = await fetchWithTimeout(url, { headers }, http);
  if (res.status === 304) {
    await res.body?.cancel().catch(() => undefined);
    return { kind: 'not-modified' };
  }
  if (res.status !== 200) {
    await res.body?.cancel().catch(() => undefined);
    throw new FeedError('transient', `${url} answered HTTP ${res.status}; keeping the last good list`);
  }
  const body = await readLimited(res, url, maxBytes, http);
  return { kind: 'body', body, etag: res.headers.get('etag'), modified: res.headers.get('last-modified') };
}

/** A file's size and mtime stand in for Last-Modified: unchanged means not re-read. */
async function readListFile(file: string, state: FeedState, maxBytes: number): Promise<Fetched> {
  let st;
  try {
    st = await stat(file);
  } catch (e) {
    throw new FeedError('transient', `cannot read list file ${file}: ${(e as Error).message}; keeping the last good list`, { cause: e });
  }
  const modified = `${st.mtimeMs}:${st.size}`;
  if (state.modified === modified) return { kind: 'not-modified' };
  if (st.size > maxBytes) throw new FeedError('malformed', `list file ${file} is ${st.size} bytes, more than the limit of ${maxBytes}`);
  return { kind: 'body', body: await readFile(file), etag: null, modified };
}

/** Text of a list body, gunzipped when it starts with the gzip magic bytes, never past maxBytes. */
function decode(body: Buffer, where: string, maxBytes: number): string {
  if (body.length < 2 || body[0] !== 0x1f || body[1] !== 0x8b) return body.toString('utf8');
  try {
    return gunzipSync(body, { maxOutputLength: maxBytes }).toString('utf8');
  } catch (e) {
    const tooBig = (e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError;
    throw new FeedError('malformed', tooBig ? `${where} unpacks to more than the limit of ${maxBytes} bytes` : `${where} is not valid gzip: ${(e as Error).message}`, { cause: e });
  }
}
