// A local stand-in for list feeds (VoIPBL, FireHOL): serves text bodies with ETag and Last-Modified,
// answers 304 to matching If-None-Match / If-Modified-Since, gzips on request (Content-Encoding) or
// serves raw .gz bodies. 127.0.0.1 only.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';

export interface ListDoc {
  body: Buffer;
  etag?: string;
  modified?: string;
  /** Compress with Content-Encoding: gzip when the client accepts it. */
  encode?: boolean;
  status?: number;
}

export class ListTestServer {
  private readonly server: Server;
  readonly docs = new Map<string, ListDoc>();
  readonly requests: { path: string; headers: IncomingHttpHeaders; status: number }[] = [];
  base = '';

  constructor() {
    this.server = createServer((req, res) => {
      const path = req.url ?? '/';
      const doc = this.docs.get(path);
      const rec = { path, headers: req.headers, status: 404 };
      this.requests.push(rec);
      if (!doc) return void res.writeHead(404).end('not found');
      const fresh = (doc.etag && req.headers['if-none-match'] === doc.etag) || (!doc.etag && doc.modified && req.headers['if-modified-since'] === doc.modified);
      const headers: Record<string, string> = { 'content-type': 'text/plain' };
      if (doc.etag) headers.etag = doc.etag;
      if (doc.modified) headers['last-modified'] = doc.modified;
      if (fresh) {
        rec.status = 304;
        return void res.writeHead(304, headers).end();
      }
      let body = doc.body;
      if (doc.encode && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
        body = gzipSync(body);
        headers['content-encoding'] = 'gzip';
      }
      rec.status = doc.status ?? 200;
      res.writeHead(rec.status, headers).end(body);
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  set(path: string, text: string | Buffer, opts: Omit<ListDoc, 'body'> = {}): string {
    this.docs.set(path, { body: typeof text === 'string' ? Buffer.from(text) : text, ...opts });
    return `${this.base}${path}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
