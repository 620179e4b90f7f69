import { MockActivityEnvironment } from '@temporalio/testing';
import type { ProviderActivities } from '../../src/adapters/providers/provider.js';
import type { ClusterRef, NodePoolSpec } from '../../src/domain/cluster.js';

/** What the cloud itself holds for one cluster: read with the cloud's own API, not Flotilla's. */
export interface CloudInventory {
  controlPlanes: number;
  /** Pool name → its size as the cloud reports it. */
  nodePools: Record<string, number>;
}

export interface ConformanceTarget {
  activities: ProviderActivities;
  ref: ClusterRef;
  pool: NodePoolSpec;
  inventory(ref: ClusterRef): Promise<CloudInventory>;
}

/**
 * The contract every provider adapter keeps, whatever its cloud: create;
 * running a create again adopts what exists (as a retry after a crash does);
 * scale; delete twice; delete what never existed.
 */
export function providerConformance(name: string, target: () => ConformanceTarget): void {
  describe(`${name} provider conformance`, () => {
    const env = new MockActivityEnvironment();
    const run = <A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A) => env.run(fn, ...args);

    /** Every create step; run twice, the second run is what a retry after a crash does. */
    const createAll = async () => {
      const { activities: a, ref, pool, inventory } = target();
      await run(a.ensureNetwork, ref);
      await run(a.createControlPlane, ref);
      await run(a.awaitControlPlane, ref);
      expect(await run(a.createNodePool, ref, pool)).toBe(pool.count);
      expect(await inventory(ref)).toEqual({ controlPlanes: 1, nodePools: { [pool.name]: pool.count } });
    };

    it('creates a cluster and a pool', createAll);

    it('adopts what exists when a create runs again', createAll);

    it('scales a pool', async () => {
      const { activities: a, ref, pool, inventory } = target();
      expect(await run(a.updateNodePool, ref, { ...pool, count: pool.count + 1 })).toBe(pool.count + 1);
      expect((await inventory(ref)).nodePools).toEqual({ [pool.name]: pool.count + 1 });
    });

    it('deletes, and deleting again succeeds', async () => {
      const { activities: a, ref, pool, inventory } = target();
      for (let i = 0; i < 2; i++) {
        await run(a.deleteNodePool, ref, pool.name);
        await run(a.deleteControlPlane, ref);
        await run(a.deleteNetwork, ref);
      }
      expect(await inventory(ref)).toEqual({ controlPlanes: 0, nodePools: {} });
    });

    it('deletes what never existed', async () => {
      const { activities: a, ref, pool, inventory } = target();
      const ghost = { ...ref, name: `${ref.name}-never` };
      await run(a.deleteNodePool, ghost, pool.name);
      await run(a.deleteControlPlane, ghost);
      await run(a.deleteNetwork, ghost);
      expect(await inventory(ghost)).toEqual({ controlPlanes: 0, nodePools: {} });
    });
  });
}
