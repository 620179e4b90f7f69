import proto from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as workflows from '../../src/workflows/index.js';
import { TRACING_PATCH } from '../../src/workflows/tracing-interceptors.js';
import { AesGcmCodec, ENCRYPTED_ENCODING, flotillaDataConverter, parseCodecKeys } from '../../src/temporal/codec.js';
import { REPLAY_CODEC_KEYS } from './codec-keys.js';
import { WorkerMetrics } from '../../src/observability/worker-metrics.js';
import { tracingSinks } from '../../src/observability/tracing.js';
import { jsonDataText, jsonMetadataText, payloadsIn } from '../helpers/codec.js';

// Recorded by scripts/record-histories.ts, each recording kept: the first
// ones in clear, from before the payload codec, the tracing patch and the
// deployment patches; later ones encrypted, traced, taking every patch.
// Two more by test/workflows/update-child-race.test.ts (clusterWorkflow--cluster_race_child-update--*):
// an update accepted in the same task as a child's completion, in a run whose
// SDK flag record was lost; the one from before the patch
// 'update-handlers-finish-before-main-loop' replays only thanks to the
// workaround in src/workflows/tracing-interceptors.ts.
// Replaying them all against the current workflow code fails on any change
// that is not deterministic for runs already under way, started by this
// release or an earlier one.
const dir = fileURLToPath(new URL('./histories/', import.meta.url));
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
const recorded = files.map((file) => {
  const json = JSON.parse(readFileSync(`${dir}${file}`, 'utf8'));
  const payloads = payloadsIn(json);
  // `patched()` markers: their patch-data payload is `{"id": ...}` in clear.
  const patches = payloads.filter(({ path }) => path.includes('.markerRecordedEventAttributes.details.patch-data.')).map(({ payload }) => JSON.parse(jsonDataText(payload)).id as string);
  // The Updates it accepted, by name (in clear: the name is not a payload).
  const updates: string[] = json.events.flatMap((e: any) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name ?? []);
  return { file, json, type: file.split('--')[0]!, encrypted: payloads.some(({ payload }) => jsonMetadataText(payload, 'encoding') === ENCRYPTED_ENCODING), patches, updates };
});

/** Every patch ID the workflows use: `patched('<id>')` in their sources, and the tracing interceptors' patch. */
const patchIds = [
  TRACING_PATCH,
  ...readdirSync(fileURLToPath(new URL('../../src/workflows/', import.meta.url))).flatMap((f) =>
    [...readFileSync(fileURLToPath(new URL(`../../src/workflows/${f}`, import.meta.url)), 'utf8').matchAll(/patched\('([^']+)'\)/g)].map((m) => m[1]!),
  ),
];

/** Workflow types written after the codec and the tracing patch: no run of theirs was ever in clear, so only the current generation exists. */
const BORN_ENCRYPTED = ['sizingWorkflow', 'profilesWorkflow', 'upgradeClusterWorkflow', 'kubernetesVersionsWorkflow'];

describe('replay of recorded histories', () => {
  it('covers every workflow type as recorded before the codec and the patches, and as the current code records it (encrypted, traced), and every patch', () => {
    const types = Object.keys(workflows).sort();
    const typesOf = (histories: typeof recorded) => [...new Set(histories.map((h) => h.type))].sort();
    expect(typesOf(recorded.filter((h) => !h.encrypted && !h.patches.includes(TRACING_PATCH)))).toEqual(types.filter((t) => !BORN_ENCRYPTED.includes(t)));
    expect(typesOf(recorded.filter((h) => h.encrypted && h.patches.includes(TRACING_PATCH)))).toEqual(types);
    expect(patchIds.length).toBeGreaterThan(1);
    expect([...new Set(recorded.flatMap((h) => h.patches))]).toEqual(expect.arrayContaining(patchIds));
  });

  it('covers each create by update-with-start: answered by the new entity, and again by the live one', () => {
    const answeredTwice = (type: string, update: string) => recorded.some((h) => h.type === type && h.updates.filter((u) => u === update).length >= 2);
    expect(answeredTwice('clusterWorkflow', 'createCluster')).toBe(true);
    expect(answeredTwice('deploymentWorkflow', 'createDeployment')).toBe(true);
  });

  it('replays every history against the current code without non-determinism', async () => {
    const histories = recorded.map(({ file, json }) => ({ workflowId: file, history: proto.temporal.api.history.v1.History.fromObject(json) }));
    const failures: string[] = [];
    const dataConverter = flotillaDataConverter(new AesGcmCodec(parseCodecKeys(REPLAY_CODEC_KEYS)));
    // The bundle the workers run (with the tracing interceptors) and the sinks they register.
    const sinks = { ...new WorkerMetrics().sinks(), ...tracingSinks(undefined) };
    let replayed = 0;
    for await (const result of Worker.runReplayHistories({ workflowBundle: { codePath: process.env.FLOTILLA_WORKFLOW_BUNDLE! }, sinks, dataConverter }, histories)) {
      replayed++;
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
    expect(replayed).toBe(files.length);
    // Hundreds of histories, each replayed from its first event: minutes on a loaded machine.
  }, 900_000);
});
