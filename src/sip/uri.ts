// URI, name-addr and parameter parsing. Tolerant: odd input gives nulls, never an exception.

import type { NameAddr, SipParams, SipUri } from './types.ts';

/**
 * Bounds on what one header may expand into: real messages carry a handful of parameters and list
 * items; a 64 KiB header of `;a;b;c...` or `<x>,<y>,...` must not cost more than this many.
 */
export const MAX_PARAMS = 64;
export const MAX_LIST_ITEMS = 64;

/** Parses `;a=1;b;c="x;y"` (leading ';' optional) into lower-cased names; quoted values are unquoted; first MAX_PARAMS only. */
export function parseParams(text: string): SipParams {
  const params: SipParams = new Map();
  const n = text.length;
  // The next '=' and '"' at or after i, searched again only once i has passed them: a search per
  // parameter would run to the end of the text each time, quadratic on `;a;a;a;...` (fuzz found it).
  let nextEq = -2;
  let nextQuote = -2;
  let i = 0;
  let count = 0;
  // Repeated names do not count as parameters, so non-empty segments are bounded too; empty ones
  // (`;;;;`) cost one search each and are skipped without counting, so they cannot push a tag out.
  for (let segments = 0; i < n && count < MAX_PARAMS && segments < 4 * MAX_PARAMS; ) {
    let end = text.indexOf(';', i);
    if (end < 0) end = n;
    if (end === i) {
      i++;
      continue;
    }
    segments++;
    if (nextEq !== -1 && nextEq < i) nextEq = text.indexOf('=', i);
    const eq = nextEq >= 0 && nextEq < end ? nextEq : -1;
    let name: string;
    let value = '';
    if (eq >= 0) {
      name = text.slice(i, eq);
      if (nextQuote !== -1 && nextQuote < eq) nextQuote = text.indexOf('"', eq);
      if (nextQuote >= 0 && nextQuote < end) [value, end] = readValue(text, eq + 1, ';');
      else value = text.slice(eq + 1, end).trim();
    } else {
      name = text.slice(i, end);
    }
    name = name.trim().toLowerCase();
    if (name !== '' && !params.has(name)) {
      params.set(name, value);
      count++;
    }
    i = end + 1;
  }
  return params;
}

/** Reads a token or quoted string starting at `i` up to `stop`; returns [value, index after it]. */
export function readValue(text: string, i: number, stop: string): [string, number] {
  const n = text.length;
  while (i < n && (text[i] === ' ' || text[i] === '\t')) i++;
  if (text[i] === '"') {
    const [value, end] = readQuoted(text, i);
    let j = end;
    while (j < n && text[j] !== stop) j++;
    return [value, j];
  }
  let j = i;
  while (j < n && text[j] !== stop) j++;
  return [text.slice(i, j).trim(), j];
}

/**
 * Reads a quoted string at `text[i] === '"'`, resolving backslash escapes; unterminated runs to the
 * end. `mayEscape` false (the caller saw no backslash in the text) takes the indexOf fast path.
 */
export function readQuoted(text: string, i: number, mayEscape = true): [string, number] {
  if (!mayEscape) {
    const close = text.indexOf('"', i + 1);
    return close < 0 ? [text.slice(i + 1), text.length] : [text.slice(i + 1, close), close + 1];
  }
  let out = '';
  let j = i + 1;
  let from = j;
  const n = text.length;
  while (j < n) {
    const c = text.charCodeAt(j);
    if (c === 0x22) return [out + text.slice(from, j), j + 1];
    if (c === 0x5c && j + 1 < n) {
      out += text.slice(from, j);
      from = j + 1;
      j += 2;
      continue;
    }
    j++;
  }
  return [out + text.slice(from), n];
}

/** Splits a header value on commas outside quotes and <...>; empty items dropped; first MAX_LIST_ITEMS only. */
export function splitList(value: string): string[] {
  if (value.indexOf(',') < 0) return value === '' ? [] : [value];
  const items: string[] = [];
  let inQuote = false;
  let inAngle = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (inQuote) {
      if (c === '\\') i++;
      else if (c === '"') inQuote = false;
    } else if (c === '"') inQuote = true;
    else if (c === '<') inAngle = true;
    else if (c === '>') inAngle = false;
    else if (c === ',' && !inAngle) {
      pushTrimmed(items, value.slice(start, i));
      if (items.length >= MAX_LIST_ITEMS) return items;
      start = i + 1;
    }
  }
  pushTrimmed(items, value.slice(start));
  return items;
}

function pushTrimmed(items: string[], item: string): void {
  const t = item.trim();
  if (t !== '') items.push(t);
}

/** Splits "host:port", "[v6]:port" or "host"; a port that is not 1..65535 digits gives null. */
export function splitHostPort(text: string): { host: string; port: number | null } {
  let host = text;
  let portText = '';
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    host = close < 0 ? text.slice(1) : text.slice(1, close);
    if (close >= 0 && text[close + 1] === ':') portText = text.slice(close + 2);
  } else {
    const colon = text.indexOf(':');
    if (colon >= 0) {
      host = text.slice(0, colon);
      portText = text.slice(colon + 1);
    }
  }
  return { host: host.trim(), port: parsePort(portText.trim()) };
}

export function parsePort(text: string): number | null {
  if (text === '' || text.length > 5 || !/^\d+$/.test(text)) return null;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : null;
}

/** Parses a URI. sip/sips get user, host, port and params; other schemes keep the rest as user. */
export function parseUri(text: string): SipUri | null {
  const colon = text.indexOf(':');
  if (colon <= 0) return null;
  const scheme = text.slice(0, colon).toLowerCase();
  if (!/^[a-z][a-z0-9+.-]*$/.test(scheme)) return null;
  let rest = text.slice(colon + 1);
  let headers: string | null = null;
  const q = rest.indexOf('?');
  if (q >= 0) {
    headers = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  if (scheme !== 'sip' && scheme !== 'sips') return otherUri(scheme, rest, headers);
  let user: string | null = null;
  let password: string | null = null;
  const at = rest.indexOf('@');
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    const pc = userinfo.indexOf(':');
    user = pc >= 0 ? userinfo.slice(0, pc) : userinfo;
    password = pc >= 0 ? userinfo.slice(pc + 1) : null;
    rest = rest.slice(at + 1);
  }
  const semi = rest.indexOf(';');
  const { host, port } = splitHostPort(semi >= 0 ? rest.slice(0, semi) : rest);
  const params = semi >= 0 ? parseParams(rest.slice(semi)) : new Map<string, string>();
  return { scheme, user, password, host, port, params, headers };
}

function otherUri(scheme: string, rest: string, headers: string | null): SipUri {
  const semi = rest.indexOf(';');
  const params = semi >= 0 ? parseParams(rest.slice(semi)) : new Map<string, string>();
  const user = semi >= 0 ? rest.slice(0, semi) : rest;
  return { scheme, user, password: null, host: '', port: null, params, headers };
}

/** Parses one From/To/Contact entry: `"Name" <uri>;p=v`, `Name <uri>`, or a bare `uri;p=v`. */
export function parseNameAddr(text: string): NameAddr {
  let s = text.trim();
  let displayName: string | null = null;
  if (s.startsWith('"')) {
    const [name, end] = readQuoted(s, 0);
    displayName = name;
    s = s.slice(end).trimStart();
  }
  const lt = s.indexOf('<');
  let rawUri: string;
  let paramText: string;
  if (lt >= 0) {
    if (displayName === null && lt > 0) displayName = s.slice(0, lt).trim() || null;
    const gt = s.indexOf('>', lt);
    rawUri = gt >= 0 ? s.slice(lt + 1, gt) : s.slice(lt + 1);
    paramText = gt >= 0 ? s.slice(gt + 1) : '';
  } else {
    // addr-spec form: the parameters after the URI belong to the header (RFC 3261 §20.10).
    const semi = s.indexOf(';');
    rawUri = semi >= 0 ? s.slice(0, semi) : s;
    paramText = semi >= 0 ? s.slice(semi) : '';
  }
  rawUri = rawUri.trim();
  const uri = rawUri === '*' ? null : parseUri(rawUri);
  const params = parseParams(paramText);
  return {
    displayName,
    rawUri,
    uri,
    user: uri ? uri.user : null,
    host: uri ? uri.host : null,
    port: uri ? uri.port : null,
    tag: params.get('tag') ?? null,
    params,
  };
}
