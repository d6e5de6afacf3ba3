// The daemon in the real kernel: bans survive a restart and are restored to the kernel (expired
// ones are not), the reconciler repairs a flushed set, SIGTERM stops in order and leaves the bans
// in the kernel, SIGHUP reloads the config and a bad config is refused while the old one keeps
// running.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { BIN } from './cli.ts';
import { BACKENDS, FirewallLab, firewallLabUnavailable, probe } from './fixture.ts';
import { mustIn, runIn, senderV4 } from './harness.ts';

const unavailable = await firewallLabUnavailable();
if (unavailable) console.log(`# skipping the daemon tests: ${unavailable}`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, fn: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return;
    await sleep(100);
  }
  assert.fail(`timed out waiting for: ${what}`);
}

function startDaemon(ns: string, config: string): ChildProcess {
  return spawn('ip', ['netns', 'exec', ns, BIN, 'run', '--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
}

async function stopDaemon(p: ChildProcess): Promise<number | null> {
  if (p.exitCode !== null) return p.exitCode;
  const done = new Promise<number | null>((r) => p.once('exit', (code) => r(code)));
  p.kill('SIGTERM');
  return done;
}

for (const backend of BACKENDS) {
  describe(`the daemon in the kernel (${backend})`, { skip: unavailable ?? false, timeout: 120_000 }, () => {
    let fw: FirewallLab;
    let daemon: ChildProcess | null = null;
    before(async () => {
      fw = await FirewallLab.open(backend, { senders: 4 });
    });
    after(async () => {
      if (daemon) await stopDaemon(daemon);
      await fw?.cli(['remove']);
      await fw?.close();
    });

    const inKernel = async (ip: string): Promise<boolean> => {
      if (backend === 'iptables') return (await runIn(fw.lab.rcv, 'ipset', ['test', 'sipwarden-ban4', ip])).code === 0;
      const r = await runIn(fw.lab.rcv, 'nft', ['get', 'element', 'inet', 'sipwarden', 'ban4', `{ ${ip} }`]);
      return r.code === 0;
    };
    // status reads the store named by a config; use a file of its own so a broken main config
    // (the SIGHUP test) does not hide the daemon's state.
    const status = async () => {
      const file = `${fw.cfg.dir}/status.yaml`;
      writeFileSync(file, stringify({ store: { path: `${fw.cfg.dir}/sipwarden.db` } }));
      return JSON.parse((await mustIn(fw.lab.rcv, BIN, ['status', '--json', '--config', file])) || '{}');
    };

    test('bans survive a restart and come back to the kernel; expired ones do not', async () => {
      await fw.apply({ firewall: { reconcile_interval: '1s' } });
      const config = fw.cfg.file;
      await fw.cliOk(['ban', senderV4(1), '--for', '1h', '--reason', 'kept']);
      await fw.cliOk(['ban', senderV4(2), '--for', '2s', '--reason', 'short']);
      await fw.cliOk(['remove']); // the kernel forgets everything, as after a reboot
      await sleep(2500); // the short ban expires meanwhile
      daemon = startDaemon(fw.lab.rcv, config);
      await until('the daemon reports running', async () => (await status()).running === true);
      assert.equal(await inKernel(senderV4(1)), true, 'the live ban is back in the kernel');
      assert.equal(await inKernel(senderV4(2)), false, 'the expired ban is not');
      await fw.expectExactly([probe('restored ban', 'drop', 'udp', senderV4(1)), probe('expired ban', 'pass', 'udp', senderV4(2))]);
    });

    test('the reconciler puts back a ban that vanished from the kernel', async () => {
      const set = backend === 'iptables' ? ['ipset', ['flush', 'sipwarden-ban4']] : ['nft', ['flush', 'set', 'inet', 'sipwarden', 'ban4']];
      await mustIn(fw.lab.rcv, set[0] as string, set[1] as string[]);
      assert.equal(await inKernel(senderV4(1)), false);
      await until('the reconciler restores the ban', () => inKernel(senderV4(1)), 15_000);
    });

    test('SIGHUP reloads; an invalid config is refused and the running one stays', async () => {
      const before = (await status()).counters.reloads as number;
      writeFileSync(fw.cfg.file, `${stringify({ firewall: { backend, reconcile_interval: '1s' }, store: { path: `${fw.cfg.dir}/sipwarden.db` }, allow: [senderV4(3)] })}`);
      daemon!.kill('SIGHUP');
      await until('the reload is counted', async () => (await status()).counters.reloads === before + 1);
      assert.equal(JSON.parse(await fw.cliOk(['check', senderV4(3), '--json'])).friend, true);
      writeFileSync(fw.cfg.file, 'firewall:\n  backend: pf\n');
      daemon!.kill('SIGHUP');
      await sleep(1500);
      assert.equal(daemon!.exitCode, null, 'still running');
      assert.equal((await status()).counters.reloads, before + 1, 'the bad config was not taken');
      writeFileSync(fw.cfg.file, `${stringify({ firewall: { backend, reconcile_interval: '1s' }, store: { path: `${fw.cfg.dir}/sipwarden.db` } })}`);
    });

    test('SIGTERM stops in order and leaves the bans in the kernel', async () => {
      assert.equal(await stopDaemon(daemon!), 0);
      daemon = null;
      assert.equal(await inKernel(senderV4(1)), true, 'the ban outlives the daemon (its kernel timeout keeps counting)');
      const s = await status();
      assert.equal(s.running, false);
      assert.ok(s.stopped, 'the last status says when it stopped');
    });
  });
}
