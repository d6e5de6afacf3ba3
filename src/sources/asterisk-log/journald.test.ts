// This machine has journalctl but no running systemd (no /run/systemd/system), so these tests put a
// fake journalctl first on PATH: it records its argv and prints Asterisk lines like `-o cat` does.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { silentLogger } from '../../core/log.ts';
import { collect, lines } from '../../../test/helpers/collect-events.ts';
import { withRestart } from '../restart.ts';
import { SourceSetupError } from '../source.ts';
import { journaldSource } from './source.ts';

const dir = mkdtempSync(join(tmpdir(), 'sipwarden-journald-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const env = { ...process.env, PATH: `${dir}:${process.env.PATH}` };

function fakeJournalctl(body: string): void {
  const path = join(dir, 'journalctl');
  writeFileSync(path, `#!/bin/sh\necho "$@" > "${dir}/argv"\n${body}\n`);
  chmodSync(path, 0o755);
}

const SECURITY = '[Nov 27 04:30:28] SECURITY[1234] res_security_log.c: SecurityEvent="InvalidPassword",RemoteAddress="IPV4/UDP/203.0.113.9/5060"';

describe('journald source', () => {
  it('runs journalctl -f -o cat -n 0 -u asterisk from PATH and yields each line', async () => {
    fakeJournalctl(`printf '%s\\n' '${SECURITY}' 'second line'; exec sleep 30`);
    const c = collect(journaldSource({ env }));
    await c.until((ev) => ev.length >= 2);
    await c.stop();
    assert.deepEqual(lines(c.events), [SECURITY, 'second line']);
    assert.equal(readFileSync(join(dir, 'argv'), 'utf8').trim(), '-f -o cat -n 0 -u asterisk');
  });

  it('restarts journalctl when it exits, counting the restart', async () => {
    fakeJournalctl(`echo "run $$"; exit 0`);
    const src = withRestart(journaldSource({ env }), { min: 20, max: 1000 }, silentLogger);
    const c = collect(src);
    await c.until((ev) => ev.length >= 3);
    await c.stop();
    assert.ok(src.stats.restarts >= 2);
    assert.equal(src.stats.lastError, 'the source ended');
    assert.equal(new Set(lines(c.events)).size, c.events.length, 'each run is a new process');
  });

  it('a missing journalctl is a setup error on the first attempt', async () => {
    const src = withRestart(journaldSource({ command: join(dir, 'no-such-journalctl') }), { min: 20, max: 100 }, silentLogger);
    const c = collect(src);
    const err = await c.done;
    assert.ok(err instanceof SourceSetupError);
    assert.equal(err.code, 'ERR_TOOL_MISSING');
  });

  it('journalctl failing at once is a setup error carrying its stderr', async () => {
    fakeJournalctl(`echo 'Failed to add filter for units: No data available' >&2; exit 1`);
    const c = collect(withRestart(journaldSource({ env }), { min: 20, max: 100 }, silentLogger));
    const err = await c.done;
    assert.ok(err instanceof SourceSetupError);
    assert.match(err.message, /journalctl exited with code 1: Failed to add filter/);
  });
});
