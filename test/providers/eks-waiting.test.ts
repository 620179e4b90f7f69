import { EksProvider } from '../../src/adapters/providers/eks/index.js';
import { credentialsFrom } from '../../src/adapters/secrets/credentials.js';
import { startEksStatusProxy, startMoto } from '../helpers/moto.js';
import { eventually, startStack, testSecretStore, type Stack } from '../helpers/stack.js';
import { settled } from './api-flow.js';

// EKS takes minutes to make a cluster or a node group; moto takes none. A
// proxy in front of moto answers CREATING for as long as a test says, or
// CREATE_FAILED, so the provider's waiting and failure paths run through the
// API, the workflows and a worker, with credentials from a stored aws secret.
const base = '/api/v1/orgs/acme';
const secrets = testSecretStore();
let moto: Awaited<ReturnType<typeof startMoto>>;
let proxy: Awaited<ReturnType<typeof startEksStatusProxy>>;
let stack: Stack;
let secretId: string;

beforeAll(async () => {
  moto = await startMoto();
  proxy = await startEksStatusProxy(moto.endpoint);
  const provider = new EksProvider({ credentials: credentialsFrom(secrets), endpoint: proxy.endpoint, pollMs: 50 });
  stack = await startStack({ providers: { eks: provider.activities() }, secrets });
  const created = await stack.api('POST', `${base}/secrets`, { body: { name: 'aws-waiting', type: 'aws', values: { accessKeyId: 'AKIAFLOTILLAWAIT0001', secretAccessKey: 'waiting-secret' } } });
  secretId = created.body.id;
});
afterAll(async () => {
  await stack?.stop();
  await proxy?.stop();
  await moto?.stop();
});

const statuses = (path: string) => proxy.describes.filter((d) => d.path === path).map((d) => d.status);
/** The states a resource went through, repeats folded. */
const phases = (seen: string[]) => seen.filter((status, i) => status !== seen[i - 1]);
const create = (name: string) =>
  stack.api('POST', `${base}/clusters`, { body: { name, provider: 'eks', region: 'eu-west-1', secretId, nodePools: [{ name: 'general', instanceType: 'm5.large', count: 2 }] } });

describe('EKS that takes its time', () => {
  it('waits while the cluster and then the node group are CREATING', async () => {
    const cluster = '/clusters/acme-eks-slow';
    const nodegroup = '/clusters/acme-eks-slow/node-groups/general';
    proxy.answer(cluster, [{ status: 'CREATING', times: Infinity }]);
    proxy.answer(nodegroup, [{ status: 'CREATING', times: 3 }]);
    const res = await create('eks-slow');
    expect(res.status).toBe(202);

    // Held in CREATING: the cluster is CREATING in the API, its operation on the step that waits, polling.
    const operation = `${base}/operations/${res.body.operationId}`;
    await eventually(async () => {
      const [view, op] = await Promise.all([stack.api('GET', `${base}/clusters/eks-slow`), stack.api('GET', operation)]);
      return view.body.status === 'CREATING' && op.body.currentStep === 'await control plane' && statuses(cluster).length >= 3 ? true : undefined;
    }, 'the provision waiting on a CREATING cluster');
    expect(statuses(nodegroup)).toEqual([]); // no node group before the control plane is ACTIVE

    proxy.answer(cluster, []); // moto's ACTIVE from now on
    const view = await settled(stack, 'eks-slow', 'RUNNING');
    expect(view.nodePools.map((p: any) => [p.name, p.currentCount])).toEqual([['general', 2]]);
    expect(phases(statuses(cluster))).toEqual(['CREATING', 'ACTIVE']);
    expect(phases(statuses(nodegroup))).toEqual(['CREATING', 'ACTIVE']);
    expect(statuses(nodegroup).filter((s) => s === 'CREATING')).toHaveLength(3);
    const { body } = await stack.api('GET', operation);
    expect(body.steps.map((s: any) => [s.name, s.state])).toEqual([
      ['ensure network', 'DONE'],
      ['create control plane', 'DONE'],
      ['await control plane', 'DONE'],
      ['create node pool general', 'DONE'],
    ]);
  });

  it('ends the cluster in ERROR with the reason when a node group is CREATE_FAILED, and deletes it', async () => {
    const nodegroup = '/clusters/acme-eks-doomed/node-groups/general';
    const issue = {
      code: 'AsgInstanceLaunchFailures',
      message: 'Could not launch On-Demand Instances. InsufficientInstanceCapacity - There is no m5.large capacity in eu-west-1a. Launching EC2 instance failed.',
      resourceIds: ['eks-general-4ec8a1d2'],
    };
    // As EKS does: CREATING for a while, then CREATE_FAILED until the node group is deleted.
    proxy.answer(nodegroup, [{ status: 'CREATING', times: 2 }, { status: 'CREATE_FAILED', issues: [issue], times: Infinity }]);
    expect((await create('eks-doomed')).status).toBe(202);

    const failed = await settled(stack, 'eks-doomed', 'ERROR');
    expect(failed.message).toBe(`provision failed: create node pool general failed: node group general is CREATE_FAILED: ${issue.code}: ${issue.message}`);
    // Failed for good at the first CREATE_FAILED: not retried.
    expect(statuses(nodegroup)).toEqual(['CREATING', 'CREATING', 'CREATE_FAILED']);

    expect((await stack.api('DELETE', `${base}/clusters/eks-doomed`)).status).toBe(202);
    await settled(stack, 'eks-doomed', 'DELETED');
    expect(statuses(nodegroup).slice(3)).toEqual(['CREATE_FAILED']); // the delete found it failed, deleted it, and saw it gone (404)
  });

  afterAll(async () => {
    await stack.api('DELETE', `${base}/clusters/eks-slow`);
    await settled(stack, 'eks-slow', 'DELETED');
  });
});
