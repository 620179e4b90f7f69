export default async function globalTeardown() {
  await globalThis.temporalEnv?.teardown();
}
