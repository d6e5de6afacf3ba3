// sipwarden's HEP listener (the real hepSource) as a child process inside a test namespace, for
// hep-kamailio.test.ts. Argument: JSON {listen, password}. Prints JSON lines on stdout:
// {"ready":true} once bound, {"event":{...}} per SIP copy, {"stats":{...}} for each "stats" line
// read on stdin. Exits when stdin closes.
import readline from 'node:readline';
import { hepSource } from '../../src/sources/hep/listener.ts';

const { listen, password } = JSON.parse(process.argv[2] ?? '{}') as { listen: string; password?: string };
const print = (o: unknown): void => void process.stdout.write(`${JSON.stringify(o)}\n`);
const source = hepSource({ listen, password, onListening: () => print({ ready: true }) });
const ac = new AbortController();
readline
  .createInterface({ input: process.stdin })
  .on('line', (l) => l.trim() === 'stats' && print({ stats: source.stats }))
  .on('close', () => ac.abort());

for await (const ev of source.events(ac.signal)) {
  if (ev.type !== 'sip') continue;
  const text = ev.payload.toString('latin1');
  const ua = /^User-Agent:[ \t]*(.*?)\r?$/im.exec(text)?.[1] ?? null;
  print({ event: { src: ev.src, dst: ev.dst, transport: ev.transport, line: text.split('\r\n', 1)[0], ua } });
}
