// The real attack tools against a loopback registrar (test/helpers/registrar.ts answering like
// chan_sip): every request SIPVicious (svmap, svwar, svcrack, with and without -c) and sipsak sends
// must be flagged as a scanner by the SIP-wire signatures, the registrar's refusals and its one
// success must come out as auth-failure / auth-success, and sipp's plain call must not look like a
// scanner. Traffic stays on 127.0.0.1; each tool run is bounded by a timeout.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { test } from 'node:test';
import type { Offense, RawEvent } from '../src/core/types.ts';
import { sipSignatures } from '../src/detect/signatures/index.ts';
import { Registrar } from './helpers/registrar.ts';

const TOOLS = ['svmap', 'svwar', 'svcrack', 'sipsak', 'sipp'];

function which(tool: string): Promise<boolean> {
  return new Promise((resolve) => execFile('sh', ['-c', `command -v ${tool}`], (err) => resolve(!err)));
}

function run(file: string, args: string[]): Promise<void> {
  return new Promise((resolve) => execFile(file, args, { timeout: 30_000 }, () => resolve()));
}

interface Capture {
  port: number;
  events: RawEvent[];
  close(): Promise<void>;
}

/** A UDP registrar on 127.0.0.1 that records every request and every answer as 'sip' events. */
async function listen(): Promise<Capture> {
  const registrar = new Registrar({ users: { '100': '1001' } });
  const sock = dgram.createSocket('udp4');
  const events: RawEvent[] = [];
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  const { port } = sock.address();
  const ev = (src: { ip: string; port: number }, dst: { ip: string; port: number }, payload: Buffer): RawEvent => ({ type: 'sip', source: 'tools', at: events.length, transport: 'udp', src, dst, payload });
  sock.on('message', (msg, rinfo) => {
    const peer = { ip: rinfo.address, port: rinfo.port };
    const self = { ip: '127.0.0.1', port };
    events.push(ev(peer, self, msg));
    const answer = registrar.handle(msg.toString('latin1'), rinfo.address, rinfo.port);
    if (answer === null) return;
    const out = Buffer.from(answer, 'latin1');
    events.push(ev(self, peer, out));
    sock.send(out, rinfo.port, rinfo.address);
  });
  return { port, events, close: () => new Promise((resolve) => sock.close(() => resolve())) };
}

function offensesOf(events: RawEvent[]): { ev: RawEvent; offenses: Offense[] }[] {
  const sigs = sipSignatures({ registerDomains: ['pbx.example.com'] });
  return events.map((ev) => ({ ev, offenses: sigs.map((s) => s.match(ev)).filter((o): o is Offense => o !== null) }));
}

const isRequest = (ev: RawEvent) => ev.type === 'sip' && !ev.payload.toString('latin1').startsWith('SIP/2.0');

test('real scanners are flagged, real refusals counted, a plain sipp call is no scanner', { timeout: 240_000 }, async (t) => {
  const missing = [];
  for (const tool of TOOLS) if (!(await which(tool))) missing.push(tool);
  if (missing.length) {
    console.log(`# sip-tools skipped: ${missing.join(', ')} not installed (apt-get install sipvicious sipsak sip-tester)`);
    t.skip(`${missing.join(', ')} not installed`);
    return;
  }
  const cap = await listen();
  try {
    const target = ['-p', String(cap.port), '127.0.0.1'];
    const runs: [string, string[]][] = [
      ['svmap', target],
      ['svmap', ['-c', ...target]],
      ['svwar', ['-e100-102', ...target]],
      ['svcrack', ['-u100', '-r1000-1002', ...target]],
      ['svcrack', ['-c', '-u100', '-r1000-1002', ...target]],
      ['sipsak', ['-s', `sip:100@127.0.0.1:${cap.port}`]],
    ];
    const scanners: { tool: string; from: number; to: number }[] = [];
    for (const [tool, args] of runs) {
      const from = cap.events.length;
      await run(tool, args);
      scanners.push({ tool: `${tool} ${args.join(' ')}`, from, to: cap.events.length });
    }
    const sippFrom = cap.events.length;
    await run('sipp', ['-sn', 'uac', '-m', '1', '-timeout', '15s', '-timeout_error', '-nostdin', '-i', '127.0.0.1', '-p', '0', `127.0.0.1:${cap.port}`]);
    const results = offensesOf(cap.events);

    for (const s of scanners) {
      const requests = results.slice(s.from, s.to).filter((r) => isRequest(r.ev));
      assert.ok(requests.length > 0, `${s.tool} sent nothing`);
      for (const r of requests) {
        assert.ok(r.offenses.some((o) => o.kind === 'scanner' && o.ip === '127.0.0.1'), `${s.tool}: not flagged:\n${(r.ev as { payload: Buffer }).payload.toString('latin1')}`);
      }
    }
    const answers = results.filter((r) => !isRequest(r.ev)).flatMap((r) => r.offenses.map((o) => o.signature));
    assert.ok(answers.includes('sip-auth-failure'), 'a 403/404 from the registrar is an auth failure');
    assert.ok(answers.includes('sip-auth-success'), "svcrack found the password: the registrar's 200 is an auth success");
    const sipp = results.slice(sippFrom).filter((r) => isRequest(r.ev));
    assert.ok(sipp.length > 0, 'sipp sent nothing');
    for (const r of sipp) assert.deepEqual(r.offenses.filter((o) => o.kind === 'scanner'), [], 'sipp flagged as a scanner');
    const count = (tool: string) => scanners.filter((s) => s.tool.startsWith(tool)).reduce((n, s) => n + results.slice(s.from, s.to).filter((r) => isRequest(r.ev)).length, 0);
    console.log(`# sip-tools: svmap ${count('svmap')}, svwar ${count('svwar')}, svcrack ${count('svcrack')}, sipsak ${count('sipsak')} requests flagged; sipp ${sipp.length} requests clean`);
  } finally {
    await cap.close();
  }
});
