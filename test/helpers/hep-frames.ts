// The HEPv3 frames Kamailio 5.6.3 sent (test/fixtures/hep/kamailio-5.6.3.txt: one hex frame a line,
// with '#' comments saying how they were captured).
import { readFileSync } from 'node:fs';

export function kamailioFrames(): Buffer[] {
  return readFileSync(new URL('../fixtures/hep/kamailio-5.6.3.txt', import.meta.url), 'utf8')
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((hex) => Buffer.from(hex, 'hex'));
}
