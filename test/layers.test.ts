import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The direction of imports (STYLE.md), checked on the source: a layer that reaches around
 * another fails here rather than in review.
 */
const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src');

interface Import {
  /** The importing file, relative to src/. */
  readonly from: string;
  /** A package name, or a file relative to src/. */
  readonly to: string;
  /** A file of src/, not a package. */
  readonly isLocal: boolean;
  /** Erased at compile time: `import type`, or only `type` specifiers. */
  readonly isTypeOnly: boolean;
}

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|cts)$/.test(entry.name) && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

const STATIC = /^(?:import|export)\s+(type\s+)?([^'";]*?)\s*from\s+'([^']+)'/gm;
const DYNAMIC = /\bimport\('([^']+)'\)/g;

function importsOf(path: string): Import[] {
  const text = readFileSync(path, 'utf8');
  const from = relative(SRC, path);
  const target = (specifier: string) =>
    specifier.startsWith('.') ? relative(SRC, resolve(dirname(path), specifier)).replace(/\.js$/, '.ts').replace(/\.cjs$/, '.cts') : specifier;
  const found: Import[] = [];
  for (const [, typeKeyword, clause = '', specifier = ''] of text.matchAll(STATIC)) {
    const names = /\{([^}]*)\}/.exec(clause)?.[1]?.split(',').map((name) => name.trim()).filter(Boolean) ?? [];
    const onlyTypes = !/^\w/.test(clause.replace(/^\{[^}]*\}/, '').trim()) && names.length > 0 && names.every((name) => name.startsWith('type '));
    found.push({ from, to: target(specifier), isLocal: specifier.startsWith('.'), isTypeOnly: typeKeyword !== undefined || onlyTypes });
  }
  for (const [, specifier = ''] of text.matchAll(DYNAMIC)) {
    found.push({ from, to: target(specifier), isLocal: specifier.startsWith('.'), isTypeOnly: false });
  }
  return found;
}

const imports = sourceFiles(SRC).flatMap(importsOf);
const within = (folder: string) => imports.filter((each) => each.from.startsWith(`${folder}/`));
const DRIVERS = ['fastify', 'kysely', 'pg', 'mysql2', 'better-sqlite3', 'ioredis', 'pino'];
const isPackage = (to: string, names: readonly string[]) => names.some((name) => to === name || to.startsWith(`${name}/`));

describe('the direction of imports', () => {
  it('finds the imports it judges', () => {
    expect(within('core').some((each) => each.to === 'core/store.ts')).toBe(true);
    expect(within('http').some((each) => each.to === 'core/auth.ts' && each.isTypeOnly)).toBe(true);
    expect(within('store').some((each) => each.to === 'kysely')).toBe(true);
  });

  it('keeps core/ free of HTTP, storage engines and their drivers', () => {
    const wrong = within('core').filter((each) => (each.isLocal ? !each.to.startsWith('core/') : isPackage(each.to, DRIVERS)));
    expect(wrong).toEqual([]);
  });

  it('lets http/ reach the core only, never a store or a database driver', () => {
    const wrong = within('http').filter((each) =>
      each.isLocal ? !each.to.startsWith('http/') && !each.to.startsWith('core/') : isPackage(each.to, DRIVERS.filter((name) => name !== 'fastify')),
    );
    expect(wrong).toEqual([]);
  });

  it('lets ui/ reach the core and the HTTP layer only, never a store or a database driver', () => {
    const wrong = within('ui').filter((each) =>
      each.isLocal
        ? !['ui/', 'http/', 'core/'].some((folder) => each.to.startsWith(folder))
        : isPackage(each.to, DRIVERS.filter((name) => name !== 'fastify')),
    );
    expect(within('ui').some((each) => each.to === 'core/auth.ts')).toBe(true);
    expect(wrong).toEqual([]);
  });

  it("lets store/ take only the core's types and its two ports", () => {
    const wrong = within('store').filter(
      (each) => each.to.startsWith('http/') || (each.to.startsWith('core/') && !each.isTypeOnly && !['core/store.ts', 'core/cache.ts'].includes(each.to)),
    );
    expect(wrong).toEqual([]);
  });

  it('has no import loop inside core/', () => {
    const edges = new Map<string, string[]>();
    for (const each of within('core')) {
      if (each.to.startsWith('core/')) edges.set(each.from, [...(edges.get(each.from) ?? []), each.to]);
    }
    const loops: string[][] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'visiting') {
        loops.push([...path.slice(path.indexOf(file)), file]);
        return;
      }
      state.set(file, 'visiting');
      for (const next of edges.get(file) ?? []) visit(next, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of edges.keys()) visit(file, []);
    expect(loops).toEqual([]);
  });
});
