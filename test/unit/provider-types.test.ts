import { findCatalogueType, findPrice, listInstanceTypes } from '../../src/domain/catalogue/catalogue.js';
import { clusterCost, findInstanceType, gkeAccelerator, instanceTypeProblems, pricingPlace } from '../../src/domain/catalogue/provider-types.js';
import type { NodePoolView } from '../../src/domain/cluster-state.js';
import { clusterRequestProblems } from '../../src/domain/validation.js';

const pool = (over: Partial<NodePoolView>): NodePoolView => ({ name: 'p', instanceType: 'm5.large', count: 2, kubernetesVersion: '1.35', desiredCount: 2, currentCount: 2, ...over });

describe('instance types by provider', () => {
  it('take each cloud provider its whole catalogue, with the catalogue capacity, and refuse the others', () => {
    for (const [provider, name] of [['eks', 'm7i.48xlarge'], ['gke', 'n2-highmem-32'], ['aks', 'Standard_D4s_v5']] as const) {
      const cloud = { eks: 'aws', gke: 'gcp', aks: 'azure' } as const;
      const spec = findCatalogueType(cloud[provider], name)!;
      expect(findInstanceType({ provider }, name)).toMatchObject({ name, cpu: spec.cpu, memoryGiB: spec.memoryGiB });
      expect(instanceTypeProblems({ provider }, { instanceType: name })).toEqual([]);
    }
    const [problem] = instanceTypeProblems({ provider: 'eks' }, { instanceType: 'n2-standard-4' }, ['nodePools', 0]);
    expect(problem!.path).toEqual(['nodePools', 0, 'instanceType']);
    expect(problem!.message).toMatch(/unknown instance type 'n2-standard-4' for a eks cluster; use a aws type/);
    expect(instanceTypeProblems({ provider: 'imported' }, { instanceType: 'm5.large' })).toHaveLength(1);
  });

  it('let a local cluster with a flavor use that cloud’s types at their real capacity, and keep the local names', () => {
    const p5 = findCatalogueType('aws', 'p5.48xlarge')!;
    expect(findInstanceType({ provider: 'kwok', flavor: 'aws' }, 'p5.48xlarge')).toMatchObject({ cpu: p5.cpu, memoryGiB: p5.memoryGiB, gpus: p5.gpus });
    expect(findInstanceType({ provider: 'sim', flavor: 'aws' }, 'm8g.large')?.arch).toBe('arm64');
    expect(findInstanceType({ provider: 'kwok', flavor: 'aws' }, 'standard-4')).toMatchObject({ cpu: 4, memoryGiB: 16 });
    expect(instanceTypeProblems({ provider: 'kwok' }, { instanceType: 'm5.large' })[0]!.message).toMatch(/use a local type \(standard-2/);
    expect(instanceTypeProblems({ provider: 'kwok', flavor: 'gcp' }, { instanceType: 'm5.large' })[0]!.message).toMatch(/with flavor gcp; use a local type .* or a gcp type/);
    // flavor is for the local providers only
    expect(clusterRequestProblems({ name: 'c', provider: 'eks', flavor: 'aws', nodePools: [pool({})] }).map((p) => p.path)).toEqual([['flavor']]);
  });

  it('name the GKE accelerator of every GPU machine type of the catalogue', () => {
    const gpuTypes = listInstanceTypes('gcp', { gpu: true });
    expect(gpuTypes.length).toBeGreaterThan(10);
    for (const type of gpuTypes) expect([type.name, gkeAccelerator(type.gpuModel)]).toEqual([type.name, expect.stringMatching(/^nvidia-/)]);
    expect(findInstanceType({ provider: 'gke' }, 'g2-standard-4')).toMatchObject({ gpus: 1, accelerator: 'nvidia-l4' });
    expect(findInstanceType({ provider: 'gke' }, 'a2-highgpu-1g')?.accelerator).toBe('nvidia-tesla-a100');
    expect(findInstanceType({ provider: 'gke' }, 'n2-standard-4')?.accelerator).toBeUndefined();
  });
});

describe('cluster cost', () => {
  it('prices pools at their current counts in the cluster region, spot at spot price where known', () => {
    const cost = clusterCost({
      provider: 'gke',
      region: 'us-central1',
      status: 'RUNNING',
      nodePools: [pool({ name: 'a', instanceType: 'n2-standard-4', currentCount: 3, desiredCount: 5 }), pool({ name: 'b', instanceType: 'n2-standard-4', spot: true, currentCount: null, desiredCount: 2 })],
    });
    const price = findPrice('gcp', 'us-central1', 'n2-standard-4')!;
    expect(cost.hourly).toBeCloseTo(3 * price.onDemand + 2 * price.spot!, 6);
    expect(cost).toMatchObject({ currency: 'USD', region: 'us-central1', unpriced: [], spotAtOnDemand: [] });
    expect(cost.monthly).toBeCloseTo(cost.hourly * 730, 1);
  });

  it('says which spot pools are at on-demand, and which pools are not priced', () => {
    const cost = clusterCost({ provider: 'eks', region: 'us-east-1', status: 'RUNNING', nodePools: [pool({ name: 's', spot: true }), pool({ name: 'x', instanceType: 'no.such' })] });
    expect(cost.hourly).toBeCloseTo(2 * findPrice('aws', 'us-east-1', 'm5.large')!.onDemand, 6);
    expect(cost).toMatchObject({ spotAtOnDemand: ['s'], unpriced: ['x'] });
  });

  it('prices a flavored local cluster in its region when the cloud prices it, else in the cloud’s default region', () => {
    expect(pricingPlace({ provider: 'kwok', region: 'local', flavor: 'azure' })).toEqual({ cloud: 'azure', region: 'eastus' });
    expect(pricingPlace({ provider: 'sim', region: 'eu-west-1', flavor: 'aws' })).toEqual({ cloud: 'aws', region: 'eu-west-1' });
    const cost = clusterCost({ provider: 'kwok', region: 'local', flavor: 'azure', status: 'RUNNING', nodePools: [pool({ instanceType: 'Standard_D4s_v5' })] });
    expect(cost.hourly).toBeCloseTo(2 * findPrice('azure', 'eastus', 'Standard_D4s_v5')!.onDemand, 6);
  });

  it('leaves a local cluster without a flavor unpriced and says so; a deleted cluster costs nothing', () => {
    const cost = clusterCost({ provider: 'kwok', region: 'local', status: 'RUNNING', nodePools: [pool({ instanceType: 'standard-2' })] });
    expect(cost).toMatchObject({ hourly: 0, priceDate: null, unpriced: ['p'], note: expect.stringMatching(/without a flavor/) });
    expect(clusterCost({ provider: 'eks', region: 'us-east-1', status: 'DELETED', nodePools: [pool({})] }).hourly).toBe(0);
  });
});

describe('a KWOK node of a flavored cluster', () => {
  it("reports its cloud type's real capacity and architecture; a local type its own", async () => {
    const { nodeManifest } = await import('../../src/adapters/providers/kwok/nodes.js');
    const graviton = findCatalogueType('aws', 'm8g.4xlarge')!;
    const node = nodeManifest({ provider: 'kwok', flavor: 'aws' }, { name: 'arm', instanceType: 'm8g.4xlarge', count: 1 }, 0, 'v1.37.2');
    expect(node.status!.capacity).toEqual({ cpu: String(graviton.cpu), memory: `${graviton.memoryGiB}Gi`, pods: '110' });
    expect(node.metadata!.labels!['kubernetes.io/arch']).toBe('arm64');
    const gpu = nodeManifest({ provider: 'kwok', flavor: 'gcp' }, { name: 'gpu', instanceType: 'g2-standard-8', count: 1 }, 0, 'v1.37.2');
    expect(gpu.status!.capacity!['nvidia.com/gpu']).toBe(String(findCatalogueType('gcp', 'g2-standard-8')!.gpus));
    expect(nodeManifest({ provider: 'kwok' }, { name: 'l', instanceType: 'standard-4', count: 1 }, 0, 'v1.37.2').status!.capacity).toMatchObject({ cpu: '4', memory: '16Gi' });
    expect(() => nodeManifest({ provider: 'kwok' }, { name: 'x', instanceType: 'm8g.4xlarge', count: 1 }, 0, 'v1.37.2')).toThrow(/unknown instance type/);
  });
});
