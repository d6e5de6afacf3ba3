import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { textAt } from './asterisk-line.ts';

describe('textAt', () => {
  it('answers as String#startsWith for every position and length, short and long texts', () => {
    const samples = ['SecurityEvent="ChallengeSent"', 'NOTICE[1]', 'Se', 'S', '', 'IPV4/UDP/1.2.3.4/5060', 'IPV6', 'Registration from x'];
    const texts = ['SecurityEvent="', 'NOTICE', 'IPV4', 'IPV6', 'S', 'Se', '', 'Registration from ', 'Ext. ', 'x'];
    for (const s of samples) {
      for (let pos = -1; pos <= s.length + 1; pos++) {
        for (const t of texts) assert.equal(textAt(s, Math.max(pos, 0), t), s.startsWith(t, Math.max(pos, 0)), `${JSON.stringify(s)} @${pos} ${JSON.stringify(t)}`);
      }
    }
  });
});
