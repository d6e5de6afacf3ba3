// One pino logger; child loggers per stage. Values from SIP or log lines go under a fixed key
// (`{ line }`, `{ sip: { ua } }`), never spread into the record, because they are attacker text.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level = 'info', destination: NodeJS.WritableStream = process.stderr): Logger {
  return pino({ level, base: { app: 'sipwarden' }, timestamp: pino.stdTimeFunctions.isoTime }, destination as never);
}

/** A logger that writes nothing, for tests and one-shot CLI commands. */
export const silentLogger: Logger = pino({ level: 'silent' });
