#!/usr/bin/env node
// Helm's post-renderer for provider profiles (src/adapters/helm/post-renderer.ts), run by helm with
// the project's own Node: TypeScript through tsx, like the rest of Flotilla.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/adapters/helm/post-renderer.ts');
try {
  await main(process.argv);
} catch (err) {
  process.stderr.write(`flotilla post-renderer: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
