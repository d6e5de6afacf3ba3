import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { silentLogger } from '../../core/log.ts';
import type { RawEvent } from '../../core/types.ts';
import { collect } from '../../../test/helpers/collect-events.ts';
import { withRestart } from '../restart.ts';
import { SourceSetupError } from '../source.ts';
import { amiSource } from './client.ts';
import { AmiParser } from './protocol.ts';

/** A small Asterisk manager: banner, Login with one user, then whatever the test sends. */
class FakeAmi {
  readonly server: Server;
  readonly clients: Socket[] = [];
  readonly logins: Record<string, string>[] = [];
  banner = 'Asterisk Call Manager/9.0.0';
  constructor(private readonly secret = 'hunter2') {
    this.server = createServer((sock) => this.accept(sock));
  }
  async listen(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return (this.server.address() as { port: number }).port;
  }
  private accept(sock: Socket): void {
    sock.on('error', () => {});
    sock.write(`${this.banner}\r\n`);
    const parser = new AmiParser(() => {});
    parser.push(Buffer.from('Asterisk Call Manager/9.0.0\r\n')); // the parser expects a banner first
    sock.on('data', (d: Buffer) => {
      for (const m of parser.push(d)) {
        if (m.Action !== 'Login') continue;
        this.logins.push({ ...m });
        const ok = m.Username === 'sipwarden' && m.Secret === this.secret;
        sock.write(`Response: ${ok ? 'Success' : 'Error'}\r\nActionID: ${m.ActionID}\r\nMessage: Authentication ${ok ? 'accepted' : 'failed'}\r\n\r\n`);
        if (ok) {
          this.clients.push(sock);
          sock.write('Event: FullyBooted\r\nPrivilege: system,all\r\nStatus: Fully Booted\r\n\r\n');
        }
      }
    });
  }
  send(text: string): void {
    for (const c of this.clients) c.write(text);
  }
  dropAll(): void {
    for (const c of this.clients.splice(0)) c.destroy();
  }
  close(): void {
    this.dropAll();
    this.server.close();
  }
}

const INVALID_PASSWORD = [
  'Event: InvalidPassword', 'Privilege: security,all', 'EventTV: 2026-11-27T04:30:28.123+0000', 'Severity: Error',
  'Service: PJSIP', 'EventVersion: 2', 'AccountID: 1001', 'SessionID: 0a1b2c3d', 'LocalAddress: IPV4/UDP/192.0.2.1/5060',
  'RemoteAddress: IPV4/UDP/203.0.113.9/5061', 'Challenge: 1234abcd', 'ReceivedChallenge: 1234abcd', 'ReceivedHash: 00ff',
].join('\r\n') + '\r\n\r\n';
const SUCCESSFUL_AUTH = [
  'Event: SuccessfulAuth', 'Privilege: security,all', 'Severity: Informational', 'Service: PJSIP', 'EventVersion: 1',
  'AccountID: 1002', 'SessionID: 99', 'LocalAddress: IPV4/UDP/192.0.2.1/5060', 'RemoteAddress: IPV4/UDP/198.51.100.4/5060',
  'UsingPassword: 1',
].join('\r\n') + '\r\n\r\n';

const servers: FakeAmi[] = [];
after(() => servers.forEach((s) => s.close()));
async function fake(secret?: string): Promise<{ ami: FakeAmi; port: number }> {
  const ami = new FakeAmi(secret);
  servers.push(ami);
  return { ami, port: await ami.listen() };
}
const opts = (port: number, secret = 'hunter2') => ({ host: '127.0.0.1', port, username: 'sipwarden', secret });
const named = (evs: RawEvent[], name: string) => evs.filter((e) => e.type === 'ami' && e.fields.Event === name);

describe('AMI client', () => {
  it('logs in with Events: security and yields security events with their fields as received', async () => {
    const { ami, port } = await fake();
    const src = amiSource(opts(port));
    const c = collect(src);
    await c.until(() => ami.clients.length === 1);
    ami.send(INVALID_PASSWORD);
    // SuccessfulAuth written one byte at a time: framing must not depend on TCP segments.
    for (const ch of SUCCESSFUL_AUTH) ami.send(ch);
    await c.until((ev) => named(ev, 'SuccessfulAuth').length === 1);
    await c.stop();
    assert.deepEqual(ami.logins[0], { Action: 'Login', ActionID: 'sipwarden-login', Username: 'sipwarden', Secret: 'hunter2', Events: 'security' });
    assert.deepEqual(c.events.map((e) => (e.type === 'ami' ? e.fields.Event : e.type)), ['FullyBooted', 'InvalidPassword', 'SuccessfulAuth']);
    const bad = c.events[1];
    assert.equal(bad.type, 'ami');
    assert.equal(bad.fields.RemoteAddress, 'IPV4/UDP/203.0.113.9/5061');
    assert.equal(bad.fields.EventTV, '2026-11-27T04:30:28.123+0000');
    assert.equal(bad.source, `ami:127.0.0.1:${port}`);
    assert.equal(src.stats.received, 3);
  });

  it('a refused login is a setup error on the first attempt', async () => {
    const { port } = await fake();
    const err = await collect(withRestart(amiSource(opts(port, 'wrong')), { min: 20, max: 100 }, silentLogger)).done;
    assert.ok(err instanceof SourceSetupError);
    assert.match(err.message, /refused the login of 'sipwarden': Authentication failed/);
  });

  it('is ready once logged in and not while the connection is down; its setup time covers the login timeout', async () => {
    const { ami, port } = await fake();
    // A 300 ms wait before reconnecting: time enough to see the source down.
    const src = withRestart(amiSource({ ...opts(port), loginTimeoutMs: 3000 }), { min: 300, max: 1000 }, silentLogger);
    // Asterisk answers a wrong secret only after a second: the daemon's start waits this long.
    assert.equal(src.setupMs, 4000);
    assert.equal(src.stats.ready, false);
    const c = collect(src);
    await c.until(() => src.stats.ready === true);
    ami.dropAll();
    await c.until(() => src.stats.ready === false);
    await c.until(() => src.stats.ready === true && ami.logins.length === 2);
    await c.stop();
  });

  it('reconnects after the connection drops and logs in again', async () => {
    const { ami, port } = await fake();
    const src = withRestart(amiSource(opts(port)), { min: 20, max: 1000 }, silentLogger);
    const c = collect(src);
    await c.until(() => ami.clients.length === 1);
    ami.dropAll();
    await c.until(() => ami.clients.length === 1 && ami.logins.length === 2);
    ami.send(INVALID_PASSWORD);
    await c.until((ev) => named(ev, 'InvalidPassword').length === 1);
    await c.stop();
    assert.equal(src.stats.restarts, 1);
    assert.match(src.stats.lastError ?? '', /closed the connection/);
  });

  it('keeps trying while the manager is down, then connects', async () => {
    const { ami, port } = await fake();
    ami.server.close();
    const src = withRestart(amiSource(opts(port)), { min: 20, max: 200 }, silentLogger);
    const c = collect(src);
    await c.until(() => src.stats.restarts >= 2);
    assert.match(src.stats.lastError ?? '', /ECONNREFUSED/);
    await new Promise<void>((r) => ami.server.listen(port, '127.0.0.1', r));
    await c.until((ev) => named(ev, 'FullyBooted').length === 1);
    await c.stop();
  });

  it('refuses a message with a repeated RemoteAddress and a malformed one, and goes on', async () => {
    const { ami, port } = await fake();
    const src = amiSource(opts(port));
    const c = collect(src);
    await c.until(() => ami.clients.length === 1);
    const forged = 'Event: InvalidAccountID\r\nAccountID: x\r\nRemoteAddress: IPV4/UDP/192.0.2.50/5060\r\nRemoteAddress: IPV4/UDP/203.0.113.9/5060\r\n\r\n';
    ami.send(forged + 'Event: Broken\r\nthis line has no colon\r\n\r\n' + SUCCESSFUL_AUTH);
    await c.until((ev) => named(ev, 'SuccessfulAuth').length === 1);
    await c.stop();
    assert.deepEqual(named(c.events, 'InvalidAccountID'), []);
    assert.deepEqual(src.stats.skippedByReason, { 'duplicate-key': 1, 'malformed-line': 1 });
  });

  it('refuses a peer that is not an Asterisk manager, and a line break in the secret', async () => {
    const { ami, port } = await fake();
    ami.banner = 'SSH-2.0-OpenSSH_9.2';
    const err = await collect(withRestart(amiSource(opts(port)), { min: 20, max: 100 }, silentLogger)).done;
    assert.ok(err instanceof SourceSetupError);
    assert.match(err.message, /not an Asterisk manager/);
    assert.throws(() => amiSource(opts(port, 'x\r\nAction: Originate')), /line break/);
  });

  it('gives up on a peer that accepts but never completes the login', async () => {
    const silent = createServer((sock) => sock.on('error', () => {}));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    const src = amiSource({ ...opts(port), loginTimeoutMs: 100 });
    const err = await collect(src).done;
    silent.close();
    assert.match(String(err), /did not complete the login within the timeout/);
  });
});
