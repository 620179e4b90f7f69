import type { KwokProvider } from '../../src/adapters/providers/kwok/index.js';
import { eventually, startStack, type Stack } from './stack.js';

/** A stack with real KWOK clusters of one pool each, all RUNNING, its deployments reaching them with the real helm. */
export async function startKwokFleet(kwok: KwokProvider, base: string, clusters: readonly string[]): Promise<Stack> {
  const stack = await startStack({
    providers: { kwok: kwok.activities() },
    kubeconfigs: { kwok: (ref) => kwok.kubeconfig(ref) },
    fleet: { kwok: (ref) => kwok.kubeconfig(ref) },
  });
  for (const name of clusters) {
    const res = await stack.api('POST', `${base}/clusters`, { body: { name, provider: 'kwok', nodePools: [{ name: 'pool', instanceType: 'standard-2', count: 1 }] } });
    if (res.status !== 202) throw new Error(`cluster ${name}: ${res.status} ${res.text}`);
  }
  for (const name of clusters) {
    await eventually(async () => ((await stack.api('GET', `${base}/clusters/${name}`)).body.status === 'RUNNING' ? true : undefined), `${name} RUNNING`, 180_000);
  }
  return stack;
}

/** Other suites share the dev server and org: leaves no cluster and no KWOK control plane behind. */
export async function stopKwokFleet(stack: Stack | undefined, kwok: KwokProvider, base: string, clusters: readonly string[]): Promise<void> {
  for (const name of clusters) await stack?.api('DELETE', `${base}/clusters/${name}?force=true`);
  for (const name of clusters) {
    await eventually(async () => ((await stack!.api('GET', `${base}/clusters/${name}`)).body.status === 'DELETED' ? true : undefined), `${name} DELETED`, 120_000).catch(() => undefined);
  }
  await stack?.stop();
  for (const name of await kwok.kwokctl.list().catch(() => [])) await kwok.kwokctl.delete(name).catch(() => undefined);
}
