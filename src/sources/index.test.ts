import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configSchema } from '../config/schema.ts';
import { silentLogger } from '../core/log.ts';
import { createSources } from './index.ts';

const parse = (detect: unknown, sip: unknown = {}) => configSchema.parse({ detect, sip });

describe('createSources', () => {
  it('builds nothing from the defaults', () => {
    assert.deepEqual(createSources(parse({}), { log: silentLogger }), []);
  });

  it('builds one source per configured input, with stable ids and shared stats', () => {
    const config = parse(
      {
        asterisk: { logs: ['/var/log/asterisk/security', '/var/log/asterisk/messages'], journald: true, ami: { username: 'sipwarden', secret: 's' } },
        hep: { listen: '127.0.0.1:9060', password: 'p' },
        capture: { interface: 'eth0' },
      },
      { ports: ['5060:5061', 5080] },
    );
    const sources = createSources(config, { log: silentLogger });
    assert.deepEqual(sources.map((s) => s.id), [
      'asterisk-log:/var/log/asterisk/security',
      'asterisk-log:/var/log/asterisk/messages',
      'journald:asterisk',
      'ami:127.0.0.1:5038',
      'hep:127.0.0.1:9060',
      'capture:eth0',
    ]);
    const fresh = { received: 0, skipped: 0, skippedByReason: {}, restarts: 0, lastError: null };
    for (const s of sources.slice(0, -1)) {
      // AMI has a set-up step (its login): it says whether it is logged in, and how long it may take.
      const ami = s.id.startsWith('ami:');
      assert.deepEqual(s.stats, ami ? { ...fresh, ready: false } : fresh, s.id);
      assert.equal(s.setupMs, ami ? 11_000 : undefined, s.id);
    }
    const capture = { tcpdump: { captured: 0, receivedByFilter: 0, droppedByKernel: 0, droppedByInterface: 0 }, tcp: { flows: 0, bufferedBytes: 0 } };
    assert.deepEqual(sources.at(-1)!.stats, { ...fresh, ...capture }, 'capture adds tcpdump counters and TCP state');
  });

  it('refuses an interface name that could be read as an option', () => {
    assert.throws(() => createSources(parse({ capture: { interface: '-Zroot' } }), { log: silentLogger }), /not an interface name/);
  });
});
