// What the backends remember between runs: which tables they created, so `remove` can take out
// exactly what sipwarden added and nothing the admin had. The daemon backs this with the store.
export interface KeyValue {
  get(key: string): string | undefined;
  set(key: string, value: string | undefined): void;
}

export class MemoryKeyValue implements KeyValue {
  private readonly m = new Map<string, string>();
  get(key: string) {
    return this.m.get(key);
  }
  set(key: string, value: string | undefined) {
    if (value === undefined) this.m.delete(key);
    else this.m.set(key, value);
  }
}

/** Adds a table name to the recorded list of tables sipwarden created. */
export function recordCreated(kv: KeyValue, key: string, table: string): void {
  const list = new Set(readCreated(kv, key));
  list.add(table);
  kv.set(key, JSON.stringify([...list]));
}

export function readCreated(kv: KeyValue, key: string): string[] {
  try {
    const v = JSON.parse(kv.get(key) ?? '[]');
    return Array.isArray(v) ? v.filter((x) => typeof x === 'string') : [];
  } catch {
    return [];
  }
}
