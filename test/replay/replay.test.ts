import proto from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as workflows from '../../src/workflows/index.js';
import { AesGcmCodec, flotillaDataConverter, parseCodecKeys } from '../../src/temporal/codec.js';
import { REPLAY_CODEC_KEYS } from './codec-keys.js';
import { WorkerMetrics } from '../../src/observability/worker-metrics.js';
import { tracingSinks } from '../../src/observability/tracing.js';

// Recorded by scripts/record-histories.ts. Replaying them against the current
// workflow code fails on any change that is not deterministic for runs that
// are already under way.
const dir = fileURLToPath(new URL('./histories/', import.meta.url));
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

describe('replay of recorded histories', () => {
  it('covers every workflow type', () => {
    const types = new Set(files.map((f) => f.split('--')[0]));
    expect([...types].sort()).toEqual(Object.keys(workflows).sort());
  });

  it('replays every history against the current code without non-determinism', async () => {
    const histories = files.map((file) => ({
      workflowId: file,
      history: proto.temporal.api.history.v1.History.fromObject(JSON.parse(readFileSync(`${dir}${file}`, 'utf8'))),
    }));
    const failures: string[] = [];
    const dataConverter = flotillaDataConverter(new AesGcmCodec(parseCodecKeys(REPLAY_CODEC_KEYS)));
    // The bundle the workers run (with the tracing interceptors) and the sinks they register.
    const sinks = { ...new WorkerMetrics().sinks(), ...tracingSinks(undefined) };
    for await (const result of Worker.runReplayHistories({ workflowBundle: { codePath: process.env.FLOTILLA_WORKFLOW_BUNDLE! }, sinks, dataConverter }, histories)) {
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
    expect(histories.length).toBeGreaterThanOrEqual(15);
  });
});
