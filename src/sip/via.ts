// Via header entries: `SIP/2.0/UDP host:port;branch=z9hG4bK...;rport;received=...`.

import type { Via } from './types.ts';
import { parseParams, splitHostPort } from './uri.ts';

/** Parses one Via entry (already split on commas); null when there is no protocol/transport. */
export function parseVia(text: string): Via | null {
  const s = text.trim();
  // sent-protocol allows LWS around the slashes ("SIP / 2.0 / UDP").
  const m = /^([^\s/]+)\s*\/\s*([^\s/]+)\s*\/\s*([^\s/;]+)\s*/.exec(s);
  if (!m) return null;
  const rest = s.slice(m[0].length);
  const semi = rest.indexOf(';');
  const sentBy = semi >= 0 ? rest.slice(0, semi) : rest;
  const { host, port } = splitHostPort(sentBy.trim());
  const params = semi >= 0 ? parseParams(rest.slice(semi)) : new Map<string, string>();
  return {
    protocol: `${m[1]}/${m[2]}`,
    transport: m[3].toUpperCase(),
    host,
    port,
    branch: params.get('branch') ?? null,
    rport: params.get('rport') ?? null,
    received: params.get('received') ?? null,
    params,
  };
}
