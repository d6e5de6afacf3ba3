// Reads FILE, merges FILE.local over it, expands ${VAR}, validates against the schema. Every
// refusal names the file, line, column, the key path and what is allowed.
import { existsSync, readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isMap, isSeq, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { AppError } from '../core/errors.ts';
import { configSchema, type Config } from './schema.ts';

export const DEFAULT_CONFIG_PATH = '/etc/sipwarden/sipwarden.yaml';

export interface LoadedConfig {
  config: Config;
  /** The files read, in merge order. */
  files: string[];
}

interface ParsedFile {
  file: string;
  doc: Document;
  lines: LineCounter;
  value: unknown;
}

/** The config path from --config, then SIPWARDEN_CONFIG, then the default. */
export function resolveConfigPath(flag?: string): string {
  return flag ?? process.env.SIPWARDEN_CONFIG ?? DEFAULT_CONFIG_PATH;
}

function locate(p: ParsedFile, path: (string | number)[], atKey = false): string {
  const node = atKey ? undefined : (p.doc.getIn(path, true) as Node | undefined);
  // For a missing or unknown key, point at the key itself; fall back to the parent mapping.
  let range = node && typeof node === 'object' && 'range' in node ? node.range : undefined;
  for (let i = path.length; !range && i > 0; i--) {
    const parent = p.doc.getIn(path.slice(0, i - 1), true) as Node | undefined;
    if (parent && isMap(parent)) {
      const pair = parent.items.find((it) => String((it.key as { value?: unknown })?.value ?? it.key) === String(path[i - 1]));
      range = (pair?.key as Node | undefined)?.range ?? parent.range;
    } else if (parent && isSeq(parent)) {
      range = parent.range;
    }
  }
  if (!range) return p.file;
  const { line, col } = p.lines.linePos(range[0]);
  return `${p.file}:${line}:${col}`;
}

function expandEnv(value: unknown, file: string, path: string[]): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
      const v = process.env[name];
      if (v === undefined) {
        throw new AppError('ERR_CONFIG_ENV', `${file}: ${path.join('.')}: environment variable ${name} is not set`, {
          hint: `export ${name}=... before starting sipwarden, or write the value into the file`,
        });
      }
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => expandEnv(v, file, [...path, String(i)]));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expandEnv(v, file, [...path, k])]));
  }
  return value;
}

function parseFile(file: string, text: string): ParsedFile {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const { line, col } = lines.linePos(e.pos[0]);
    throw new AppError('ERR_CONFIG_SYNTAX', `${file}:${line}:${col}: ${e.message.split('\n')[0]}`);
  }
  const raw = doc.toJS() ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new AppError('ERR_CONFIG_INVALID', `${file}:1:1: the config must be a mapping of keys (sip:, allow:, firewall: ...)`);
  }
  return { file, doc, lines, value: expandEnv(raw, file, []) };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** .local wins key by key; lists are replaced whole, as in fail2ban's .local files. */
function merge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = k in out ? merge(out[k], v) : v;
  return out;
}

/** Which parsed file defines a key path (the last one that has it), for error locations. */
function ownerOf(files: ParsedFile[], path: (string | number)[]): ParsedFile {
  for (let i = files.length - 1; i >= 0; i--) {
    for (let n = path.length; n > 0; n--) if (files[i].doc.hasIn(path.slice(0, n))) return files[i];
  }
  return files[files.length - 1];
}

function describe(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown key '${issue.keys.join("', '")}'`;
  if (issue.code === 'invalid_value' && 'values' in issue) {
    return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return issue.message;
}

export function validateConfig(files: ParsedFile[]): Config {
  const merged = files.reduce<unknown>((acc, f) => merge(acc, f.value), {});
  const result = configSchema.safeParse(merged);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]] : issue.path;
    const keyPath = path.map(String).join('.');
    const owner = ownerOf(files, path as (string | number)[]);
    const where = locate(owner, path as (string | number)[], issue.code === 'unrecognized_keys');
    return `${where}: ${keyPath || '(top)'}: ${describe(issue)}`;
  });
  throw new AppError('ERR_CONFIG_INVALID', problems.join('\n'), {
    hint: 'docs/config.md lists every key with its allowed values; `sipwarden test-config` checks a file',
  });
}

/** Loads from text, for tests and `test-config`. */
export function loadConfigText(file: string, text: string, localText?: string): Config {
  const files = [parseFile(file, text)];
  if (localText !== undefined) files.push(parseFile(`${file}.local`, localText));
  return validateConfig(files);
}

/**
 * Loads the config. A missing file at the default path gives the built-in defaults (so
 * `sipwarden check` works on a fresh host); a missing file that was asked for is an error.
 */
export function loadConfig(path?: string): LoadedConfig {
  const file = resolveConfigPath(path);
  const explicit = path !== undefined || process.env.SIPWARDEN_CONFIG !== undefined;
  if (!existsSync(file)) {
    if (explicit) {
      throw new AppError('ERR_CONFIG_READ', `config file ${file} does not exist`, {
        hint: 'create it (docs/config.md has an example) or run `sipwarden install`',
      });
    }
    return { config: validateConfig([parseFile(file, '{}')]), files: [] };
  }
  const read = (f: string) => {
    try {
      return readFileSync(f, 'utf8');
    } catch (e) {
      throw new AppError('ERR_CONFIG_READ', `cannot read config file ${f}: ${(e as Error).message}`, { cause: e });
    }
  };
  const parsed = [parseFile(file, read(file))];
  const local = `${file}.local`;
  if (existsSync(local)) parsed.push(parseFile(local, read(local)));
  return { config: validateConfig(parsed), files: parsed.map((p) => p.file) };
}
