import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import ts from 'typescript';

/**
 * The dependency rule of docs/architecture.md, checked on the import statements of src/: no
 * cycle between top-level folders, and src/domain imports nothing but itself, Node's built-ins
 * zod and htmlparser2. A file directly in src/ (main.ts, config.ts, ...) counts as a folder of its own.
 */

const SRC = path.resolve(__dirname, '../src');
// htmlparser2 reads a description's HTML as text: pure parsing, no I/O.
const DOMAIN_PACKAGES = new Set(['zod', 'htmlparser2']);

interface Edge {
  from: string;
  to: string;
  /** The importing file and the specifier, for the failure message. */
  file: string;
  specifier: string;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.(ts|mts|cts)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

/** The top-level unit of a file under src/: its first folder, or the file itself when it sits in src/. */
function unitOf(file: string): string {
  return path.relative(SRC, file).split(path.sep)[0] as string;
}

/** Every import, export-from, dynamic import() and require() of every file of src/. */
function imports(): { file: string; specifier: string }[] {
  return sourceFiles(SRC).flatMap((file) =>
    ts
      .preProcessFile(fs.readFileSync(file, 'utf8'), true, true)
      .importedFiles.map((i) => ({ file, specifier: i.fileName })),
  );
}

function folderEdges(): Edge[] {
  const edges: Edge[] = [];
  for (const { file, specifier } of imports()) {
    if (!specifier.startsWith('.')) continue;
    const target = path.resolve(path.dirname(file), specifier);
    const from = unitOf(file);
    const to = path.relative(SRC, target).startsWith('..')
      ? `(outside src: ${path.relative(SRC, target)})`
      : unitOf(target);
    if (from !== to) edges.push({ from, to, file: path.relative(SRC, file), specifier });
  }
  return edges;
}

/** The cycles of a directed graph, one per strongly connected component of more than one node (Tarjan). */
function cyclesOf(edges: readonly { from: string; to: string }[]): string[][] {
  const next = new Map<string, Set<string>>();
  for (const e of edges) {
    if (!next.has(e.from)) next.set(e.from, new Set());
    if (!next.has(e.to)) next.set(e.to, new Set());
    next.get(e.from)?.add(e.to);
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v) as number);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) components.push(component.sort());
    }
  };
  for (const v of [...next.keys()].sort()) if (!index.has(v)) visit(v);
  return components;
}

describe('architecture: the dependency rule between the folders of src/', () => {
  const edges = folderEdges();

  it('finds the imports between folders (the graph this test checks is not empty)', () => {
    expect(edges.some((e) => e.from === 'graphql' && e.to === 'catalog')).toBe(true);
    expect(edges.some((e) => e.from === 'importer' && e.to === 'domain')).toBe(true);
  });

  it('has no import cycle between top-level folders of src/', () => {
    const cycles = cyclesOf(edges).map((members) => {
      const inside = edges.filter((e) => members.includes(e.from) && members.includes(e.to));
      return `${members.join(' <-> ')}:\n${inside.map((e) => `  ${e.file} imports ${e.specifier}`).join('\n')}`;
    });
    expect(cycles).toEqual([]);
  });

  it('src/domain imports nothing outside src/domain but node built-ins and zod', () => {
    const builtins = new Set(builtinModules);
    const outside = imports()
      .filter(({ file }) => unitOf(file) === 'domain')
      .filter(({ file, specifier }) => {
        if (specifier.startsWith('.')) return unitOf(path.resolve(path.dirname(file), specifier)) !== 'domain';
        return !(specifier.startsWith('node:') || builtins.has(specifier) || DOMAIN_PACKAGES.has(specifier));
      })
      .map(({ file, specifier }) => `${path.relative(SRC, file)} imports ${specifier}`);
    expect(outside).toEqual([]);
  });

  it('src/ imports nothing of scripts/ or test/', () => {
    expect(edges.filter((e) => e.to.startsWith('(outside src')).map((e) => `${e.file} imports ${e.specifier}`)).toEqual(
      [],
    );
  });

  it('the cycle finder reports a cycle through three folders and none in a layered graph', () => {
    const layered = [
      { from: 'http', to: 'graphql' },
      { from: 'graphql', to: 'catalog' },
      { from: 'catalog', to: 'db' },
      { from: 'http', to: 'db' },
    ];
    expect(cyclesOf(layered)).toEqual([]);
    expect(cyclesOf([...layered, { from: 'db', to: 'graphql' }])).toEqual([['catalog', 'db', 'graphql']]);
  });
});
