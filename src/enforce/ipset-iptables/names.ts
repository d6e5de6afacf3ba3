// Kernel object names of the iptables backend. ipset names are at most 31 characters.
import type { Family } from '../../core/types.ts';
import type { SetName } from '../backend.ts';

export const IPSET = {
  allow: (f: Family) => `sipwarden-allow${f}`,
  ban: (f: Family) => `sipwarden-ban${f}`,
  scan: (f: Family) => `sipwarden-scan${f}`,
  range: (name: string) => `sipwarden-r-${name}4`,
  feed: (name: string, f: Family) => `sipwarden-f-${name}${f}`,
  tmp: (name: string) => `sipwarden-t-${name.slice('sipwarden-'.length)}`.slice(0, 31),
};

export function setFor(set: SetName, family: Family): string {
  if (set === 'ban') return IPSET.ban(family);
  if (set === 'scan') return IPSET.scan(family);
  return IPSET.feed(set.slice('feed:'.length), family);
}
