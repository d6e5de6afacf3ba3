// Runs the local APIBAN-compatible server as its own process (so a test can start it inside a
// network namespace). Usage: node --import tsx apiban-server-main.ts KEY IP [IP...]
// Prints the base URL (with /api/) on one line, serves until stdin closes or SIGTERM.
import { startApibanServer } from './apiban-server.ts';

const [key, ...ips] = process.argv.slice(2);
const server = await startApibanServer({ keys: [key ?? 'testkey'] });
server.add(ips, 'sip');
process.stdout.write(`${server.url}\n`);
const stop = () => process.exit(0);
process.stdin.on('end', stop).on('close', stop).resume();
process.on('SIGTERM', stop);
