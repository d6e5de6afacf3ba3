// The host's own addresses, read in one place: the policy spares them, a feed may never list them,
// and the capture refuses incoming packets that claim them.
import { networkInterfaces } from 'node:os';

/** Every address of this host's interfaces (link-local ones without their %scope). */
export function hostAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((infos) => (infos ?? []).map((i) => i.address.split('%')[0]));
}
