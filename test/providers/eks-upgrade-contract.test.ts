import { EKSClient, UpdateClusterVersionCommand, UpdateNodegroupVersionCommand } from '@aws-sdk/client-eks';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { EksProvider } from '../../src/adapters/providers/eks/index.js';
import { clusterVersionRequest, nodegroupVersionRequest } from '../../src/adapters/providers/eks/upgrades.js';
import { eksOfferedVersions } from '../../src/adapters/providers/eks/versions.js';
import type { CredentialResolver } from '../../src/adapters/secrets/credentials.js';
import type { ClusterRef } from '../../src/domain/cluster.js';
import { toolsDir } from '../../src/toolchain.js';
import { MockActivityEnvironment } from '@temporalio/testing';

// moto has no UpdateClusterVersion or UpdateNodegroupVersion: the requests the EKS adapter sends are
// checked against the EKS service model botocore ships (in moto's venv), as they leave the AWS SDK.
const modelFile = join(toolsDir(), 'moto-5.2.5', 'lib', 'python3.11', 'site-packages', 'botocore', 'data', 'eks', '2017-11-01', 'service-2.json.gz');
const model = JSON.parse(gunzipSync(readFileSync(modelFile)).toString('utf8')) as {
  operations: Record<string, { http: { method: string; requestUri: string }; input: { shape: string } }>;
  shapes: Record<string, { type: string; required?: string[]; members?: Record<string, { shape: string; location?: string; locationName?: string }> }>;
};

const ref: ClusterRef = { org: 'acme', name: 'edge', provider: 'eks', region: 'us-east-1', kubernetesVersion: '1.35' };
const activity = new MockActivityEnvironment();
const inActivity = <T>(fn: () => T) => activity.run(async () => fn()) as Promise<T>;
let server: Server;
let captured: { method: string; path: string; body: Record<string, unknown> }[] = [];
/** DescribeClusterVersions in two pages, in the model's output shape (DescribeClusterVersionsResponse). */
const versionPages: Record<string, unknown> = {
  first: {
    clusterVersions: [
      { clusterVersion: '1.35', clusterType: 'eks', defaultPlatformVersion: 'eks.3', defaultVersion: false, status: 'standard-support' },
      { clusterVersion: '1.34', clusterType: 'eks', defaultPlatformVersion: 'eks.9', defaultVersion: true, status: 'standard-support' },
    ],
    nextToken: 'page-2',
  },
  'page-2': {
    clusterVersions: [
      { clusterVersion: '1.32', clusterType: 'eks', defaultVersion: false, status: 'extended-support' },
      { clusterVersion: '1.28', clusterType: 'eks', defaultVersion: false, status: 'unsupported' },
    ],
  },
};

beforeAll(async () => {
  server = createServer(async (req: IncomingMessage, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    captured.push({ method: req.method!, path: req.url!, body: text ? JSON.parse(text) : {} });
    const answer = req.url!.startsWith('/cluster-versions') ? versionPages[new URL(req.url!, 'http://x').searchParams.get('nextToken') ?? 'first'] : { update: { id: 'u-1', status: 'InProgress' } };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

const eks = () =>
  new EKSClient({ region: 'us-east-1', endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });

/** The request as the model describes it: the URI with its members filled in, and the body's members, each of the model's type. */
function checkAgainstModel(operation: string, input: Record<string, unknown>, sent: (typeof captured)[number]): void {
  const { http, input: shapeRef } = model.operations[operation]!;
  const shape = model.shapes[shapeRef.shape]!;
  for (const required of shape.required ?? []) expect(input[required]).toBeDefined();
  let uri = http.requestUri;
  for (const [name, member] of Object.entries(shape.members!)) {
    if (member.location === 'uri') uri = uri.replace(`{${member.locationName}}`, encodeURIComponent(String(input[name])));
  }
  expect([sent.method, sent.path]).toEqual([http.method, uri]);
  for (const [name, value] of Object.entries(sent.body)) {
    const member = shape.members![name];
    expect(member).toBeDefined();
    expect(member!.location).toBeUndefined();
    const type = model.shapes[member!.shape]!.type;
    expect(typeof value).toBe(type === 'boolean' ? 'boolean' : type === 'string' ? 'string' : typeof value);
  }
  for (const [name, member] of Object.entries(shape.members!)) if (!member.location && input[name] !== undefined) expect(sent.body[name]).toEqual(input[name]);
}

describe('EKS upgrade requests against the EKS service model', () => {
  beforeEach(() => {
    captured = [];
  });

  it('UpdateClusterVersion: the minor only, a request token', async () => {
    // Request tokens derive from the activity's workflow and step.
    const input = await inActivity(() => clusterVersionRequest(ref, '1.36.4'));
    expect(input).toMatchObject({ version: '1.36', clientRequestToken: expect.any(String) });
    await eks().send(new UpdateClusterVersionCommand(input));
    checkAgainstModel('UpdateClusterVersion', input as unknown as Record<string, unknown>, captured[0]!);
  });

  it('UpdateNodegroupVersion: the minor, force off (the drain respects PodDisruptionBudgets), a request token per pool and version', async () => {
    const input = await inActivity(() => nodegroupVersionRequest(ref, 'web', '1.36'));
    expect(input).toMatchObject({ nodegroupName: 'web', version: '1.36', force: false });
    expect((await inActivity(() => nodegroupVersionRequest(ref, 'batch', '1.36'))).clientRequestToken).not.toBe(input.clientRequestToken);
    await eks().send(new UpdateNodegroupVersionCommand(input));
    checkAgainstModel('UpdateNodegroupVersion', input as unknown as Record<string, unknown>, captured[0]!);
  });
});

describe('EKS versions (DescribeClusterVersions) against the EKS service model', () => {
  beforeEach(() => {
    captured = [];
  });

  it('asks every page with no filter but the token, as the model places it; lists the supported minors, the default marked', async () => {
    const { operations, shapes } = model;
    const { http, input } = operations.DescribeClusterVersions!;
    const members = shapes[input.shape]!.members!;
    const provider = new EksProvider({
      credentials: (async () => ({ accessKeyId: 'test', secretAccessKey: 'test' })) as CredentialResolver,
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    });
    const versions = await activity.run(provider.activities().kubernetesVersions!, { org: 'acme', region: 'us-east-1', secretId: 'sec-0123456789abcdef' });
    expect(versions).toEqual([{ version: '1.32' }, { version: '1.34', default: true }, { version: '1.35' }]);
    expect(captured.map((c) => c.method)).toEqual([http.method, http.method]);
    const [first, second] = captured.map((c) => new URL(c.path, 'http://x'));
    expect([first!.pathname, second!.pathname]).toEqual([http.requestUri, http.requestUri]);
    expect([...first!.searchParams.keys()]).toEqual([]);
    expect([...second!.searchParams.entries()]).toEqual([[members.nextToken!.locationName, 'page-2']]);
    expect(members.nextToken!.location).toBe('querystring');
  });

  it("maps the model's output shape: unsupported versions and ones that are not Kubernetes minors left out", () => {
    const shape = model.shapes.ClusterVersionInformation!.members!;
    expect(Object.keys(shape)).toEqual(expect.arrayContaining(['clusterVersion', 'defaultVersion', 'status']));
    expect(
      eksOfferedVersions([
        { clusterVersion: '1.36', status: 'standard-support' },
        { clusterVersion: '1.33', status: 'extended-support', defaultVersion: true },
        { clusterVersion: '1.29', status: 'unsupported' },
        { clusterVersion: 'next', status: 'standard-support' },
      ]),
    ).toEqual([{ version: '1.33', default: true }, { version: '1.36' }]);
  });
});
