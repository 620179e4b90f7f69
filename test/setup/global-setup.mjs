// Jest loads global setup outside its ESM module mapper, so the TypeScript
// setup is loaded through tsx, which resolves our `.js` import specifiers.
import { tsImport } from 'tsx/esm/api';

export default async function globalSetup() {
  const { startTemporal } = await tsImport('./start-temporal.ts', import.meta.url);
  await startTemporal();
}
