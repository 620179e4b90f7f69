import { defaultPayloadConverter } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { run } from '../../src/adapters/exec.js';
import { SimCloud } from '../../src/adapters/providers/sim/index.js';
import { fromJsonPayload, toJsonPayload, type JsonPayload } from '../../src/api/routes/codec.js';
import { AesGcmCodec, ENCRYPTED_ENCODING, flotillaDataConverter, KEY_ID_METADATA, parseCodecKeys } from '../../src/temporal/codec.js';
import { toolPaths } from '../../src/toolchain.js';
import { historyJson, jsonDataText, jsonMetadataText, metadataText, payloadsIn } from '../helpers/codec.js';
import { eventually, startStack, testCodec, TOKENS, UI_URL, type Stack } from '../helpers/stack.js';

// The remote codec endpoint, called as the Temporal Web UI and CLI call it.
const sim = new SimCloud({ latencyMs: 5 });
const base = '/api/v1/orgs/acme';
const clusterName = 'codec-cli';
const pool = (name: string) => ({ name, instanceType: 'standard-2', count: 1 });
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ providers: { sim: sim.activities() } });
});
afterAll(async () => {
  // Other suites share the dev server and org: leave no cluster behind.
  const names = [clusterName, 'codec-rotation'];
  for (const name of names) await stack?.api('DELETE', `${base}/clusters/${name}?force=true`);
  for (const name of names) {
    await eventually(async () => ((await stack.api('GET', `${base}/clusters/${name}`)).body.status === 'DELETED' ? true : undefined), `${name} DELETED`).catch(() => undefined);
  }
  await stack?.stop();
});

async function codecCall(path: string, payloads: JsonPayload[], headers: Record<string, string> = { authorization: `Bearer ${TOKENS.acme}` }) {
  const res = await fetch(`${stack.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...headers },
    body: JSON.stringify({ payloads }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: JSON.parse(text), text };
}

const json = (value: unknown) => toJsonPayload(defaultPayloadConverter.toPayload(value));
const valueOf = (payload: JsonPayload) => defaultPayloadConverter.fromPayload(fromJsonPayload(payload));
let encryptedBySuiteKey: JsonPayload;

describe('codec endpoint', () => {
  it('encodes and decodes payloads in the codec protocol, for any org token', async () => {
    const encoded = await codecCall('/codec/encode', [json({ hello: 'codec' }), json(null)]);
    expect(encoded.status).toBe(200);
    expect(encoded.body.payloads).toHaveLength(2);
    for (const payload of encoded.body.payloads) {
      expect(metadataText(fromJsonPayload(payload), 'encoding')).toBe(ENCRYPTED_ENCODING);
      expect(metadataText(fromJsonPayload(payload), KEY_ID_METADATA)).toBe('suite');
    }
    expect(encoded.text).not.toContain('codec');
    encryptedBySuiteKey = encoded.body.payloads[0];

    const decoded = await codecCall('/codec/decode', [...encoded.body.payloads, json('never encrypted')], { authorization: `Bearer ${TOKENS.globex}` });
    expect(decoded.status).toBe(200);
    expect(decoded.body.payloads.map(valueOf)).toEqual([{ hello: 'codec' }, null, 'never encrypted']);
  });

  it('answers 401 without a valid token', async () => {
    const payloads = [encryptedBySuiteKey];
    for (const headers of [{}, { authorization: 'Bearer not-a-token' }, { authorization: TOKENS.acme }] as Record<string, string>[]) {
      const res = await codecCall('/codec/decode', payloads, headers);
      expect([res.status, res.headers.get('www-authenticate'), res.body.error.code]).toEqual([401, 'Bearer', 'unauthorized']);
      expect(res.text).not.toContain('hello');
    }
    expect((await codecCall('/codec/encode', [json(1)], {})).status).toBe(401);
    expect((await codecCall(`/codec/${'0'.repeat(64)}/decode`, payloads, {})).status).toBe(401);
  });

  it('takes the codec-only Web UI token in the path, which opens nothing else', async () => {
    const uiToken = testCodec().uiToken();
    const decoded = await codecCall(`/codec/${uiToken}/decode`, [encryptedBySuiteKey], {});
    expect(decoded.body.payloads.map(valueOf)).toEqual([{ hello: 'codec' }]);
    expect((await codecCall(`/codec/${uiToken}/encode`, [json(1)], {})).status).toBe(200);
    expect((await stack.api('GET', `${base}/clusters`, { token: uiToken })).status).toBe(401);
    expect((await codecCall('/codec/decode', [encryptedBySuiteKey], { authorization: `Bearer ${uiToken}` })).status).toBe(401);
  });

  it("answers the Web UI's preflight with 204 and CORS headers, without a token; only for the UI's origins", async () => {
    const preflight = (origin: string) =>
      fetch(`${stack.baseUrl}/codec/decode`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,x-namespace' },
      });
    for (const origin of [UI_URL, UI_URL.replace('127.0.0.1', 'localhost')]) {
      const res = await preflight(origin);
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe(origin);
      expect(res.headers.get('access-control-allow-credentials')).toBe('true');
      expect(res.headers.get('access-control-allow-headers')?.toLowerCase().split(/,\s*/).sort()).toEqual(['authorization', 'content-type', 'x-namespace']);
      expect(res.headers.get('access-control-allow-methods')).toContain('POST');
      expect(res.headers.get('vary')).toContain('Origin');
    }
    const foreign = await preflight('http://evil.example');
    expect(foreign.status).toBe(204);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();

    const decoded = await codecCall('/codec/decode', [encryptedBySuiteKey], { authorization: `Bearer ${TOKENS.acme}`, origin: UI_URL });
    expect([decoded.status, decoded.headers.get('access-control-allow-origin')]).toEqual([200, UI_URL]);
  });

  it('names what is wrong in a 400: the body, or the payload that does not decode', async () => {
    const notBase64 = await codecCall('/codec/decode', [{ metadata: { encoding: 'not base64!' } }]);
    expect([notBase64.status, notBase64.body.error.details.map((d: { field: string }) => d.field)]).toEqual([400, ['payloads[0].metadata.encoding']]);
    const noPayloads = await codecCall('/codec/decode', undefined as never);
    expect([noPayloads.status, noPayloads.body.error.details[0].field]).toEqual([400, 'payloads']);

    const tampered = fromJsonPayload(encryptedBySuiteKey);
    const data = Buffer.from(tampered.data!);
    data[20] = data[20]! ^ 1;
    const refused = await codecCall('/codec/decode', [json('fine'), toJsonPayload({ ...tampered, data })]);
    expect(refused.status).toBe(400);
    expect(refused.body.error.details).toEqual([expect.objectContaining({ field: 'payloads[1]', message: expect.stringContaining("does not decrypt with key 'suite'") })]);
  });

  it('lets the Temporal CLI show a history in clear through it, which is encrypted without it', async () => {
    const created = await stack.api('POST', `${base}/clusters`, {
      body: { name: clusterName, provider: 'sim', nodePools: [{ name: 'plaintext-pool-marker', instanceType: 'standard-2', count: 1 }] },
    });
    expect(created.status).toBe(202);
    await eventually(async () => ((await stack.api('GET', `${base}/clusters/${clusterName}`)).body.status === 'RUNNING' ? true : undefined), 'RUNNING');
    // The history as the CLI prints it, payload data (base64) as text.
    const show = async (...codec: string[]) => {
      const out = await run(toolPaths().temporal, ['workflow', 'show', '--workflow-id', `cluster/acme/${clusterName}`, '--address', process.env.TEMPORAL_ADDRESS!, '--output', 'json', ...codec]);
      return payloadsIn(JSON.parse(out)).map(({ payload }) => jsonDataText(payload)).join('\n');
    };
    expect(await show()).not.toContain('plaintext-pool-marker');
    expect(await show('--codec-endpoint', `${stack.baseUrl}/codec`, '--codec-auth', `Bearer ${TOKENS.acme}`)).toContain('plaintext-pool-marker');
  });

  it('replays an encrypted history with the codec, and cannot without it', async () => {
    const history = await stack.client.workflow.getHandle(`cluster/acme/${clusterName}`).fetchHistory();
    const workflowBundle = { codePath: process.env.FLOTILLA_WORKFLOW_BUNDLE! };
    await Worker.runReplayHistory({ workflowBundle, dataConverter: flotillaDataConverter(testCodec()) }, history);
    await expect(Worker.runReplayHistory({ workflowBundle }, history)).rejects.toThrow();
  });
});

describe('key rotation', () => {
  // The suite runs with two keys, `previous` and `suite` (test/setup): the run before the rotation is
  // played with `previous` alone, so nothing is left encrypted under a key later suites lack.
  const [previous] = parseCodecKeys(process.env.FLOTILLA_CODEC_KEYS!);
  const rotated = 'codec-rotation';

  it('decodes what the old key encrypted once a new key is added, and encrypts with the new one from then on', async () => {
    expect(previous!.id).toBe('previous');
    await stack.stop();
    const before = new AesGcmCodec([previous!]);
    stack = await startStack({ providers: { sim: sim.activities() }, codec: before });
    const old = (await codecCall('/codec/encode', [json({ before: 'rotation' })])).body.payloads[0];
    expect(metadataText(fromJsonPayload(old), KEY_ID_METADATA)).toBe('previous');
    expect((await stack.api('POST', `${base}/clusters`, { body: { name: rotated, provider: 'sim', nodePools: [pool('first')] } })).status).toBe(202);
    await eventually(async () => ((await stack.api('GET', `${base}/clusters/${rotated}`)).body.status === 'RUNNING' ? true : undefined), 'RUNNING before');
    await stack.stop();

    stack = await startStack({ providers: { sim: sim.activities() } });
    expect((await codecCall('/codec/decode', [old])).body.payloads.map(valueOf)).toEqual([{ before: 'rotation' }]);
    const encoded = await codecCall('/codec/encode', [json('new')]);
    expect(metadataText(fromJsonPayload(encoded.body.payloads[0]), KEY_ID_METADATA)).toBe('suite');
    // The UI token follows the newest key.
    expect((await codecCall(`/codec/${before.uiToken()}/decode`, [old], {})).status).toBe(401);
    expect((await codecCall(`/codec/${testCodec().uiToken()}/decode`, [old], {})).status).toBe(200);

    // The cluster made under the old key lives on: its history is replayed by the new worker, and grows under the new key.
    expect((await stack.api('POST', `${base}/clusters/${rotated}/nodepools`, { body: pool('after-rotation') })).status).toBe(202);
    await eventually(async () => {
      const view = (await stack.api('GET', `${base}/clusters/${rotated}`)).body;
      return view.status === 'RUNNING' && view.nodePools.some((p: { name: string }) => p.name === 'after-rotation') ? true : undefined;
    }, 'pool added after the rotation');
    const history = await stack.client.workflow.getHandle(`cluster/acme/${rotated}`).fetchHistory();
    const keyIds = new Set(payloadsIn(historyJson(history)).map(({ payload }) => jsonMetadataText(payload, KEY_ID_METADATA)));
    expect([...keyIds].filter(Boolean).sort()).toEqual(['previous', 'suite']);
  });
});
