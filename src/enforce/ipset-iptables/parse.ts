// Reads `ipset save` output back into entries.
import { tryParsePrefix } from '../../core/ip.ts';
import type { KernelEntry } from '../backend.ts';

export function parseIpsetSave(text: string, setName: string): Map<string, KernelEntry> {
  const out = new Map<string, KernelEntry>();
  for (const line of text.split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (parts[0] !== 'add' || parts[1] !== setName || !parts[2]) continue;
    const p = tryParsePrefix(parts[2]);
    if (!p) continue;
    const t = parts.indexOf('timeout');
    out.set(p.text, { target: p.text, timeout: t > 0 ? Number(parts[t + 1]) : null });
  }
  return out;
}

/** The members of a set as `ipset save` prints them (addresses normalised; set names as they are). */
export function parseMembers(text: string, setName: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (parts[0] !== 'add' || parts[1] !== setName || !parts[2]) continue;
    out.push(tryParsePrefix(parts[2])?.text ?? parts[2]);
  }
  return out;
}
