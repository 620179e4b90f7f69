import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

// The layer rules of docs/architecture.md ("Layers: who may import whom"), read from the imports of
// every file under src/, so that a new import across a layer fails here instead of in a review.

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

interface Import {
  from: string; // src-relative file that imports
  to: string; // src-relative module imported, or the package name
  local: boolean;
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every static and dynamic import and re-export of a file, type-only ones marked. */
export function importsOf(file: string, text: string): Import[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const from = relative(SRC, file);
  const found: Import[] = [];
  const add = (specifier: string, typeOnly: boolean) => {
    const local = specifier.startsWith('.');
    found.push({ from, to: local ? relative(SRC, resolve(dirname(file), specifier.replace(/\.js$/, '.ts'))) : specifier, local, typeOnly });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const named = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings.elements : undefined;
      const typeOnly = !!clause && (clause.isTypeOnly || (!clause.name && !!named && named.length > 0 && named.every((e) => e.isTypeOnly)));
      add(node.moduleSpecifier.text, typeOnly);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node.moduleSpecifier.text, node.isTypeOnly);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) {
      add(node.arguments[0].text, false);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const imports = sourceFiles(SRC).flatMap((file) => importsOf(file, readFileSync(file, 'utf8')));

const layerOf = (path: string) => (path.includes('/') ? path.split('/')[0]! : path);
/** The processes' entry points: they build the layers and connect them. */
const WIRING = new Set(['main.ts', 'worker.ts', 'composition.ts', 'api/server.ts', 'rotate-secrets.ts']);

/** `from → to` of each import that breaks `rule`, for a readable failure. */
function breaking(rule: (i: Import) => boolean): string[] {
  return imports.filter((i) => !WIRING.has(i.from) && rule(i)).map((i) => `${i.from} → ${i.to}${i.typeOnly ? ' (type)' : ''}`);
}

describe('the layers of src/', () => {
  test('the walk finds imports of every kind', () => {
    const sample = importsOf(join(SRC, 'x/y.ts'), "import type { A } from '../a.js';\nimport { type B, c } from './c.js';\nexport type { D } from 'd';\nconst e = await import('./e.js');");
    expect(sample).toEqual([
      { from: 'x/y.ts', to: 'a.ts', local: true, typeOnly: true },
      { from: 'x/y.ts', to: 'x/c.ts', local: true, typeOnly: false },
      { from: 'x/y.ts', to: 'd', local: false, typeOnly: true },
      { from: 'x/y.ts', to: 'x/e.ts', local: true, typeOnly: false },
    ]);
    expect(imports.length).toBeGreaterThan(300);
  });

  test('domain/ imports nothing but itself', () => {
    expect(breaking((i) => layerOf(i.from) === 'domain' && !(i.local && layerOf(i.to) === 'domain'))).toEqual([]);
  });

  test('workflows/ import domain/ and workflows/, and from activities/ only types', () => {
    const allowed = (i: Import) => ['domain', 'workflows'].includes(layerOf(i.to)) || (layerOf(i.to) === 'activities' && i.typeOnly);
    expect(breaking((i) => layerOf(i.from) === 'workflows' && i.local && !allowed(i))).toEqual([]);
  });

  test('nothing outside api/ imports from api/', () => {
    expect(breaking((i) => layerOf(i.from) !== 'api' && i.local && layerOf(i.to) === 'api')).toEqual([]);
  });

  test('adapters/ import neither activities/ nor workflows/', () => {
    expect(breaking((i) => layerOf(i.from) === 'adapters' && i.local && ['activities', 'workflows'].includes(layerOf(i.to)))).toEqual([]);
  });

  test('activities/ import no workflows/, and hold only what Temporal calls', () => {
    expect(breaking((i) => layerOf(i.from) === 'activities' && i.local && layerOf(i.to) === 'workflows')).toEqual([]);
    // Values an activities/ module exports are the factories of the activities a worker registers.
    const exported = sourceFiles(join(SRC, 'activities')).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/^export (?:async )?(?:function|const|let|class) (\w+)/gm)].map((m) => `${relative(SRC, file)}: ${m[1]}`),
    );
    expect(exported.length).toBeGreaterThan(0);
    expect(exported.filter((e) => !/: \w+Activities$/.test(e))).toEqual([]);
  });

  test('cli/ speaks HTTP: it imports domain/ and itself only', () => {
    expect(breaking((i) => layerOf(i.from) === 'cli' && i.local && !['cli', 'domain'].includes(layerOf(i.to)))).toEqual([]);
  });

  test('temporal/ and observability/ reach no activities/, adapters/ or api/', () => {
    const low = ['temporal', 'observability'];
    expect(breaking((i) => low.includes(layerOf(i.from)) && i.local && ['activities', 'adapters', 'api'].includes(layerOf(i.to)))).toEqual([]);
  });
});
