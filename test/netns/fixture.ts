// A firewall lab for one test file: namespaces, agents on both sides, a temp config for one
// backend, the CLI run inside the receiver, and "probes": messages that must or must not arrive.
import assert from 'node:assert/strict';
import { Agent } from './agent-client.ts';
import { TempConfig, cliUnavailable, sipwarden, sipwardenOk } from './cli.ts';
import { cleanupLeftovers, createLab, netnsUnavailable, poolV4, poolV6, RCV_V4, RCV_V6, type Lab, type RunOptions, type RunResult } from './harness.ts';
import { newMarker, markers, request, type RequestOptions } from './sip-messages.ts';

export type BackendName = 'iptables' | 'nftables';
export const SIP_PORT = 5060;

/** Why the firewall tests cannot run here (printed), or null. */
export async function firewallLabUnavailable(): Promise<string | null> {
  return (await netnsUnavailable()) ?? cliUnavailable();
}

export interface Probe {
  /** Human description for failure messages. */
  what: string;
  expect: 'pass' | 'drop';
  proto: 'udp' | 'tcp';
  src: string;
  dst: string;
  text: string;
  marker: string;
}

/** A probe from request options (marker and dst filled in); dst defaults to the receiver's v4/v6. */
export function probe(
  what: string,
  expect: 'pass' | 'drop',
  proto: 'udp' | 'tcp',
  src: string,
  opts: Omit<RequestOptions, 'marker' | 'src' | 'dst'> & { dst?: string } = {},
): Probe {
  const dst = opts.dst ?? (src.includes(':') ? RCV_V6 : RCV_V4);
  const marker = newMarker(proto);
  return { what, expect, proto, src, dst, marker, text: request({ ...opts, src, dst, marker }) };
}

export interface DeliverOptions {
  /** How long to wait for TCP data after sending (retransmissions of a dropped segment); default 600. */
  tcpWaitMs?: number;
}

export class FirewallLab {
  readonly cfg = new TempConfig();
  private poolNext = 0;
  private constructor(
    readonly backend: BackendName,
    readonly lab: Lab,
    readonly rcv: Agent,
    readonly snd: Agent,
    private readonly poolSize: number,
  ) {}

  /**
   * Namespaces with `senders` fixed sender addresses and `pool` addresses handed out one by one
   * (fresh()); the receiver listens (and answers) on the SIP ports.
   */
  static async open(backend: BackendName, opts: { senders?: number; pool?: number; ports?: number[] } = {}): Promise<FirewallLab> {
    await cleanupLeftovers();
    const pool = opts.pool ?? 0;
    const lab = await createLab({ senders: opts.senders ?? 12, pool });
    try {
      const [rcv, snd] = await Promise.all([Agent.start(lab.rcv), Agent.start(lab.snd)]);
      await rcv.listen(opts.ports ?? [SIP_PORT], true);
      return new FirewallLab(backend, lab, rcv, snd, pool);
    } catch (e) {
      await lab.destroy();
      throw e;
    }
  }

  /** A sender address no earlier probe used (IPv4, or IPv6 when v6). */
  fresh(v6 = false): string {
    if (this.poolNext >= this.poolSize) throw new Error(`address pool of ${this.poolSize} used up: open the lab with a bigger pool`);
    const k = this.poolNext++;
    return v6 ? poolV6(k) : poolV4(k);
  }

  /** Writes the config (this lab's backend unless overridden) and returns its path. */
  writeConfig(config: Record<string, unknown> = {}): string {
    const firewall = { backend: this.backend, ...((config.firewall as object) ?? {}) };
    return this.cfg.write({ ...config, firewall });
  }

  /** Writes the config and runs `sipwarden apply`; throws when it fails. */
  async apply(config: Record<string, unknown> = {}): Promise<string> {
    return sipwardenOk(this.lab.rcv, this.writeConfig(config), ['apply']);
  }

  /** Any CLI command against the current config, inside the receiver. */
  cli(args: string[], opts: RunOptions = {}): Promise<RunResult> {
    return sipwarden(this.lab.rcv, this.cfg.file, args, opts);
  }
  cliOk(args: string[]): Promise<string> {
    return sipwardenOk(this.lab.rcv, this.cfg.file, args);
  }

  /** Sends every probe (UDP one socket per message, TCP all at once) and returns the markers that arrived. */
  async deliver(probes: Probe[], opts: DeliverOptions = {}): Promise<Set<string>> {
    const groups = new Map<string, Probe[]>();
    for (const p of probes) {
      const key = `${p.proto} ${p.src} ${p.dst}`;
      groups.set(key, [...(groups.get(key) ?? []), p]);
    }
    await Promise.all(
      [...groups.values()].map((g) =>
        this.snd.send({ proto: g[0].proto, src: g[0].src, dst: g[0].dst, port: SIP_PORT, messages: g.map((p) => p.text), timeoutMs: 1500 }),
      ),
    );
    // A dropped TCP segment is retransmitted (after 200 ms, then 400, 800...): give leaks time to show.
    const tcp = probes.some((p) => p.proto === 'tcp');
    const minMs = tcp ? (opts.tcpWaitMs ?? 600) : 100;
    return new Set(markers(await this.rcv.take({ minMs, settleMs: 200, maxMs: minMs + 5000 })));
  }

  /** Sends the probes and asserts that exactly the 'pass' ones arrived. */
  async expectExactly(probes: Probe[], opts: DeliverOptions = {}): Promise<void> {
    const got = await this.deliver(probes, opts);
    const wronglyDropped = probes.filter((p) => p.expect === 'pass' && !got.has(p.marker)).map((p) => `${p.proto} ${p.src}: ${p.what}`);
    const leaked = probes.filter((p) => p.expect === 'drop' && got.has(p.marker)).map((p) => `${p.proto} ${p.src}: ${p.what}`);
    assert.deepEqual({ wronglyDropped, leaked }, { wronglyDropped: [], leaked: [] });
  }

  /** Removes sipwarden's objects, stops the agents, deletes the namespaces and the temp dir. */
  async close(): Promise<void> {
    await sipwarden(this.lab.rcv, this.cfg.file, ['remove']).catch(() => undefined);
    await Promise.allSettled([this.rcv.stop(), this.snd.stop()]);
    await this.lab.destroy();
    this.cfg.remove();
  }
}

/** Both backends, for files that define one suite per backend. */
export const BACKENDS: BackendName[] = ['iptables', 'nftables'];
