// Exit codes, documented in docs/cli.md. Scripts rely on them: never renumber.
import type { ErrorCode } from '../core/errors.ts';

export const EXIT = {
  OK: 0,
  FAILURE: 1, // a runtime failure: the kernel, the store or a feed refused
  USAGE: 2, // bad command line, config, address or duration: nothing was changed
  NOT_ROOT: 3,
  TOOL_MISSING: 4,
  REFUSED: 5, // the target may not be banned (friend, loopback, too broad)
} as const;

export function exitCodeFor(code: ErrorCode): number {
  switch (code) {
    case 'ERR_USAGE':
    case 'ERR_CONFIG_READ':
    case 'ERR_CONFIG_SYNTAX':
    case 'ERR_CONFIG_INVALID':
    case 'ERR_CONFIG_ENV':
    case 'ERR_TARGET_INVALID':
    case 'ERR_DURATION_INVALID':
    case 'ERR_BACKEND_UNKNOWN':
      return EXIT.USAGE;
    case 'ERR_NOT_ROOT':
      return EXIT.NOT_ROOT;
    case 'ERR_TOOL_MISSING':
      return EXIT.TOOL_MISSING;
    case 'ERR_TARGET_REFUSED':
      return EXIT.REFUSED;
    default:
      return EXIT.FAILURE;
  }
}
