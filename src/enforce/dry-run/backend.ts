// firewall.backend: none. Nothing reaches the kernel; the store still records every ban, so
// `check`, `bans` and the daemon's detection work, and the log says what would have happened.
import type { Logger } from '../../core/log.ts';
import type { Ban, Target } from '../../core/types.ts';
import type { CommitResult, FirewallBackend, KernelEntry, SetName } from '../backend.ts';

export class DryRunBackend implements FirewallBackend {
  readonly name = 'none' as const;
  private pending: { op: 'add' | 'del'; target: Target; set: SetName }[] = [];

  constructor(private readonly log: Logger) {}

  async init(): Promise<void> {
    this.log.info('firewall.backend is none: nothing is enforced in the kernel');
  }

  add(ban: Ban, set: SetName = 'ban'): void {
    this.pending.push({ op: 'add', target: ban.target, set });
  }

  remove(target: Target, set: SetName = 'ban'): void {
    this.pending.push({ op: 'del', target, set });
  }

  async commit(): Promise<CommitResult> {
    const batch = this.pending;
    this.pending = [];
    for (const p of batch) this.log.debug({ target: p.target, set: p.set }, p.op === 'add' ? 'would ban' : 'would unban');
    const added = batch.filter((p) => p.op === 'add').length;
    return { added, removed: batch.length - added, failed: [] };
  }

  async list(): Promise<Map<Target, KernelEntry>> {
    return new Map();
  }

  async listScanners(): Promise<Map<Target, KernelEntry>> {
    return new Map();
  }

  async teardown(): Promise<void> {}
}
