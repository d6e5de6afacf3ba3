// One error catalog. Codes are stable (scripts and docs/errors.md rely on them); messages say what
// failed, which object, and what is allowed.

export const ERROR_CODES = {
  ERR_CONFIG_READ: 'the config file cannot be read',
  ERR_CONFIG_SYNTAX: 'the config file is not valid YAML',
  ERR_CONFIG_INVALID: 'a config key is unknown or has a bad value',
  ERR_CONFIG_ENV: 'a ${VAR} in the config names an unset environment variable',
  ERR_TARGET_INVALID: 'an IP address or CIDR prefix is malformed',
  ERR_TARGET_REFUSED: 'a target is refused (too broad, loopback, private, our own address or a friend)',
  ERR_DURATION_INVALID: 'a duration is malformed',
  ERR_BACKEND_UNKNOWN: 'firewall.backend names no known backend',
  ERR_TOOL_MISSING: 'a program sipwarden needs (iptables, ipset, nft, ...) is not installed',
  ERR_NOT_ROOT: 'the command needs root (CAP_NET_ADMIN)',
  ERR_EXEC_FAILED: 'a firewall program failed',
  ERR_KERNEL_FEATURE: 'a kernel feature sipwarden needs is missing',
  ERR_STORE: 'the store (SQLite) failed',
  ERR_NOT_FOUND: 'the named object does not exist',
  ERR_FEED: 'a feed failed to sync',
  ERR_FEED_UNAUTHORIZED: 'the feed refused the API key',
  ERR_FEED_HELD: 'a feed changed by more than the allowed ratio and is held',
  ERR_SOURCE: 'an event source failed',
  ERR_USAGE: 'the command line is malformed',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class AppError extends Error {
  readonly code: ErrorCode;
  /** What the user can do about it, printed under the message. */
  readonly hint?: string;
  constructor(code: ErrorCode, message: string, opts: { cause?: unknown; hint?: string } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'AppError';
    this.code = code;
    this.hint = opts.hint;
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}

/** The message of any thrown value, for logs. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
