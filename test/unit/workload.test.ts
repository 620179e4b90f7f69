import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { run } from '../../src/adapters/exec.js';
import { listPricedInstanceTypes } from '../../src/domain/catalogue/catalogue.js';
import { parseQuantity } from '../../src/domain/quantity.js';
import { cheapestLayout, type Layout, type Requirement } from '../../src/domain/recommend/layout.js';
import { chartWorkload, workloadRequirement, type ChartWorkload } from '../../src/domain/recommend/workload.js';
import { toolPaths } from '../../src/toolchain.js';

const SIZED = fileURLToPath(new URL('../fixtures/charts/sized', import.meta.url));

/** The fixture chart as helm renders it (helm template: no cluster, no network). */
async function renderSized(values: string[] = []): Promise<unknown[]> {
  const out = await run(toolPaths().helm, ['template', 'sized', SIZED, ...values.flatMap((v) => ['--set', v])]);
  return parseAllDocuments(out).map((doc) => doc.toJS());
}

/** The workload on nodes, checked without the recommender's terms: every node holds the DaemonSets, and the rest the pods. */
function holdsWorkload(layout: Layout, types: ReturnType<typeof listPricedInstanceTypes>, w: ChartWorkload): boolean {
  const { cpu, memoryGiB, nodes } = layout.capacity;
  const typesUsed = layout.nodePools.map((p) => types.find((t) => t.name === p.instanceType)!);
  return (
    cpu >= w.pods.cpu + nodes * w.perNode.cpu - 1e-9 &&
    memoryGiB >= w.pods.memoryGiB + nodes * w.perNode.memoryGiB - 1e-9 &&
    typesUsed.every((t) => t.cpu >= w.perNode.cpu + w.largestPod.cpu && t.memoryGiB >= w.perNode.memoryGiB + w.largestPod.memoryGiB)
  );
}

describe('Kubernetes quantities', () => {
  it.each([
    ['500m', 0.5],
    ['2', 2],
    [3, 3],
    ['1.5', 1.5],
    ['1Gi', 2 ** 30],
    ['256Mi', 2 ** 28],
    ['1G', 1e9],
    ['1e3', 1000],
    ['100k', 1e5],
    ['.5', 0.5],
  ])('%s is %d', (text, value) => expect(parseQuantity(text)).toBe(value));

  it.each(['-1', 'abc', '1Gb', '', '1 Gi', null, {}, -2])('refuses %j', (text) => expect(parseQuantity(text)).toBeUndefined());
});

describe("a chart's workload", () => {
  it('sums the fixture chart as rendered by helm: replicas × pod requests, DaemonSets per node, hooks left out', async () => {
    const workload = chartWorkload(await renderSized());
    // web: 3 × (500m + 250m limits-only, 1Gi + 256Mi); db: 2 × (init 3 CPU > app 2 CPU, 4Gi).
    expect(workload.pods).toEqual({ cpu: 3 * 0.75 + 2 * 3, memoryGiB: 3 * 1.25 + 2 * 4, gpu: 0 });
    expect(workload.perNode).toEqual({ cpu: 1, memoryGiB: 2, gpu: 0 });
    expect(workload.largestPod).toEqual({ cpu: 3, memoryGiB: 4, gpu: 0 });
    expect(workload.workloads.map((w) => `${w.kind}/${w.name}×${w.replicas}${w.perNode ? ' per node' : ''}`).sort()).toEqual([
      'DaemonSet/sized-agent×1 per node',
      'Deployment/sized-web×3',
      'StatefulSet/sized-db×2',
    ]);
    expect(workload.problems).toEqual([]);
  });

  it('follows the values it is rendered with', async () => {
    const workload = chartWorkload(await renderSized(['web.replicas=10', 'agent.enabled=false']));
    expect(workload.pods).toEqual({ cpu: 10 * 0.75 + 6, memoryGiB: 10 * 1.25 + 8, gpu: 0 });
    expect(workload.perNode).toEqual({ cpu: 0, memoryGiB: 0, gpu: 0 });
  });

  it('counts sidecars with the app containers, an init container alone, the pod overhead, GPUs from limits, and Jobs by parallelism', () => {
    const pod = (spec: object) => ({ template: { spec } });
    const workload = chartWorkload([
      {
        kind: 'Deployment',
        metadata: { name: 'side' },
        spec: {
          ...pod({
            initContainers: [
              { name: 'mesh', restartPolicy: 'Always', resources: { requests: { cpu: '100m', memory: '128Mi' } } },
              { name: 'migrate', resources: { requests: { cpu: '1', memory: '64Mi' } } },
            ],
            containers: [{ name: 'app', resources: { requests: { cpu: '200m', memory: '256Mi' }, limits: { 'nvidia.com/gpu': 1 } } }],
            overhead: { cpu: '50m', memory: '32Mi' },
          }),
        },
      },
      { kind: 'Job', metadata: { name: 'batch' }, spec: { parallelism: 4, completions: 2, ...pod({ containers: [{ resources: { requests: { cpu: '1' } } }] }) } },
      { kind: 'List', items: [{ kind: 'Pod', metadata: { name: 'lone' }, spec: { containers: [{ resources: { requests: { memory: '1Gi' } } }] } }] },
      { kind: 'Service', metadata: { name: 'ignored' }, spec: {} },
    ]);
    // side: cpu max(100m + 200m, 1 + 100m) + 50m = 1.15; memory max(384Mi, 192Mi) + 32Mi = 416Mi; replicas default 1.
    expect(workload.workloads.find((w) => w.name === 'side')!.pod).toEqual({ cpu: 1.15, memoryGiB: 416 / 1024, gpu: 1 });
    expect(workload.workloads.find((w) => w.name === 'batch')!.replicas).toBe(2);
    expect(workload.pods).toEqual({ cpu: 1.15 + 2, memoryGiB: 416 / 1024 + 1, gpu: 1 });
    expect(workload.largestPod).toEqual({ cpu: 1.15, memoryGiB: 1, gpu: 1 });
  });

  it('names what it cannot read', () => {
    const workload = chartWorkload([
      { kind: 'Deployment', metadata: { name: 'bad' }, spec: { replicas: '3' } },
      { kind: 'StatefulSet', metadata: { name: 'odd' }, spec: { template: { spec: { containers: [{ name: 'c', resources: { requests: { cpu: 'lots' } } }] } } } },
    ]);
    expect(workload.problems).toEqual(['Deployment/bad: replicas "3" is not a whole number, 0 or more', `StatefulSet/odd: container 'c' asks for cpu "lots", not a quantity`]);
  });
});

describe('sizing for a chart', () => {
  const types = listPricedInstanceTypes('aws', 'us-east-1').filter((t) => /^(c6i|m6i|r6i)\.(large|xlarge|2xlarge)$/.test(t.name));

  it('meets the pods plus the DaemonSets on every node, on types that hold the largest pod beside them', async () => {
    const workload = chartWorkload(await renderSized());
    const layout = cheapestLayout(types, workloadRequirement(workload), 1000)!;
    expect(layout.optimal).toBe(true);
    expect(holdsWorkload(layout, types, workload)).toBe(true);
    // Adding the DaemonSets once (as one more pod) picks five 2-vCPU nodes, which hold 10 vCPU, not the 8.25 + 5 × 1 the workload takes on them.
    const once = cheapestLayout(types, { cpu: workload.pods.cpu + workload.perNode.cpu, memoryGiB: workload.pods.memoryGiB + workload.perNode.memoryGiB }, 1000)!;
    expect(holdsWorkload(once, types, workload)).toBe(false);
    expect(layout.nodePools).toEqual([{ name: 'c6i-xlarge', instanceType: 'c6i.xlarge', count: 3 }]);
  });

  it('leaves out types too small for the DaemonSets and the largest pod', () => {
    const requirement: Requirement = { cpu: 1, memoryGiB: 1, perNode: { cpu: 1.5, memoryGiB: 1, gpu: 0 }, largestPod: { cpu: 1, memoryGiB: 1, gpu: 0 } };
    const layout = cheapestLayout(types, requirement, 1000)!;
    expect(layout.nodePools.every((p) => types.find((t) => t.name === p.instanceType)!.cpu >= 2.5)).toBe(true);
    expect(cheapestLayout(types, { ...requirement, largestPod: { cpu: 7, memoryGiB: 1, gpu: 0 } }, 1000)).toBeUndefined();
  });

  it('answers a chart of DaemonSets alone with one node', () => {
    const workload = chartWorkload([
      { kind: 'DaemonSet', metadata: { name: 'agent' }, spec: { template: { spec: { containers: [{ resources: { requests: { cpu: '1', memory: '1Gi' } } }] } } } },
    ]);
    const layout = cheapestLayout(types, workloadRequirement(workload), 1000)!;
    expect(layout.capacity.nodes).toBe(1);
  });
});
