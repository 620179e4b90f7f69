import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { Client, Connection } from '@temporalio/client';
import { spawn, type ChildProcess } from 'node:child_process';
import { defaultPayloadConverter } from '@temporalio/common';
import { appendFileSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { flotillaDataConverter, KEY_ID_METADATA, newCodecKeyEntry, openCodec } from '../../src/temporal/codec.js';
import { historyJson, jsonMetadataText, payloadsIn } from '../helpers/codec.js';
import { toJsonPayload } from '../../src/api/routes/codec.js';
import { eventually } from '../helpers/stack.js';
import { freePort } from '../helpers/ports.js';
import { parseMetrics, valueOf } from '../helpers/metrics.js';
import { expectCleanNpmStartHistories } from '../zz-history/scan.js';
import { leftovers, processes } from '../helpers/processes.js';

// The embedded default as a newcomer runs it: `npm start`, in a process group
// of its own as at a terminal, stopped with Ctrl-C (SIGINT to the whole group:
// npm, tsx, node, the dev server, kwokctl runs) and started again on the same data.
const repo = fileURLToPath(new URL('../..', import.meta.url));
const dataDir = mkdtempSync(join(process.env.FLOTILLA_TEST_DIR!, 'start-'));
let ports: { api: number; temporal: number; ui: number };
let child: ChildProcess | undefined;
/** Every start's process group: what afterAll kills if a test failed. */
const groups: number[] = [];
let exited: Promise<number | null>;
let output = '';

/**
 * `npm start`; or, where a test looks at how Flotilla itself stops, its
 * script's node process alone (`node --import tsx src/main.ts`, as the image
 * runs its entry points): under npm, tsx SIGKILLs its child when the child's
 * event loop gets to a signal late, and the watchdog then stops the control
 * planes instead.
 */
function start(options: { npm: boolean; env?: NodeJS.ProcessEnv }): Promise<void> {
  output = '';
  const [command, ...args] = options.npm ? ['npm', 'start'] : [join(repo, 'node_modules', '.bin', 'node'), '--import', 'tsx', 'src/main.ts'];
  child = spawn(command!, args, {
    cwd: repo,
    detached: true,
    env: {
      ...process.env,
      ...options.env,
      TEMPORAL_ADDRESS: '',
      FLOTILLA_CODEC_KEYS: '',
      FLOTILLA_DATA_DIR: dataDir,
      PORT: String(ports.api),
      TEMPORAL_PORT: String(ports.temporal),
      TEMPORAL_UI_PORT: String(ports.ui),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  groups.push(child.pid!);
  exited = new Promise((resolve) => child!.once('exit', (code) => resolve(code)));
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  // What it printed so far goes with a failure (the message is built when it fails, not when the wait began).
  return eventually(async () => (output.includes('Flotilla is up.') ? true : undefined), 'npm start to come up', 120_000).then(
    () => undefined,
    (error: Error) => {
      throw new Error(`${error.message}\n--- its output ---\n${output}`);
    },
  );
}

/** A Ctrl-C at the terminal. */
const ctrlC = () => process.kill(-child!.pid!, 'SIGINT');

/** Waits for the exit, asserts that nothing started is left (no process of the group, none under the data directory), returns the exit code. */
async function nothingLeft(): Promise<number | null> {
  const code = await exited;
  // Processes killed at the end may take a moment to go.
  await eventually(async () => (leftovers(child!.pid!, dataDir).length === 0 ? true : undefined), 'no process left', 10_000).catch(() => undefined);
  expect(leftovers(child!.pid!, dataDir)).toEqual([]);
  return code;
}

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any; text: string }> {
  const token = readFileSync(join(dataDir, 'api-token'), 'utf8').trim();
  const res = await fetch(`http://127.0.0.1:${ports.api}/api/v1/orgs/default${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, text, body: text.startsWith('{') ? JSON.parse(text) : text };
}

const running = () =>
  eventually(async () => {
    const res = await api('GET', '/clusters/first');
    return res.body.status === 'RUNNING' && !res.body.operation ? res.body : undefined;
  }, 'cluster RUNNING', 120_000);

beforeAll(async () => {
  ports = { api: await freePort(), temporal: await freePort(), ui: await freePort() };
});
afterAll(() => {
  // After a failure: nothing may outlive the test.
  for (const pgid of groups) for (const p of leftovers(pgid, dataDir)) process.kill(p.pid, 'SIGKILL');
});

describe('npm start', () => {
  it('comes up with the dev server, Web UI, worker and API, printing where they are and a token', async () => {
    await start({ npm: true });
    const token = readFileSync(join(dataDir, 'api-token'), 'utf8').trim();
    expect(output).toContain(`API:     http://127.0.0.1:${ports.api}/api/v1/orgs/default`);
    expect(output).toContain(`Web UI:  http://127.0.0.1:${ports.ui}`);
    expect(output).toContain(`Token:   ${token}`);
    const ui = await fetch(`http://127.0.0.1:${ports.ui}/`);
    expect(ui.status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${ports.api}/readyz`)).status).toBe(200);
    // The reconcile schedule, made at worker start, at the default interval.
    const connection = await Connection.connect({ address: `127.0.0.1:${ports.temporal}` });
    const codec = openCodec(dataDir);
    const schedule = await new Client({ connection, dataConverter: flotillaDataConverter(codec) }).schedule.getHandle('flotilla-reconcile').describe();
    expect(schedule.spec.intervals?.[0]?.every).toBe(5 * 60_000);
    await connection.close();
  });

  it('encrypts payloads with a key it made in the data directory, and points the Web UI at its codec endpoint', async () => {
    expect(statSync(join(dataDir, 'codec-keys')).mode & 0o777).toBe(0o600);
    const settings = (await (await fetch(`http://127.0.0.1:${ports.ui}/api/v1/settings`)).json()) as { Codec: { Endpoint: string } };
    const endpoint: string = settings.Codec.Endpoint;
    expect(endpoint).toBe(`http://127.0.0.1:${ports.api}/codec/${openCodec(dataDir).uiToken()}`);
    // What the UI does: a preflight, then a decode with its origin and namespace header, no Authorization.
    const origin = `http://127.0.0.1:${ports.ui}`;
    const preflight = await fetch(`${endpoint}/decode`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' },
    });
    expect([preflight.status, preflight.headers.get('access-control-allow-origin')]).toEqual([204, origin]);
    const [encrypted] = await openCodec(dataDir).encode([defaultPayloadConverter.toPayload({ hello: 'ui' })]);
    const decoded = await fetch(`${endpoint}/decode`, {
      method: 'POST',
      headers: { origin, 'content-type': 'application/json', 'x-namespace': 'default' },
      body: JSON.stringify({ payloads: [toJsonPayload(encrypted!)] }),
    });
    const body = (await decoded.json()) as { payloads: { data: string }[] };
    expect(JSON.parse(Buffer.from(body.payloads[0].data, 'base64').toString())).toEqual({ hello: 'ui' });
  });

  it('creates a KWOK cluster, then stops everything cleanly on Ctrl-C, the control plane too', async () => {
    const created = await api('POST', '/clusters', { name: 'first', provider: 'kwok', nodePools: [{ name: 'pool', instanceType: 'standard-2', count: 2 }] });
    expect(created.status).toBe(202);
    await running();
    // One GET /metrics for the one process: the API's series and its worker's.
    // (Clusters by status come from Temporal's visibility store, which may trail a moment behind.)
    const metrics = await eventually(async () => {
      const samples = parseMetrics(await (await fetch(`http://127.0.0.1:${ports.api}/metrics`)).text());
      return valueOf(samples, 'flotilla_clusters', { status: 'RUNNING' }) === 1 ? samples : undefined;
    }, 'one RUNNING cluster in /metrics');
    expect(valueOf(metrics, 'flotilla_operations_total', { provider: 'kwok', type: 'provision', outcome: 'succeeded' })).toBe(1);
    expect(valueOf(metrics, 'flotilla_workflows_started_total', { workflow_type: 'clusterWorkflow' })).toBe(1);
    const clusters = join(dataDir, 'kwok', 'clusters');
    const controlPlane = processes().filter((p) => p.args[0]?.startsWith(clusters)).map((p) => p.args[0]!.split('/').pop()).sort();
    expect(controlPlane).toEqual(['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok-controller']);
    ctrlC();
    await nothingLeft();
    await expect(fetch(`http://127.0.0.1:${ports.api}/healthz`)).rejects.toBeDefined();
  });

  it('finds the earlier state on a second start, with the control plane answering again', async () => {
    // A codec key rotation between the two runs: the old key still decrypts what it encrypted, the new one encrypts.
    appendFileSync(join(dataDir, 'codec-keys'), `${newCodecKeyEntry('k2')}\n`);
    // Each step of a sim cluster takes long: the next test needs one in flight.
    await start({ npm: false, env: { FLOTILLA_SIM_LATENCY_MS: '60000' } });
    expect(output).toMatch(/starting KWOK control plane first-/);
    const list = await api('GET', '/clusters');
    expect(list.body.items.map((c: any) => [c.name, c.status])).toEqual([['first', 'RUNNING']]);
    const kubeconfig = await api('GET', '/clusters/first/kubeconfig');
    const config = new KubeConfig();
    config.loadFromString(kubeconfig.text);
    const nodes = await config.makeApiClient(CoreV1Api).listNode();
    expect(nodes.items.map((n) => n.metadata!.name).sort()).toEqual(['pool-0', 'pool-1']);
  });

  it('exits at once on a second Ctrl-C while stopping, still leaving nothing running', async () => {
    // Stopping waits for an activity in flight, for the shutdown grace time: the second Ctrl-C comes meanwhile.
    const slow = await api('POST', '/clusters', { name: 'slow', provider: 'sim', nodePools: [{ name: 'pool', instanceType: 'standard-2', count: 1 }] });
    expect(slow.status).toBe(202);
    await eventually(async () => ((await api('GET', '/clusters/slow')).body.operation?.currentStep ? true : undefined), 'a sim step in flight');
    ctrlC();
    await eventually(async () => (output.includes('[flotilla] stopping KWOK control planes') ? true : undefined), 'stopping');
    // Past the half second in which a SIGINT again is taken for the same Ctrl-C (tsx may pass it on twice).
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    ctrlC();
    expect(await nothingLeft()).toBe(130);
    expect(output).toContain('[flotilla] stopping now (SIGINT again)');
    expect(output).not.toContain('[flotilla] stopped');
  });

  it('deletes the cluster after a third start, encrypting with the rotated key, then stops cleanly', async () => {
    await start({ npm: false });
    expect((await api('DELETE', '/clusters/first')).status).toBe(202);
    await eventually(async () => ((await api('GET', '/clusters/first')).body.status === 'DELETED' ? true : undefined), 'DELETED', 120_000);
    const connection = await Connection.connect({ address: `127.0.0.1:${ports.temporal}` });
    const history = await new Client({ connection }).workflow.getHandle('cluster/default/first').fetchHistory();
    await connection.close();
    const keyIds = new Set(payloadsIn(historyJson(history)).map(({ payload }) => jsonMetadataText(payload, KEY_ID_METADATA)));
    expect([...keyIds].filter(Boolean).sort()).toEqual(['k1', 'k2']);
    await expectCleanNpmStartHistories(`127.0.0.1:${ports.temporal}`, dataDir);
    ctrlC();
    expect(await nothingLeft()).toBe(0);
    expect(output).toContain('[flotilla] stopping KWOK control planes');
    expect(output).toContain('[flotilla] stopped');
  });
});
