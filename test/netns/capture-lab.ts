// The setup the capture tests share: a lab, the receiver's agent listening on the SIP port, and
// `sipwarden run` capturing on the receiver's end of the veth pair (nftables backend).
import assert from 'node:assert/strict';
import { Agent } from './agent-client.ts';
import { DaemonProcess } from './attack-lab.ts';
import { sipwarden, sipwardenOk, TempConfig } from './cli.ts';
import { cleanupLeftovers, createLab, mustIn, type Lab } from './harness.ts';

/** What `sipwarden status --json` shows of the capture source. */
export interface CaptureStatus {
  received: number;
  skipped: number;
  skippedByReason: Record<string, number>;
  tcpdump: Record<string, number>;
}

/** A namespace's veth end: its name and MAC address. */
export interface Veth {
  ifname: string;
  address: string;
}

export interface CaptureLab {
  lab: Lab;
  daemon: DaemonProcess;
  /** The receiver's veth end, where the daemon captures. */
  rcvVeth: Veth;
  /** The daemon's config file, for the CLI (`status`, `check`). */
  configFile: string;
  /** The capture source's counts from status, once it has reported. */
  captureStatus(): Promise<CaptureStatus | undefined>;
  /** Stops the daemon and the agent, removes the firewall, the lab and the config. */
  stop(): Promise<void>;
}

export async function vethOf(ns: string): Promise<Veth> {
  return JSON.parse(await mustIn(ns, 'ip', ['-j', 'link', 'show', 'type', 'veth']))[0] as Veth;
}

export async function startCaptureLab(senders: number, port: number): Promise<CaptureLab> {
  await cleanupLeftovers();
  const cfg = new TempConfig();
  let lab: Lab | null = null;
  let rcv: Agent | null = null;
  let daemon: DaemonProcess | null = null;
  const stop = async (): Promise<void> => {
    await daemon?.stop();
    await rcv?.stop();
    if (lab) {
      await sipwarden(lab.rcv, cfg.file, ['remove']).catch(() => undefined);
      await lab.destroy();
    }
    cfg.remove();
  };
  try {
    lab = await createLab({ senders });
    rcv = await Agent.start(lab.rcv);
    await rcv.listen([port]);
    const rcvVeth = await vethOf(lab.rcv);
    cfg.write({ firewall: { backend: 'nftables' }, detect: { capture: { interface: rcvVeth.ifname } }, log: { level: 'info' } });
    daemon = await DaemonProcess.start(lab.rcv, cfg.file);
    const ns = lab.rcv;
    const captureStatus = async (): Promise<CaptureStatus | undefined> => {
      const status = JSON.parse(await sipwardenOk(ns, cfg.file, ['status', '--json']));
      return status.services?.detection?.sources?.[`capture:${rcvVeth.ifname}`] as CaptureStatus | undefined;
    };
    return { lab, daemon, rcvVeth, configFile: cfg.file, captureStatus, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Polls `ok` every 250 ms (calling `meanwhile` between polls, e.g. a keep-alive) until it holds; fails after `ms`. */
export async function waitFor(what: string, ok: () => Promise<boolean>, ms: number, meanwhile?: () => void): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) assert.fail(`timed out after ${ms} ms waiting for: ${what}`);
    meanwhile?.();
    await new Promise((r) => setTimeout(r, 250));
  }
}
