// The user documentation must match the code: every config key of the schema is described in
// docs/config.md, docs/errors.md describes exactly the error codes of the catalog and every exit
// code, and docs/cli.md has a section for every command the CLI registers.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { configSchema } from '../src/config/schema.ts';
import { ERROR_CODES } from '../src/core/errors.ts';
import { EXIT } from '../src/cli/exit-codes.ts';

const ROOT = join(import.meta.dirname, '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** The parts of a zod 4 schema's definition the walk needs. */
interface Def {
  type: string;
  innerType?: unknown;
  in?: unknown;
  shape?: Record<string, unknown>;
  element?: unknown;
}
const defOf = (schema: unknown): Def => (schema as { _zod: { def: Def } })._zod.def;

/** Strips default/prefault/optional/nullable wrappers and transforms down to the input schema. */
function unwrap(schema: unknown): unknown {
  for (let d = defOf(schema); ; d = defOf(schema)) {
    if (d.innerType !== undefined) schema = d.innerType;
    else if (d.type === 'pipe') schema = d.in;
    else return schema;
  }
}

/** Leaf key paths: `sip.ports`, `detect.asterisk.ami.secret`, `feeds.lists[].name`. */
export function leafKeyPaths(schema: unknown, path = '', out: string[] = []): string[] {
  const d = defOf(unwrap(schema));
  if (d.type === 'object') {
    for (const [key, child] of Object.entries(d.shape ?? {})) leafKeyPaths(child, path ? `${path}.${key}` : key, out);
    return out;
  }
  if (d.type === 'array' && defOf(unwrap(d.element)).type === 'object') return leafKeyPaths(d.element, `${path}[]`, out);
  out.push(path);
  return out;
}

test('the schema walk finds the keys it must (so the checks below can fail)', () => {
  const paths = leafKeyPaths(configSchema);
  for (const p of ['sip.ports', 'detect.brute_force.max_retry', 'feeds.apiban.key', 'detect.asterisk.ami.secret', 'feeds.lists[].name', 'log.level']) {
    assert.ok(paths.includes(p), `the walk missed ${p}; found ${paths.join(', ')}`);
  }
  assert.ok(!paths.includes(''), 'the walk produced an empty path');
});

test('docs/config.md describes every config key of the schema', () => {
  const doc = read('docs/config.md');
  const missing = leafKeyPaths(configSchema).filter((p) => !doc.includes(`\`${p}\``));
  assert.deepEqual(missing, [], `docs/config.md does not mention these keys (write them as \`key.path\`): ${missing.join(', ')}`);
});

test('docs/errors.md describes exactly the error codes of src/core/errors.ts', () => {
  const doc = read('docs/errors.md');
  const documented = [...doc.matchAll(/^### `(ERR_[A-Z0-9_]+)`/gm)].map((m) => m[1]);
  const codes = Object.keys(ERROR_CODES);
  assert.deepEqual(codes.filter((c) => !documented.includes(c)), [], 'codes without a "### `ERR_...`" section in docs/errors.md');
  assert.deepEqual(documented.filter((c) => !codes.includes(c)), [], 'docs/errors.md documents codes that no longer exist');
  assert.equal(new Set(documented).size, documented.length, 'a code is documented twice');
});

test('docs/errors.md lists every exit code with its number', () => {
  const doc = read('docs/errors.md');
  for (const [name, code] of Object.entries(EXIT)) {
    assert.match(doc, new RegExp(`^\\| ${code} \\| ${name} \\|`, 'm'), `exit code ${code} (${name}) is not in the table of docs/errors.md`);
  }
});

test('docs/cli.md has a section for every command the CLI registers', () => {
  const dir = join(ROOT, 'src/cli/commands');
  const commands: string[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
    const text = readFileSync(join(dir, file), 'utf8');
    // `.command('feeds')` on the program; `feeds.command('sync')` on a group becomes "feeds sync".
    for (const m of text.matchAll(/(?:(\w+)\s*)?\.command\('([a-z-]+)'\)/g)) {
      const parent = m[1] && m[1] !== 'program' ? text.match(new RegExp(`const ${m[1]} = program\\s*\\.command\\('([a-z-]+)'\\)`))?.[1] : undefined;
      commands.push(parent ? `${parent} ${m[2]}` : m[2]);
    }
  }
  assert.ok(commands.includes('ban') && commands.includes('check'), `the command scan found only: ${commands.join(', ')}`);
  const doc = read('docs/cli.md');
  const missing = commands.filter((c) => !new RegExp(`^#+ \`sipwarden ${c}\\b`, 'm').test(doc));
  assert.deepEqual(missing, [], `docs/cli.md has no "## \`sipwarden <command> ...\`" section for: ${missing.join(', ')}`);
});
