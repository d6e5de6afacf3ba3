// The tshark oracle: a few hundred generated SIP messages (requests and responses, compact names,
// LF-only, odd header-name case and spacing, Via lists, Digest credentials, SDP bodies) go into a
// pcap; Debian's tshark dissects them and every field it reports must equal what parseSip reports.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseSip, type SipMessage } from './index.ts';
import { gen, generateMessage, writePcap } from './testgen.ts';

const COUNT = 400;
type Value = string | number | null | undefined;

/** tshark field → the same value from our parser (undefined/null print as tshark's empty field). */
const FIELDS: [string, (m: SipMessage) => Value][] = [
  ['sip.Method', (m) => m.method],
  ['sip.Status-Code', (m) => m.status],
  ['sip.Call-ID', (m) => m.callId],
  ['sip.CSeq.seq', (m) => m.cseq?.seq],
  ['sip.CSeq.method', (m) => m.cseq?.method],
  ['sip.r-uri.user', (m) => m.uri?.user],
  ['sip.r-uri.host', (m) => m.uri?.host],
  ['sip.r-uri.port', (m) => m.uri?.port],
  ['sip.from.display.info', (m) => m.from?.displayName],
  ['sip.from.user', (m) => m.from?.user],
  ['sip.from.host', (m) => m.from?.host],
  ['sip.from.port', (m) => m.from?.port],
  ['sip.from.tag', (m) => m.from?.tag],
  ['sip.to.user', (m) => m.to?.user],
  ['sip.to.host', (m) => m.to?.host],
  ['sip.to.tag', (m) => m.to?.tag],
  ['sip.contact.user', (m) => m.contact?.user],
  ['sip.contact.host', (m) => m.contact?.host],
  ['sip.User-Agent', (m) => m.userAgent],
  // occurrence=f is the first Via *that has the field*, not the field of the first Via.
  ['sip.Via.transport', (m) => m.vias[0]?.transport],
  ['sip.Via.sent-by.address', (m) => m.vias[0]?.host],
  ['sip.Via.sent-by.port', (m) => m.vias.find((v) => v.port !== null)?.port],
  ['sip.Via.branch', (m) => m.vias.find((v) => v.branch !== null)?.branch],
  ['sip.Via.received', (m) => m.vias.find((v) => v.received !== null)?.received],
  ['sip.auth.username', (m) => (m.authorization ?? m.proxyAuthorization)?.username],
  ['sip.auth.realm', (m) => (m.authorization ?? m.proxyAuthorization)?.realm],
  ['sip.auth.nonce', (m) => (m.authorization ?? m.proxyAuthorization)?.nonce],
  ['sip.auth.nc', (m) => (m.authorization ?? m.proxyAuthorization)?.nc],
  ['sip.auth.cnonce', (m) => (m.authorization ?? m.proxyAuthorization)?.cnonce],
  ['sip.Content-Length', (m) => m.contentLength],
];

/**
 * tshark's quirks, undone: display names and quoted auth values keep their quotes, unquoted names a
 * trailing space; and with LF-only line ends a bare addr-spec (`t: sip:u@host`, no params) runs its
 * host into the next line, printed as an escaped `\n` (ours stops at the line end, as it should).
 */
function tsharkValue(field: string, raw: string): string {
  let v = field.endsWith('display.info') || field.startsWith('sip.auth.') ? raw.trim() : raw;
  if (field.endsWith('.host') && v.includes('\\n')) v = v.slice(0, v.indexOf('\\n'));
  return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
}

function tsharkPath(): string | null {
  try {
    execFileSync('tshark', ['--version'], { stdio: 'ignore' });
    return 'tshark';
  } catch {
    return null;
  }
}

const tshark = tsharkPath();
if (!tshark) console.log('# tshark-oracle skipped: tshark is not installed (apt-get install tshark)');

test('parseSip agrees with tshark field by field on generated messages', { skip: tshark ? false : 'tshark is not installed' }, () => {
  const g = gen(20261127);
  const messages = Array.from({ length: COUNT }, () => generateMessage(g));
  const dir = mkdtempSync(join(tmpdir(), 'sipwarden-oracle-'));
  try {
    const pcap = join(dir, 'oracle.pcap');
    writeFileSync(pcap, writePcap(messages));
    const args = ['-r', pcap, '-d', 'udp.port==5060,sip', '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=f', '-E', 'quote=n'];
    for (const [f] of FIELDS) args.push('-e', f);
    const out = execFileSync(tshark!, args, { encoding: 'latin1', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'ignore'] });
    const rows = out.split('\n').filter((l) => l !== '');
    assert.equal(rows.length, COUNT, 'one tshark row per frame');
    const mismatches: string[] = [];
    let compared = 0;
    rows.forEach((row, i) => {
      const m = parseSip(messages[i]);
      if ('error' in m) return void mismatches.push(`#${i}: parse error ${m.error}`);
      const cols = row.split('\t');
      FIELDS.forEach(([field, ours], k) => {
        const theirs = tsharkValue(field, cols[k] ?? '');
        const mine = String(ours(m) ?? '');
        compared += theirs === '' ? 0 : 1;
        if (theirs !== mine) mismatches.push(`#${i} ${field}: tshark ${JSON.stringify(theirs)} parser ${JSON.stringify(mine)}`);
      });
    });
    assert.deepEqual(mismatches.slice(0, 20), []);
    // The oracle must have had something to say: most fields are present in most messages.
    assert.ok(compared > COUNT * 15, `only ${compared} non-empty tshark fields compared`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
