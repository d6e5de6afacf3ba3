import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AppError } from './errors.ts';
import { hostAddresses, interfaceIndex } from './host.ts';

describe('host', () => {
  it('lists the host addresses without a %scope', () => {
    const addresses = hostAddresses();
    assert.ok(addresses.includes('127.0.0.1'));
    assert.ok(addresses.every((a) => !a.includes('%')));
  });

  it("asks the kernel for an interface's index: lo is 1 in every namespace, an unknown name is null", async () => {
    assert.equal(await interfaceIndex('lo'), 1);
    assert.equal(await interfaceIndex('nosuchif0'), null);
  });

  it('says what to install when ip is missing, and fails loudly on anything else', async () => {
    const missing = async () => ({ code: 127, stdout: '', stderr: 'spawn ip ENOENT' });
    await assert.rejects(interfaceIndex('eth0', missing), (e: AppError) => e.code === 'ERR_TOOL_MISSING' && /iproute2/.test(e.hint ?? ''));
    const broken = async () => ({ code: 0, stdout: 'not json', stderr: '' });
    await assert.rejects(interfaceIndex('eth0', broken), /unreadable output/);
  });
});
