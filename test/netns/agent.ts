// A small SIP traffic agent that runs inside one network namespace (`ip netns exec NS node
// --import tsx agent.ts`) and takes JSON-line requests on stdin: `listen` (UDP+TCP listener that
// records every payload, optionally answering requests with 200 OK), `take` (hand over and forget
// what arrived), `send` (UDP datagrams or TCP connect/write/close) and `exchange` (one UDP request
// and its answer, from a fixed source port). Replies are JSON lines on stdout. Every send goes only
// to 10.0.0.0/8 or fd00::/8 addresses and is bounded in count and time.
import dgram from 'node:dgram';
import net from 'node:net';
import readline from 'node:readline';
import { pathToFileURL } from 'node:url';

export interface Arrival {
  proto: 'udp' | 'tcp';
  src: string;
  srcPort: number;
  dstPort: number;
  data: string;
}

const MAX_MESSAGES = 10_000;
const MAX_TIMEOUT_MS = 30_000;
const arrivals: Arrival[] = [];
let lastArrival = 0;
const closers: (() => void)[] = [];

/** Plain IP (no mapping prefix): Node reports IPv4 on a dual-stack socket as ::ffff:a.b.c.d. */
function plainIp(ip: string | undefined): string {
  return (ip ?? '').replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
}

/** Only the lab's own address ranges; anything else is refused before a packet leaves. */
export function allowedDestination(ip: string): boolean {
  if (net.isIPv4(ip)) return ip.startsWith('10.');
  if (net.isIPv6(ip)) return /^fd[0-9a-f]{2}:/i.test(ip);
  return false;
}

/** A minimal 200 OK echoing the headers a client matches its transaction on. */
function answerFor(request: string): string | null {
  if (request.startsWith('SIP/2.0')) return null;
  const keep = request
    .split('\r\n')
    .filter((l) => /^(via|v|from|f|to|t|call-id|i|cseq)\s*:/i.test(l));
  return ['SIP/2.0 200 OK', ...keep, 'Content-Length: 0', '', ''].join('\r\n');
}

function record(a: Arrival): void {
  arrivals.push(a);
  lastArrival = Date.now();
}

async function listen(ports: number[], answer: boolean): Promise<{ bound: number }> {
  let bound = 0;
  for (const port of ports) {
    for (const type of ['udp4', 'udp6'] as const) {
      const sock = dgram.createSocket({ type, ipv6Only: type === 'udp6', reuseAddr: false });
      sock.on('message', (msg, rinfo) => {
        const data = msg.toString('latin1');
        record({ proto: 'udp', src: plainIp(rinfo.address), srcPort: rinfo.port, dstPort: port, data });
        const reply = answer ? answerFor(data) : null;
        if (reply) sock.send(reply, rinfo.port, rinfo.address);
      });
      await new Promise<void>((res, rej) => {
        sock.once('error', rej);
        sock.bind(port, type === 'udp4' ? '0.0.0.0' : '::', () => res());
      });
      closers.push(() => sock.close());
      bound++;
    }
    const server = net.createServer((conn) => {
      const a: Arrival = { proto: 'tcp', src: plainIp(conn.remoteAddress), srcPort: conn.remotePort ?? 0, dstPort: port, data: '' };
      record(a);
      conn.on('data', (chunk) => {
        a.data += chunk.toString('latin1');
        lastArrival = Date.now();
      });
      conn.on('error', () => {});
      conn.setTimeout(10_000, () => conn.destroy());
    });
    await new Promise<void>((res, rej) => {
      server.once('error', rej);
      server.listen({ port, host: '::', ipv6Only: false }, () => res());
    });
    closers.push(() => server.close());
    bound++;
  }
  return { bound };
}

/**
 * Waits at least minMs (TCP retransmissions need time to show), then until nothing arrived for
 * settleMs (at most maxMs in all), then hands over everything.
 */
async function take(settleMs: number, maxMs: number, minMs: number): Promise<Arrival[]> {
  const start = Date.now();
  const deadline = start + Math.min(maxMs, MAX_TIMEOUT_MS);
  const quietFrom = () => Math.max(lastArrival, start + minMs - settleMs);
  while (Date.now() < deadline && Date.now() - quietFrom() < settleMs) {
    await new Promise((r) => setTimeout(r, 20));
  }
  return arrivals.splice(0, arrivals.length);
}

export interface SendSpec {
  proto: 'udp' | 'tcp';
  src: string;
  dst: string;
  port: number;
  messages: string[];
  /** Fixed source port for every message; default: a fresh ephemeral port (and socket) per message. */
  srcPort?: number;
  /** TCP: how long to wait for each connection to connect and close. */
  timeoutMs?: number;
}

function sendUdp(spec: SendSpec): Promise<number> {
  const type = net.isIPv6(spec.dst) ? 'udp6' : 'udp4';
  return new Promise((resolve, reject) => {
    let sent = 0;
    const next = (): void => {
      if (sent === spec.messages.length) return resolve(sent);
      const sock = dgram.createSocket({ type, reuseAddr: spec.srcPort !== undefined });
      sock.once('error', (e) => (sock.close(), reject(e)));
      sock.bind(spec.srcPort ?? 0, spec.src, () => {
        sock.send(spec.messages[sent], spec.port, spec.dst, (err) => {
          sock.close();
          if (err) return reject(err);
          sent++;
          next();
        });
      });
    };
    next();
  });
}

/** One TCP connection: connect, write, half-close; resolves with whether it connected. */
function sendTcpOne(spec: SendSpec, message: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let connected = false;
    const conn = net.connect({ host: spec.dst, port: spec.port, localAddress: spec.src, localPort: spec.srcPort });
    const timer = setTimeout(() => (conn.destroy(), resolve(connected)), timeoutMs);
    conn.on('connect', () => {
      connected = true;
      conn.end(message);
    });
    conn.on('data', () => {});
    conn.on('error', () => {});
    conn.on('close', () => (clearTimeout(timer), resolve(connected)));
  });
}

async function sendTcp(spec: SendSpec): Promise<number> {
  const timeoutMs = Math.min(spec.timeoutMs ?? 2000, MAX_TIMEOUT_MS);
  const results = await Promise.all(spec.messages.map((m) => sendTcpOne(spec, m, timeoutMs)));
  return results.filter(Boolean).length;
}

async function send(spec: SendSpec): Promise<{ sent: number }> {
  if (!allowedDestination(spec.dst)) throw new Error(`refused destination ${spec.dst}: only 10/8 and fd00::/8`);
  if (spec.messages.length > MAX_MESSAGES) throw new Error(`at most ${MAX_MESSAGES} messages per send`);
  if (spec.proto === 'tcp' && spec.srcPort !== undefined && spec.messages.length > 1) {
    throw new Error('a fixed TCP source port allows one message per send');
  }
  return { sent: spec.proto === 'udp' ? await sendUdp(spec) : await sendTcp(spec) };
}

/** One UDP request from src:srcPort and the first answer (or null after timeoutMs). */
async function exchange(src: string, srcPort: number, dst: string, port: number, message: string, timeoutMs: number): Promise<{ reply: string | null }> {
  if (!allowedDestination(dst)) throw new Error(`refused destination ${dst}: only 10/8 and fd00::/8`);
  const sock = dgram.createSocket({ type: net.isIPv6(dst) ? 'udp6' : 'udp4', reuseAddr: true });
  await new Promise<void>((res, rej) => (sock.once('error', rej), sock.bind(srcPort, src, () => res())));
  try {
    return await new Promise((resolve) => {
      const timer = setTimeout(() => resolve({ reply: null }), Math.min(timeoutMs, MAX_TIMEOUT_MS));
      sock.once('message', (msg) => (clearTimeout(timer), resolve({ reply: msg.toString('latin1') })));
      sock.send(message, port, dst);
    });
  } finally {
    sock.close();
  }
}

async function handle(req: any): Promise<unknown> {
  switch (req.op) {
    case 'listen':
      return listen(req.ports, Boolean(req.answer));
    case 'take':
      return take(req.settleMs ?? 150, req.maxMs ?? 5000, req.minMs ?? 0);
    case 'send':
      return send(req.spec);
    case 'exchange':
      return exchange(req.src, req.srcPort, req.dst, req.port, req.message, req.timeoutMs ?? 1000);
    case 'exit':
      for (const c of closers) c();
      setTimeout(() => process.exit(0), 10);
      return {};
    default:
      throw new Error(`unknown op ${req.op}`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // Exit by ourselves if the test process dies without asking (stdin closes) or after 10 minutes.
  setTimeout(() => process.exit(3), 600_000).unref();
  const rl = readline.createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    let req: { id?: number };
    try {
      req = JSON.parse(line);
    } catch {
      return;
    }
    handle(req).then(
      (result) => process.stdout.write(JSON.stringify({ id: req.id, ok: true, result }) + '\n'),
      (e: Error) => process.stdout.write(JSON.stringify({ id: req.id, ok: false, error: String(e?.message ?? e) }) + '\n'),
    );
  });
  rl.on('close', () => process.exit(0));
  process.stdout.write(JSON.stringify({ ready: true }) + '\n');
}
