import { fileURLToPath } from 'node:url';
import { SimCloud } from '../../src/adapters/providers/sim/index.js';
import type { DeploymentState } from '../../src/domain/groups.js';
import { deploymentWorkflowId } from '../../src/domain/ids.js';
import { deploymentStateQuery } from '../../src/workflows/messages.js';
import { runCli, type CliRun } from '../helpers/cli.js';
import { FakeHelm } from '../helpers/fake-helm.js';
import { eventually, startStack, TOKENS, type Stack } from '../helpers/stack.js';

// The fleet commands with the real binary against the API and workers: sim clusters labelled with
// `cluster label`, a selector group, a provider profile, and a deployment with templated values
// rolled out in two waves behind a manual approval (`deploy rollout approve`). Helm is faked behind
// the real helm activities (test/kwok/rollouts.test.ts runs the real helm on KWOK).
const ORG = 'cli';
const base = `/api/v1/orgs/${ORG}`;
const chart = fileURLToPath(new URL('../fixtures/charts/hello', import.meta.url));
const clusters = { 'cf-east': 'z1', 'cf-west': 'z2' };
const names = Object.keys(clusters);
const release = { name: 'cf-web', namespace: 'apps' };
const helm = new FakeHelm();
let stack: Stack;
let env: Record<string, string>;

async function ok(args: string[]): Promise<CliRun> {
  const run = await runCli(args, env);
  expect([args.join(' '), run.code, run.code === 0 ? '' : run.stderr]).toEqual([args.join(' '), 0, '']);
  return run;
}

const deploymentState = (): Promise<DeploymentState> => stack.client.workflow.getHandle(deploymentWorkflowId(ORG, 'cf-gold', release.name)).query(deploymentStateQuery);

beforeAll(async () => {
  stack = await startStack({ providers: { sim: new SimCloud({ latencyMs: 5 }).activities() }, fleet: helm.kubeconfigs('sim'), helm: helm.adapter() });
  env = { FLOTILLA_CONFIG: '/nonexistent/flotilla-config.json', FLOTILLA_URL: stack.baseUrl, FLOTILLA_TOKEN: TOKENS.cli };
  for (const name of names) await ok(['cluster', 'create', name, '--provider', 'sim', '--nodepool', 'pool=standard-2:1', '--no-wait']);
  for (const name of names) {
    await eventually(async () => ((await stack.api('GET', `${base}/clusters/${name}`, { token: TOKENS.cli })).body.status === 'RUNNING' ? true : undefined), `${name} RUNNING`);
  }
});
afterAll(async () => {
  await stack?.api('DELETE', `${base}/clustergroups/cf-gold?force=true`, { token: TOKENS.cli });
  await stack?.api('DELETE', `${base}/profiles/cf-lb`, { token: TOKENS.cli });
  for (const name of names) await stack?.api('DELETE', `${base}/clusters/${name}?force=true`, { token: TOKENS.cli });
  await stack?.stop();
});

it('labels clusters, groups them by selector, and lists them by selector', async () => {
  for (const [name, zone] of Object.entries(clusters)) await ok(['cluster', 'label', name, 'tier=gold', `zone=${zone}`]);
  expect((await ok(['cluster', 'list', '-l', 'tier=gold,zone in (z1,z2)', '-o', 'name'])).stdout.split('\n').filter(Boolean).sort()).toEqual(names);
  await ok(['group', 'create', 'cf-gold', '--selector', 'tier=gold']);
  await eventually(async () => {
    const group = (await stack.api('GET', `${base}/clustergroups/cf-gold`, { token: TOKENS.cli })).body;
    return [...group.members].sort().join() === names.join() ? true : undefined;
  }, 'both labelled clusters members of cf-gold');
});

it('makes a provider profile, then rolls a templated release out in two waves behind a manual approval', async () => {
  await ok(['profile', 'create', 'cf-lb', '--provider', 'sim', '--lb-annotation', 'lb.example.com/internal=true']);
  expect(JSON.parse((await ok(['profile', 'get', 'cf-lb', '-o', 'json'])).stdout)).toMatchObject({ name: 'cf-lb', provider: 'sim', version: 1 });

  await ok([
    'deploy', 'create', 'cf-gold', chart, '--release', release.name, '-n', release.namespace,
    '--set', 'message=served by ${cluster.name} in ${cluster.labels.zone}',
    '--wave', 'cf-east', '--wave', 'cf-west', '--approval', 'manual', '--no-wait',
  ]);
  // Wave 1 runs; wave 2 waits for the approval, untouched until then.
  const waiting = await eventually(async () => {
    const s = await deploymentState();
    return s.operations.find((op) => op.rollout?.awaitingApproval) ? s : undefined;
  }, 'the rollout waiting for approval');
  expect(statusesOf(waiting)).toEqual({ 'cf-east': 'DEPLOYED' });
  expect(helm.release('cf-west', release)).toBeUndefined();

  await ok(['deploy', 'rollout', 'approve', 'cf-gold', release.name]);
  const done = await eventually(async () => {
    const s = await deploymentState();
    return s.operations.every((op) => op.state === 'SUCCEEDED') && s.status === 'DEPLOYED' ? s : undefined;
  }, 'the rollout finished');
  expect(statusesOf(done)).toEqual({ 'cf-east': 'DEPLOYED', 'cf-west': 'DEPLOYED' });

  // Each target's values templated with its own name and label; the profile's rule went to helm's post-renderer.
  for (const [name, zone] of Object.entries(clusters)) {
    expect(helm.release(name, release)?.values).toEqual({ message: `served by ${name} in ${zone}` });
    expect(JSON.stringify(helm.postRendered.get(name))).toContain('lb.example.com/internal');
  }
  const shown = await ok(['deploy', 'get', 'cf-gold', release.name, '-o', 'json']);
  expect(JSON.parse(shown.stdout)).toMatchObject({ releaseName: release.name, status: 'DEPLOYED' });

  // A second approve has nothing to approve: the API's 409, the CLI's non-zero exit.
  const again = await runCli(['deploy', 'rollout', 'approve', 'cf-gold', release.name], env);
  expect(again.code).not.toBe(0);
  expect(again.stderr).toMatch(/rollout/);
});

function statusesOf(state: DeploymentState): Record<string, string> {
  return Object.fromEntries(Object.values(state.results).map((r) => [r.clusterName, r.status]));
}
