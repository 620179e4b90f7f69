import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { applyPostRenderRules, type PostRenderRules } from '../../domain/profiles.js';

/**
 * Helm's post-renderer for provider profiles (docs/architecture.md, decision 11): helm pipes the
 * rendered manifests in and installs what comes out. Helm runs it as `node
 * bin/flotilla-post-render.mjs <rules.json>` with the project's own Node, no shell between; the
 * rules are a JSON file of data (src/domain/profiles.ts), never code.
 */
export function postRender(manifests: string, rules: PostRenderRules): string {
  const docs = YAML.parseAllDocuments(manifests);
  const broken = docs.find((d) => d.errors.length > 0);
  if (broken) throw new Error(`the rendered manifests are not YAML: ${broken.errors[0]!.message}`);
  const objects = docs.map((d) => d.toJS() as unknown).filter((o) => o !== null && o !== undefined);
  return applyPostRenderRules(objects, rules)
    .map((o) => `---\n${YAML.stringify(o)}`)
    .join('');
}

/** What helm is told to run: the project's Node and the launcher, which loads this file through tsx. */
export const POST_RENDERER = {
  node: process.execPath,
  launcher: fileURLToPath(new URL('../../../bin/flotilla-post-render.mjs', import.meta.url)),
};

/** The launcher's entry: the rules file named by the first argument, the manifests on stdin, the result on stdout. */
export async function main(argv: readonly string[]): Promise<void> {
  const rulesFile = argv[2];
  if (!rulesFile) throw new Error('usage: flotilla-post-render <rules.json>');
  const rules = JSON.parse(readFileSync(rulesFile, 'utf8')) as PostRenderRules;
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  process.stdout.write(postRender(Buffer.concat(chunks).toString('utf8'), rules));
}
