import { EKSClient, UpdateClusterVersionCommand, UpdateNodegroupVersionCommand } from '@aws-sdk/client-eks';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { clusterVersionRequest, nodegroupVersionRequest } from '../../src/adapters/providers/eks/upgrades.js';
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

beforeAll(async () => {
  server = createServer(async (req: IncomingMessage, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    captured.push({ method: req.method!, path: req.url!, body: text ? JSON.parse(text) : {} });
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ update: { id: 'u-1', status: 'InProgress' } }));
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
