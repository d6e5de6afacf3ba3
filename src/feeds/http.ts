// HTTP helpers shared by the feeds: global fetch with a per-request timeout joined to the caller's
// stop signal, and a body reader that aborts past a byte limit instead of buffering a runaway body.
import { FeedError } from './feed.ts';

export type FetchFn = typeof fetch;

export interface HttpOptions {
  fetch?: FetchFn;
  timeoutMs: number;
  signal: AbortSignal;
}

/** fetch() that turns network failures and timeouts into transient FeedErrors naming the URL. */
export async function fetchWithTimeout(url: string, init: RequestInit, opts: HttpOptions): Promise<Response> {
  const signal = AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs)]);
  try {
    return await (opts.fetch ?? fetch)(url, { ...init, signal, redirect: 'follow' });
  } catch (e) {
    throw networkError(url, e, opts);
  }
}

function networkError(url: string, e: unknown, opts: HttpOptions): FeedError {
  if (opts.signal.aborted) return new FeedError('transient', `request to ${redact(url)} stopped`, { cause: e });
  const name = (e as Error)?.name;
  const why = name === 'TimeoutError' ? `no answer within ${opts.timeoutMs} ms` : (((e as Error)?.cause as Error)?.message ?? (e as Error)?.message);
  return new FeedError('transient', `request to ${redact(url)} failed: ${why}`, { cause: e });
}

/** Reads a response body, aborting as soon as it passes maxBytes (a hostile or broken feed). */
export async function readLimited(res: Response, url: string, maxBytes: number, opts: HttpOptions): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw new FeedError('malformed', `${redact(url)} is ${declared} bytes, more than the limit of ${maxBytes}`, { hint: 'raise max_bytes for this feed if the list really is that large' });
  }
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of res.body ?? []) {
      total += chunk.byteLength;
      if (total > maxBytes) {
        await res.body?.cancel().catch(() => undefined);
        throw new FeedError('malformed', `${redact(url)} sent more than the limit of ${maxBytes} bytes`, { hint: 'raise max_bytes for this feed if the list really is that large' });
      }
      chunks.push(Buffer.from(chunk));
    }
  } catch (e) {
    if (e instanceof FeedError) throw e;
    throw networkError(url, e, opts);
  }
  return Buffer.concat(chunks);
}

/** A URL fit for logs: an APIBAN v1 key sits in the path, so it is masked. */
export function redact(url: string): string {
  return url.replace(/\/api\/[^/]+\/(banned|check)/, '/api/***/$1');
}

/** Milliseconds from a Retry-After header (seconds or an HTTP date), if any. */
export function retryAfterMs(res: Response, now: number): number | undefined {
  const v = res.headers.get('retry-after');
  if (!v) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
