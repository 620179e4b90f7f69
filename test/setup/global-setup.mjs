// Jest loads global setup outside its ESM module mapper, so the TypeScript
// setup is loaded through tsx, which resolves our `.js` import specifiers.
import { tsImport } from 'tsx/esm/api';

export default async function globalSetup() {
  // Every process of the suite runs the project's Node (npm test puts node_modules/.bin first on PATH).
  const { requireNodeMajor } = await tsImport('../../src/node-version.ts', import.meta.url);
  requireNodeMajor('The test suite');
  const { startTemporal } = await tsImport('./start-temporal.ts', import.meta.url);
  await startTemporal();
}
