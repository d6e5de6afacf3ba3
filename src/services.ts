// The daemon's optional parts, built from the config: detection sources and rules, feeds.
import type { Daemon, Service } from './main.ts';

export function services(_d: Daemon): Service[] {
  return [];
}
