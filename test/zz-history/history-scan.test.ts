import { defaultPayloadConverter } from '@temporalio/common';
import { SimCloud } from '../../src/adapters/providers/sim/index.js';
import { toJsonPayload } from '../../src/api/routes/codec.js';
import { AesGcmCodec, newCodecKeyEntry, parseCodecKeys } from '../../src/temporal/codec.js';
import { MARKED_SECRETS, markedKubeconfig } from '../helpers/secret-markers.js';
import { eventually, startStack, TOKENS } from '../helpers/stack.js';
import { expectCleanHistories, HistoryChecker } from './scan.js';

// Runs after every other suite of its jest stage (test/setup/sequencer.mjs):
// the main suite, the chaos suite and the PostgreSQL stage each end with it.
// It reads every history the stage left on its Temporal, in clear and
// decrypted with the run's codec keys (test/zz-history/scan.ts).

const keys = () => parseCodecKeys(process.env.FLOTILLA_CODEC_KEYS!);

beforeAll(async () => {
  // A workload of its own, so the scan has something to read when it runs alone: a cluster whose org holds a marked secret.
  const stack = await startStack({ providers: { sim: new SimCloud({ latencyMs: 5 }).activities() } });
  try {
    const base = '/api/v1/orgs/acme';
    expect((await stack.api('POST', `${base}/secrets`, { body: { name: 'scan-aws', type: 'aws', values: MARKED_SECRETS.aws } })).status).toBe(201);
    expect((await stack.api('POST', `${base}/clusters`, { body: { name: 'history-scan', provider: 'sim', nodePools: [{ name: 'a', instanceType: 'standard-2', count: 1 }] } })).status).toBe(202);
    await eventually(async () => ((await stack.api('GET', `${base}/clusters/history-scan`)).body.status === 'RUNNING' ? true : undefined), 'RUNNING');
    expect((await stack.api('DELETE', `${base}/clusters/history-scan`)).status).toBe(202);
    await eventually(async () => ((await stack.api('GET', `${base}/clusters/history-scan`)).body.status === 'DELETED' ? true : undefined), 'DELETED');
  } finally {
    await stack.stop();
  }
});

it('finds no secret, in clear or decrypted, and no payload in clear in any history or schedule the stage left', async () => {
  const report = await expectCleanHistories(process.env.TEMPORAL_ADDRESS!);
  expect(report.types.get('clusterWorkflow')).toBeGreaterThan(0);
});

it('would notice a payload in clear, a secret in an encrypted payload, or a payload it cannot decrypt (the check itself, on a made-up history)', async () => {
  const clear = (text: string) => ({ metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from(text).toString('base64') });
  const encrypted = async (value: unknown, codec = new AesGcmCodec(keys())) => toJsonPayload((await codec.encode([defaultPayloadConverter.toPayload(value)]))[0]!);
  const checker = new HistoryChecker(keys());
  await checker.check('made-up', {
    events: [
      { workflowExecutionStartedEventAttributes: { input: { payloads: [clear(JSON.stringify('apiVersion: v1\nkind: Config\nusers: []'))] } } },
      { activityTaskFailedEventAttributes: { failure: { message: `401 for ${MARKED_SECRETS.azure.clientSecret}` } } },
      { workflowExecutionStartedEventAttributes: { header: { fields: { trace: clear(`{"token":"${TOKENS.acme}"}`) } } } },
      // What a regression passing a decrypted credential through a workflow would write: encrypted, so only the decrypted scan sees it.
      { activityTaskScheduledEventAttributes: { input: { payloads: [await encrypted({ ref: 'c', kubeconfig: markedKubeconfig() })] } } },
      { workflowExecutionCompletedEventAttributes: { result: { payloads: [await encrypted(MARKED_SECRETS.aws)] } } },
      { activityTaskCompletedEventAttributes: { result: { payloads: [await encrypted('x', new AesGcmCodec(parseCodecKeys(newCodecKeyEntry('elsewhere'))))] } } },
      { activityTaskCompletedEventAttributes: { result: { payloads: [await encrypted({ clusters: 1 })] } } },
    ],
  });
  expect(checker.findings.map((f) => `${f.where}: ${f.problem}`).sort()).toEqual([
    'made-up events.0.workflowExecutionStartedEventAttributes.input.payloads.0: payload in clear (json/plain)',
    'made-up events.3.activityTaskScheduledEventAttributes.input.payloads.0: decrypted, holds a kubeconfig',
    'made-up events.3.activityTaskScheduledEventAttributes.input.payloads.0: decrypted, holds client-key-data',
    'made-up events.3.activityTaskScheduledEventAttributes.input.payloads.0: decrypted, holds kubeconfigToken',
    'made-up events.4.workflowExecutionCompletedEventAttributes.result.payloads.0: decrypted, holds awsSecretAccessKey',
    'made-up events.4.workflowExecutionCompletedEventAttributes.result.payloads.0: decrypted, holds awsSessionToken',
    "made-up events.5.activityTaskCompletedEventAttributes.result.payloads.0: does not decrypt: no codec key 'elsewhere' is configured (FLOTILLA_CODEC_KEYS)",
    'made-up: holds a kubeconfig',
    'made-up: holds acme API token',
    'made-up: holds azureClientSecret',
  ]);
  expect([checker.payloads, checker.decrypted]).toEqual([6, 3]);
});
