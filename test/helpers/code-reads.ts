import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

export function filesUnder(dir: string, extension: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path, extension) : path.endsWith(extension) ? [path] : [];
  });
}

/** Every `process.env.X` / `env.X` / `env['X']` in src/, with the files that read it. */
export function variablesTheCodeReads(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const file of filesUnder(join(root, 'src'), '.ts')) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/\benv(?:\.([A-Z][A-Z0-9_]*)|\[['"]([A-Z][A-Z0-9_]*)['"]\])/g)) {
      const name = (match[1] ?? match[2])!;
      found.set(name, [...new Set([...(found.get(name) ?? []), relative(root, file)])]);
    }
  }
  // Temporal's connection variables are read by @temporalio/envconfig on behalf of src/temporal/target.ts.
  const envconfig = readFileSync(join(root, 'node_modules/@temporalio/envconfig/lib/envconfig-toml.js'), 'utf8');
  for (const [, name] of envconfig.matchAll(/envProvider\['(TEMPORAL_[A-Z0-9_]+)'\]/g)) found.set(name!, [...new Set([...(found.get(name!) ?? []), 'src/temporal/target.ts'])]);
  return found;
}
