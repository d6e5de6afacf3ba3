// An AMI client as an event source: connect, read the banner, log in, yield every manager event.
// A dropped connection ends the attempt with an error; withRestart reconnects with backoff.
import { connect, type Socket } from 'node:net';
import { systemClock, type Clock } from '../../core/clock.ts';
import { AppError } from '../../core/errors.ts';
import type { RawEvent } from '../../core/types.ts';
import { countSkip, createStats, type EventSource, SourceSetupError, type SourceStats } from '../source.ts';
import { AmiParser, formatAction, NotAmiError } from './protocol.ts';

export interface AmiOptions {
  host: string;
  port: number;
  username: string;
  secret: string;
  /** The Events (event mask) sent with Login: "security" (default) or "on" for every class. */
  events?: string;
  /** Connect, banner and login must finish within this, ms (default 10000). */
  loginTimeoutMs?: number;
  clock?: Clock;
}

const LOGIN_ID = 'sipwarden-login';

export function amiSource(opts: AmiOptions): EventSource {
  for (const [key, value] of Object.entries({ username: opts.username, secret: opts.secret, events: opts.events ?? '' })) {
    if (/[\r\n]/.test(value)) {
      throw new AppError('ERR_CONFIG_INVALID', `detect.asterisk.ami.${key} contains a line break, which AMI cannot carry`);
    }
  }
  const id = `ami:${opts.host}:${opts.port}`;
  const stats: SourceStats = { ...createStats(), ready: false };
  // Asterisk answers a wrong secret only after a second (manager.c sleeps): the daemon's start
  // waits for the login, up to its timeout, so a refused one still stops the start.
  return { id, stats, setupMs: (opts.loginTimeoutMs ?? 10_000) + 1000, events: (signal) => session(opts, id, stats, signal) };
}

async function* session(opts: AmiOptions, id: string, stats: SourceStats, signal: AbortSignal): AsyncGenerator<RawEvent> {
  if (signal.aborted) return;
  const clock = opts.clock ?? systemClock;
  const socket = connect({ host: opts.host, port: opts.port });
  socket.setKeepAlive(true, 30_000); // notice a dead peer on an idle connection
  const parser = new AmiParser((reason) => countSkip(stats, reason));
  const stop = (): void => void socket.destroy();
  signal.addEventListener('abort', stop, { once: true });
  const timer = setTimeout(
    () => socket.destroy(new AppError('ERR_SOURCE', `AMI ${opts.host}:${opts.port} did not complete the login within the timeout`)),
    opts.loginTimeoutMs ?? 10_000,
  );
  let loggedIn = false;
  try {
    for await (const chunk of socket as AsyncIterable<Buffer>) {
      const hadBanner = parser.banner !== null;
      const messages = parser.push(chunk);
      if (!hadBanner && parser.banner !== null) sendLogin(socket, opts);
      for (const msg of messages) {
        if (!loggedIn) {
          if (msg.ActionID !== LOGIN_ID) continue;
          checkLogin(msg, opts);
          loggedIn = true;
          stats.ready = true;
          clearTimeout(timer);
          continue;
        }
        if (msg.Event === undefined) continue; // responses to nothing we asked
        stats.received++;
        yield { type: 'ami', source: id, at: clock.now(), fields: msg };
      }
    }
  } catch (e) {
    if (signal.aborted) return;
    if (e instanceof AppError) throw e;
    if (e instanceof NotAmiError) throw new SourceSetupError('ERR_SOURCE', `${opts.host}:${opts.port}: ${e.message}`);
    throw new AppError('ERR_SOURCE', `AMI ${opts.host}:${opts.port}: ${(e as Error).message}`, { cause: e });
  } finally {
    stats.ready = false;
    clearTimeout(timer);
    signal.removeEventListener('abort', stop);
    socket.destroy();
  }
  if (!signal.aborted) throw new AppError('ERR_SOURCE', `AMI ${opts.host}:${opts.port} closed the connection`);
}

function sendLogin(socket: Socket, opts: AmiOptions): void {
  socket.write(
    formatAction({ Action: 'Login', ActionID: LOGIN_ID, Username: opts.username, Secret: opts.secret, Events: opts.events ?? 'security' }),
  );
}

function checkLogin(msg: Readonly<Record<string, string>>, opts: AmiOptions): void {
  if (msg.Response === 'Success') return;
  throw new SourceSetupError('ERR_SOURCE', `AMI ${opts.host}:${opts.port} refused the login of '${opts.username}': ${msg.Message ?? msg.Response}`, {
    hint: 'check detect.asterisk.ami.username and secret against manager.conf (the user needs read = security)',
  });
}
