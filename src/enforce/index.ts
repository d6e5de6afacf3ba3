// The enforce stage's public face: pick a backend by name, and the reconciler.
import { AppError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import type { FirewallBackend } from './backend.ts';
import { DryRunBackend } from './dry-run/backend.ts';
import { IptablesBackend, type BackendDeps } from './ipset-iptables/backend.ts';
import { NftablesBackend } from './nftables/backend.ts';

export type { FirewallBackend, CommitResult, KernelEntry, SetName } from './backend.ts';
export { kernelTimeout, MAX_KERNEL_TIMEOUT } from './backend.ts';
export type { BackendDeps } from './ipset-iptables/backend.ts';
export { compilePolicy, friendNames, INJECTION_STRINGS, type Policy, type UserAgentEntry } from './policy.ts';
export { BUILTIN_RANGES } from './ranges.ts';
export { realExec } from '../core/exec.ts';
export { findTool, requireTool } from './exec.ts';
export { MemoryKeyValue, type KeyValue } from './kernel-state.ts';
export { reconcile, type ReconcileResult } from './reconciler.ts';

export function createBackend(name: string, deps: BackendDeps & { log: Logger }): FirewallBackend {
  switch (name) {
    case 'iptables':
      return new IptablesBackend(deps);
    case 'nftables':
      return new NftablesBackend(deps);
    case 'none':
      return new DryRunBackend(deps.log);
    default:
      throw new AppError('ERR_BACKEND_UNKNOWN', `firewall backend '${name}' is not supported: use iptables, nftables or none`);
  }
}
