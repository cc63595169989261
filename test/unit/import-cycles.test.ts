/**
 * No import cycles in main/, shared/ or renderer/: a cycle makes module order matter (a value read
 * before its module ran is undefined) and ties modules that should change apart. The import graph is
 * built with the TypeScript compiler's own parser and module resolution. (ESLint's import-x/no-cycle
 * says the same in the editor; this test also pins that type-only imports are no edge.)
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The modules a file imports at run time: `import type` and `export type` are erased, so they are no edge. */
function runtimeImports(path: string, text: string): string[] {
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, false, path.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier) && !node.importClause?.isTypeOnly) found.push(node.moduleSpecifier.text);
    else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier) && !node.isTypeOnly) found.push(node.moduleSpecifier.text);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) found.push(node.arguments[0].text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

async function sourceFiles(base: string, dirs: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const dir of dirs) {
    for (const entry of await readdir(join(base, dir), { withFileTypes: true, recursive: true })) {
      if (entry.isFile() && /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) files.push(join(entry.parentPath, entry.name));
    }
  }
  return files.sort();
}

/** Edges between the given files only (imports of packages are not part of the graph). */
async function importGraph(files: string[]): Promise<Map<string, string[]>> {
  const options: ts.CompilerOptions = { module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, allowImportingTsExtensions: true, jsx: ts.JsxEmit.ReactJSX };
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const targets = runtimeImports(file, await readFile(file, 'utf8'))
      .filter((specifier) => specifier.startsWith('.'))
      .map((specifier) => ts.resolveModuleName(specifier, file, options, ts.sys).resolvedModule?.resolvedFileName)
      .filter((target): target is string => target !== undefined && known.has(target));
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** Every cycle's modules (strongly connected components with more than one module, or a module importing itself). */
function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const connect = (node: string) => {
    indexOf.set(node, index);
    low.set(node, index++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!indexOf.has(next)) {
        connect(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, indexOf.get(next)!));
    }
    if (low.get(node) !== indexOf.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || (graph.get(node) ?? []).includes(node)) found.push(component.sort());
  };
  for (const node of graph.keys()) if (!indexOf.has(node)) connect(node);
  return found;
}

describe('import cycles', () => {
  it('there are none in main/, shared/ or renderer/', async () => {
    const graph = await importGraph(await sourceFiles(root, ['main', 'shared', 'renderer']));
    expect(graph.size).toBeGreaterThan(50);
    expect([...graph.values()].flat().length, 'the graph has edges').toBeGreaterThan(100);
    const found = cycles(graph).map((cycle) => cycle.map((file) => relative(root, file).split('\\').join('/')));
    expect(found).toEqual([]);
  });

  it('are found, through index files, .tsx and re-exports, and type-only imports are not edges', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cp-cycles-'));
    try {
      const files: Record<string, string> = {
        'a.ts': "import { b } from './b';\nexport const a = () => b;",
        'b.ts': "export { c as b } from './sub';",
        'sub/index.ts': "import { View } from '../view';\nexport const c = View;",
        'view.tsx': "import { a } from './a';\nexport const View = () => a;",
        'types-only.ts': "import type { T } from './uses-types';\nexport type U = T;",
        'uses-types.ts': "import type { U } from './types-only';\nexport type T = U | 1;",
        'self.ts': "import './self';",
        'lazy.ts': "export const load = () => import('./lazy-back');",
        'lazy-back.ts': "import { load } from './lazy';\nexport const again = load;",
      };
      for (const [name, text] of Object.entries(files)) {
        await mkdir(dirname(join(dir, name)), { recursive: true });
        await writeFile(join(dir, name), text);
      }
      const found = cycles(await importGraph(await sourceFiles(dir, ['.']))).map((cycle) => cycle.map((file) => relative(dir, file).split('\\').join('/')));
      expect(found.sort()).toEqual([['a.ts', 'b.ts', 'sub/index.ts', 'view.tsx'], ['lazy-back.ts', 'lazy.ts'], ['self.ts']].sort());
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
