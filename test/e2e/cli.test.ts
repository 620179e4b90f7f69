import { mkdtempSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { KwokProvider } from '../../src/adapters/providers/kwok/index.js';
import { SimCloud } from '../../src/adapters/providers/sim/index.js';
import { toolPaths } from '../../src/toolchain.js';
import { freePort } from '../helpers/ports.js';
import { runCli, type CliRun } from '../helpers/cli.js';
import { eventually, startStack, testHelm, TOKENS, type Stack } from '../helpers/stack.js';

// The real `flotilla` binary as a child process, against the whole stack in this
// process: sim clusters for the cluster commands (and fault injection), one
// real KWOK cluster and the real helm for kubeconfig, groups and deployments.
const chart = fileURLToPath(new URL('../fixtures/charts/hello', import.meta.url));
const sim = new SimCloud({ latencyMs: 200 });
const kwok = new KwokProvider(toolPaths(), join(process.env.FLOTILLA_TEST_DIR!, 'kwok-cli'));
const dir = mkdtempSync(join(process.env.FLOTILLA_TEST_DIR!, 'cli-'));
const config = join(dir, 'flotilla', 'config.json');
const created: string[] = [];
let stack: Stack;

type Run = CliRun;

const flotilla = (args: string[], env: Record<string, string> = {}): Promise<Run> => runCli(args, { FLOTILLA_CONFIG: config, ...env });

/** Runs the CLI and expects success, showing its stderr when it fails. */
async function ok(args: string[]): Promise<Run> {
  const run = await flotilla(args);
  // stderr only when it failed: it says why.
  expect([args.join(' '), run.code, run.code === 0 ? '' : run.stderr]).toEqual([args.join(' '), 0, '']);
  return run;
}

const json = (run: Run) => JSON.parse(run.stdout);
const noStackTrace = (run: Run) => expect(run.stderr).not.toMatch(/^\s+at /m);

beforeAll(async () => {
  stack = await startStack({
    providers: { sim: sim.activities(), kwok: kwok.activities() },
    kubeconfigs: { kwok: (ref) => kwok.kubeconfig(ref) },
    fleet: { kwok: (ref) => kwok.kubeconfig(ref) },
  });
});
afterAll(async () => {
  // Other suites share the dev server: leave no cluster behind, waiting at most two minutes in all
  // so that the stack (whose workers poll the shared task queues) is always stopped.
  const token = TOKENS.cli;
  for (const name of created) await stack?.api('DELETE', `/api/v1/orgs/cli/clusters/${name}?force=true`, { token });
  await Promise.all(
    created.map((name) =>
      eventually(async () => ((await stack.api('GET', `/api/v1/orgs/cli/clusters/${name}`, { token })).body.status === 'DELETED' ? true : undefined), `${name} DELETED`, 120_000).catch(() => undefined),
    ),
  );
  await stack?.stop();
  for (const name of await kwok.kwokctl.list().catch(() => [])) await kwok.kwokctl.delete(name).catch(() => undefined);
});

describe('flotilla login', () => {
  it('checks the token, infers its org and saves the config readable by its owner only', async () => {
    const run = await ok(['login', '--url', stack.baseUrl, '--token', TOKENS.cli]);
    expect(run.stdout).toContain("organization 'cli'");
    expect(statSync(config).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(config, 'utf8'))).toEqual({ currentContext: 'default', contexts: { default: { url: stack.baseUrl, token: TOKENS.cli, org: 'cli' } } });
  });

  it('refuses a wrong token or another org with exit 3, saving nothing', async () => {
    const other = join(dir, 'other.json');
    const bad = await flotilla(['login', '--url', stack.baseUrl, '--token', 'wrong'], { FLOTILLA_CONFIG: other });
    expect([bad.code, bad.stderr]).toEqual([3, expect.stringMatching(/^error: a valid bearer token is required.*\(HTTP 401 unauthorized\)\n$/)]);
    const org = await flotilla(['login', '--url', stack.baseUrl, '--token', TOKENS.cli, '--org', 'globex'], { FLOTILLA_CONFIG: other });
    expect([org.code, org.stderr]).toEqual([3, "error: the token belongs to organization 'cli', not 'globex'\n"]);
    expect(() => statSync(other)).toThrow();
  });
});

describe('clusters', () => {
  it('creates a cluster from --nodepool flags, showing progress, the outcome and the Web UI link', async () => {
    created.push('one');
    const run = await ok(['cluster', 'create', 'one', '--provider', 'sim', '--nodepool', 'web=standard-2:2:1-4', '--nodepool', 'batch=standard-4:1']);
    const lines = run.stderr.trim().split('\n');
    // Not a terminal: a line per change, with steps done out of the plan's 5.
    expect(lines.filter((l) => /^provision one: \d\/5 steps/.test(l))).toContain('provision one: 5/5 steps');
    expect(lines).toContain('SUCCEEDED: provision one (5 steps)');
    expect(lines.at(-1)).toBe('Temporal Web UI: http://127.0.0.1:8233/namespaces/default/workflows/cluster%2Fcli%2Fone%2Fprovision');
    expect(run.stdout).toMatch(/^Status:\s+RUNNING$/m);
    expect(run.stdout).toMatch(/^web\s+standard-2\s+1\.35\s+2\/2\s+1-4/m);
    expect(sim.resources({ org: 'cli', name: 'one' })).toEqual({ networks: 1, controlPlanes: 1, nodePools: 2 });
  });

  it('creates a cluster from a YAML spec (-f), printing JSON', async () => {
    const file = join(dir, 'cluster.yaml');
    writeFileSync(
      file,
      YAML.stringify({
        name: 'two',
        provider: 'sim',
        region: 'sim-2',
        nodePools: [{ name: 'gpu', instanceType: 'gpu-8', count: 1, labels: { accelerator: 'a100' }, taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }],
      }),
    );
    created.push('two');
    const cluster = json(await ok(['cluster', 'create', '-f', file, '-o', 'json']));
    expect(cluster).toMatchObject({ name: 'two', region: 'sim-2', status: 'RUNNING' });
    expect(cluster.nodePools[0]).toMatchObject({ name: 'gpu', labels: { accelerator: 'a100' }, taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }], currentCount: 1 });
  });

  it('returns at once with --no-wait; operation get follows the operation and shows its steps', async () => {
    created.push('three');
    const accepted = json(await ok(['cluster', 'create', 'three', '--provider', 'sim', '--nodepool', 'web=standard-2:1', '--no-wait', '-o', 'json']));
    expect(accepted).toMatchObject({ operationId: 'cluster.three.1', status: 'CREATING' });
    const run = await ok(['operation', 'get', 'cluster.three.1', '--wait', '-o', 'yaml']);
    const op = YAML.parse(run.stdout);
    expect(op).toMatchObject({ id: 'cluster.three.1', type: 'provision', state: 'SUCCEEDED', totalSteps: 4 });
    expect(op.steps.map((s: any) => s.state)).toEqual(['DONE', 'DONE', 'DONE', 'DONE']);
    expect(run.stderr).toContain('SUCCEEDED: provision three (4 steps)');
    const table = (await ok(['operation', 'get', 'cluster.three.1'])).stdout;
    expect(table).toMatch(/^STEP\s+STATE/m);
    expect(table).toMatch(/^create node pool web\s+DONE/m);
  });

  it('lists and gets clusters as a table, JSON and YAML', async () => {
    const table = (await ok(['cluster', 'list'])).stdout.split('\n');
    expect(table[0]).toMatch(/^NAME\s+PROVIDER\s+REGION\s+STATUS\s+POOLS\s+NODES\s+OPERATION$/);
    expect(table).toEqual(expect.arrayContaining([expect.stringMatching(/^one\s+sim\s+sim-1\s+RUNNING\s+2\s+3\/3\s+-$/)]));
    const listed = json(await ok(['cluster', 'list', '--provider', 'sim', '-o', 'json']));
    expect(listed.map((c: any) => c.name)).toEqual(expect.arrayContaining(['one', 'two', 'three']));
    const yaml = YAML.parse((await ok(['cluster', 'get', 'two', '-o', 'yaml'])).stdout);
    expect(yaml).toMatchObject({ name: 'two', provider: 'sim', status: 'RUNNING' });
    // --org after the subcommand, as a global option.
    const other = await flotilla(['cluster', 'get', 'two', '--org', 'globex']);
    expect(other.code).toBe(3);
  });

  it('adds, scales and removes node pools', async () => {
    const added = await ok(['nodepool', 'add', 'one', 'gpu=gpu-8:1', '--label', 'accelerator=a100', '--taint', 'dedicated=gpu:NoSchedule', '-o', 'json']);
    expect(added.stderr).toContain('SUCCEEDED: addNodePool one (1 steps)');
    expect(json(added).nodePools.find((p: any) => p.name === 'gpu')).toMatchObject({ currentCount: 1, labels: { accelerator: 'a100' }, taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] });
    expect(sim.resources({ org: 'cli', name: 'one' }).nodePools).toBe(3);
    // The current count is what the cloud answered for the pool.
    const scaled = await ok(['nodepool', 'scale', 'one', 'web', '3', '--max', '5', '-o', 'json']);
    expect(json(scaled).nodePools.find((p: any) => p.name === 'web')).toMatchObject({ desiredCount: 3, currentCount: 3, minCount: 1, maxCount: 5 });
    await ok(['nodepool', 'remove', 'one', 'gpu', '--wait']);
    expect(sim.resources({ org: 'cli', name: 'one' }).nodePools).toBe(2);
    const pools = (await ok(['nodepool', 'list', 'one'])).stdout;
    expect(pools).toMatch(/^POOL\s+TYPE\s+VERSION\s+NODES/);
    expect(pools).not.toContain('gpu');
  });

  it('fails with exit 4 when provisioning fails, ending with the outcome and the Web UI link', async () => {
    created.push('broken');
    sim.inject('createControlPlane', { kind: 'reject', message: 'InvalidParameterException: unsupported Kubernetes version (simulated)' });
    try {
      const run = await flotilla(['cluster', 'create', 'broken', '--provider', 'sim', '--nodepool', 'web=standard-2:1']);
      expect(run.code).toBe(4);
      const lines = run.stderr.trim().split('\n');
      expect(lines.at(-2)).toBe('FAILED: provision broken: create control plane failed: InvalidParameterException: unsupported Kubernetes version (simulated)');
      expect(lines.at(-1)).toMatch(/^Temporal Web UI: http:\/\/127\.0\.0\.1:8233\/namespaces\/default\/workflows\/cluster%2Fcli%2Fbroken%2Fprovision$/);
      noStackTrace(run);
    } finally {
      sim.clear();
    }
    expect(json(await ok(['cluster', 'get', 'broken', '-o', 'json'])).status).toBe('ERROR');
    const deleted = await ok(['cluster', 'delete', 'broken', '--force']);
    expect(deleted.stderr).toContain('SUCCEEDED: delete broken');
    expect(json(await ok(['cluster', 'list', '--status', 'DELETED', '-o', 'json'])).map((c: any) => c.name)).toContain('broken');
  });

  it('deletes a cluster and follows the deletion', async () => {
    const run = await ok(['cluster', 'delete', 'three']);
    expect(run.stderr).toContain('SUCCEEDED: delete three (3 steps)');
    expect(sim.resources({ org: 'cli', name: 'three' })).toEqual({ networks: 0, controlPlanes: 0, nodePools: 0 });
  });
});

describe('economics', () => {
  it('recommends layouts on each cloud, cheapest first, spot where its price is known', async () => {
    const table = (await ok(['recommend', '--cpu', '16', '--memory', '64', '--provider', 'aws,gcp,azure', '--spot', '0.5', '--limit', '3'])).stdout.split('\n');
    expect(table[0]).toMatch(/^PROVIDER\s+REGION\s+\$\/HOUR\s+\$\/MONTH\s+NODES\s+POOLS\s+OPTIMAL$/);
    const layouts = json(await ok(['recommend', '--cpu', '16', '--memory', '64', '--provider', 'aws,gcp,azure', '--spot', '0.5', '--limit', '3', '-o', 'json']));
    expect(new Set(layouts.map((l: any) => l.provider))).toEqual(new Set(['eks', 'gke', 'aks']));
    expect(layouts.slice(0, 3).map((l: any) => l.hourly)).toEqual([...layouts.slice(0, 3).map((l: any) => l.hourly)].sort((a, b) => a - b));
    const [best] = layouts;
    expect(table[1]).toMatch(new RegExp(`^${best.provider}\\s+${best.region}\\s+\\$${best.hourly.toFixed(4)}\\s+\\$${best.monthly.toFixed(2)}\\s`));
    expect(layouts.find((l: any) => l.provider === 'gke').nodePools.some((p: any) => p.spot)).toBe(true);
    const bad = await flotilla(['recommend', '--cpu', '16', '--memory', '64', '--provider', 'ibm']);
    expect([bad.code, bad.stderr.trim().split('\n')]).toEqual([2, [expect.stringContaining("'ibm' is not a cloud")]]);
    const refused = await flotilla(['recommend', '--cpu', '16', '--memory', '64', '--spot', '2']);
    expect([refused.code, refused.stderr]).toEqual([3, expect.stringMatching(/spotShare/)]);
  });

  it("sizes a chart's pods with a values file and --set, and an existing deployment's", async () => {
    const sized = fileURLToPath(new URL('../fixtures/charts/sized', import.meta.url));
    const values = join(dir, 'sized-values.yaml');
    writeFileSync(values, 'web:\n  replicas: 4\n');
    const where = ['--provider', 'gcp', '--region', 'us-central1'];
    const answer = json(await ok(['recommend', '--chart', sized, '-f', values, '--set', 'db.replicas=1', ...where, '-o', 'json']));
    // 4 web pods of 0.75 vCPU and 1.25 GiB, one db pod of 3 vCPU and 4 GiB; the DaemonSet's 1 vCPU and 2 GiB on every node.
    expect(answer.workload).toMatchObject({ pods: { cpu: 6, memoryGiB: 9 }, perNode: { cpu: 1, memoryGiB: 2 } });
    expect(answer.items[0]).toMatchObject({ provider: 'gke', region: 'us-central1' });
    const text = (await ok(['recommend', '--chart', sized, '-f', values, ...where])).stdout;
    // Without the --set: both db pods.
    expect(text).toMatch(/^sized for: pods 9 vCPU, 13 GiB; on every node 1 vCPU, 2 GiB; largest pod 3 vCPU, 4 GiB$/m);
    expect(text).toMatch(/^workloads: .*DaemonSet\/sizing-agent \(every node\)/m);

    const token = TOKENS.cli;
    expect((await stack.api('POST', '/api/v1/orgs/cli/clustergroups', { token, body: { name: 'sizing', members: [] } })).status).toBe(201);
    const created = await stack.api('POST', '/api/v1/orgs/cli/clustergroups/sizing/deployments', { token, body: { releaseName: 'shop', chart: sized, values: { web: { replicas: 2 } } } });
    expect(created.status).toBe(202);
    const deployed = json(await ok(['recommend', '--deployment', 'sizing/shop', ...where, '-o', 'json']));
    expect(deployed.workload.pods).toMatchObject({ cpu: 2 * 0.75 + 6, memoryGiB: 2 * 1.25 + 8 });

    const twice = await flotilla(['recommend', '--chart', sized, '--cpu', '4']);
    expect([twice.code, twice.stderr]).toEqual([2, expect.stringContaining('give --cpu and --memory, or --chart, or --deployment')]);
    const badName = await flotilla(['recommend', '--deployment', 'shop']);
    expect([badName.code, badName.stderr]).toEqual([2, expect.stringContaining("'shop' is not GROUP/RELEASE")]);
    const missing = await flotilla(['recommend', '--deployment', 'sizing/nope']);
    expect([missing.code, missing.stderr]).toEqual([3, expect.stringContaining('HTTP 404')]);
    const outside = await flotilla(['recommend', '--chart', '/etc']);
    expect([outside.code, outside.stderr]).toEqual([3, expect.stringMatching(/chart/)]);
    expect((await stack.api('DELETE', '/api/v1/orgs/cli/clustergroups/sizing?force=true', { token })).status).toBe(202);
  });

  it("shows a flavored local cluster's cost, and costs in cluster list -o wide", async () => {
    created.push('priced');
    await ok(['cluster', 'create', 'priced', '--provider', 'sim', '--flavor', 'gcp', '--region', 'us-central1', '--nodepool', 'web=n2-standard-4:3', '--nodepool', 'local=standard-2:1']);
    const cost = json(await ok(['cluster', 'cost', 'priced', '-o', 'json']));
    expect(cost).toMatchObject({ currency: 'USD', region: 'us-central1', unpriced: ['local'] });
    expect(cost.hourly).toBeGreaterThan(0);
    const text = (await ok(['cluster', 'cost', 'priced'])).stdout;
    expect(text).toMatch(new RegExp(`^Hourly:\\s+\\$${cost.hourly.toFixed(4)}$`, 'm'));
    expect(text).toMatch(/^Unpriced pools:\s+local$/m);
    const unpriced = (await ok(['cluster', 'cost', 'one'])).stdout;
    expect(unpriced).toMatch(/^Hourly:\s+-$/m);
    expect(unpriced).toMatch(/^Note:\s+a sim cluster without a flavor has no cloud prices$/m);

    const wide = (await ok(['cluster', 'list', '-o', 'wide'])).stdout.split('\n');
    expect(wide[0]).toMatch(/^NAME\s+PROVIDER\s+REGION\s+STATUS\s+POOLS\s+NODES\s+LABELS\s+\$\/HOUR\s+\$\/MONTH\s+UNPRICED\s+OPERATION$/);
    expect(wide).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^priced\\s+sim\\s+us-central1\\s+RUNNING\\s+2\\s+4/4\\s+\\S*flotilla\\.io/provider=sim\\S*\\s+\\$${cost.hourly.toFixed(4)}\\s+\\$${cost.monthly.toFixed(2)}\\s+local\\s+-$`))]));
  });
});

describe('errors', () => {
  it('exits 2 on usage errors (commander and local input)', async () => {
    for (const args of [['cluster', 'create', 'x', '--nodepool', 'web'], ['cluster', 'frobnicate'], ['cluster', 'list', '-o', 'xml'], ['cluster', 'create', '-f', join(dir, 'missing.yaml')], ['nodepool', 'scale', 'one', 'web', 'many']]) {
      const run = await flotilla(args);
      expect([args.join(' '), run.code]).toEqual([args.join(' '), 2]);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
    }
    const notLoggedIn = await flotilla(['cluster', 'list'], { FLOTILLA_CONFIG: join(dir, 'nobody.json') });
    expect([notLoggedIn.code, notLoggedIn.stderr]).toEqual([2, expect.stringContaining('run flotilla login')]);
  });

  it('exits 3 with the API error and its field on one line; 3 too when the API is unreachable', async () => {
    const invalid = await flotilla(['cluster', 'create', 'bad', '--provider', 'sim', '--nodepool', 'web=m5.large:1']);
    expect(invalid.code).toBe(3);
    expect(invalid.stderr).toMatch(/^error: invalid request: nodePools\[0\]\.instanceType: unknown instance type 'm5\.large' for a sim cluster.*\(HTTP 400 invalid_request\)\n$/);
    const missing = await flotilla(['cluster', 'get', 'ghost']);
    expect([missing.code, missing.stderr]).toEqual([3, "error: cluster 'ghost' not found (HTTP 404 not_found)\n"]);
    const offline = join(dir, 'offline.json');
    const nobody = `http://127.0.0.1:${await freePort()}`;
    writeFileSync(offline, JSON.stringify({ url: nobody, token: TOKENS.cli, org: 'cli' }), { mode: 0o600 });
    const unreachable = await flotilla(['cluster', 'list'], { FLOTILLA_CONFIG: offline });
    expect([unreachable.code, unreachable.stderr]).toEqual([3, `error: cannot reach the Flotilla API at ${nobody}: connect ECONNREFUSED ${nobody.slice(7)}\n`]);
    for (const run of [invalid, missing, unreachable]) noStackTrace(run);
  });
});

describe('secrets', () => {
  it('creates, lists and deletes a secret; its values never come back', async () => {
    const secret = json(await ok(['secret', 'create', 'prod-aws', '--type', 'aws', '--value', 'accessKeyId=AKIAEXAMPLE', '--value', 'secretAccessKey=s3cr3t-value', '-o', 'json']));
    expect(secret).toMatchObject({ id: expect.stringMatching(/^sec-[0-9a-f]{16}$/), name: 'prod-aws', type: 'aws' });
    const list = await ok(['secret', 'list']);
    expect(list.stdout).toMatch(new RegExp(`^${secret.id}\\s+prod-aws\\s+aws`, 'm'));
    expect(list.stdout + JSON.stringify(json(await ok(['secret', 'list', '-o', 'json'])))).not.toContain('s3cr3t');
    expect((await ok(['secret', 'delete', 'prod-aws'])).stdout).toBe(`deleted secret ${secret.id}\n`);
    expect(json(await ok(['secret', 'list', '-o', 'json'])).map((s: any) => s.name)).not.toContain('prod-aws');
    const wrongType = await flotilla(['secret', 'create', 'x', '--type', 'aws', '--value', 'accessKeyId=A']);
    expect([wrongType.code, wrongType.stderr]).toEqual([3, expect.stringContaining('values.secretAccessKey')]);
  });
});

describe('reconcile', () => {
  it('starts a reconcile pass and says where to watch it', async () => {
    const started = json(await ok(['reconcile', '-o', 'json']));
    expect(started.workflowId).toMatch(/^reconcile\/cli\//);
    expect((await ok(['reconcile'])).stdout).toMatch(/^reconcile started: reconcile\/cli\/.+\nTemporal Web UI: http:\/\/127\.0\.0\.1:8233\//);
  });
});

describe('a KWOK cluster: kubeconfig, groups and deployments', () => {
  it('creates a KWOK cluster and prints its kubeconfig', async () => {
    created.push('edge');
    await ok(['cluster', 'create', 'edge', '--provider', 'kwok', '--nodepool', 'pool=standard-2:1']);
    const kubeconfig = YAML.parse((await ok(['cluster', 'kubeconfig', 'edge'])).stdout);
    expect(kubeconfig).toMatchObject({ apiVersion: 'v1', kind: 'Config', clusters: [expect.objectContaining({ cluster: expect.objectContaining({ server: expect.stringMatching(/^https?:\/\/127\.0\.0\.1:/) }) })] });
    const notYet = await flotilla(['cluster', 'kubeconfig', 'broken']);
    expect([notYet.code, notYet.stderr]).toEqual([3, expect.stringContaining('HTTP 409')]);
  });

  it('creates a group, adds and removes members', async () => {
    expect(json(await ok(['group', 'create', 'fleet', 'edge', '-o', 'json']))).toMatchObject({ name: 'fleet', members: ['edge'] });
    expect(json(await ok(['group', 'add', 'fleet', 'one', '-o', 'json'])).members).toEqual(['edge', 'one']);
    expect(json(await ok(['group', 'remove', 'fleet', 'one', '-o', 'json'])).members).toEqual(['edge']);
    expect((await ok(['group', 'list'])).stdout).toMatch(/^fleet\s+-\s+edge\s+-$/m);
    expect((await ok(['group', 'get', 'fleet'])).stdout).toMatch(/^Members:\s+edge$/m);
  });

  it('dry-runs a deployment: each target with its values, nothing installed', async () => {
    const run = await ok(['deploy', 'create', 'fleet', chart, '--release', 'web', '-n', 'apps', '--set', 'message=hello', '--set', 'replicas=2', '--cluster-set', 'edge:message=hi edge', '--dry-run', '-o', 'json']);
    expect(json(run)).toMatchObject({ dryRun: true, errors: [], targets: [{ clusterName: 'edge', values: { message: 'hi edge', replicas: 2 } }] });
    expect(await testHelm().status(await kwok.kubeconfig({ org: 'cli', name: 'edge' }), { name: 'web', namespace: 'apps' })).toBeUndefined();
  });

  it('deploys with common values and a per-cluster override, then gets, syncs and deletes it', async () => {
    const values = join(dir, 'values.yaml');
    writeFileSync(values, 'message: from-file\nimage:\n  tag: "1.0"\n');
    const run = await ok(['deploy', 'create', 'fleet', chart, '--release', 'web', '-n', 'apps', '-f', values, '--set', 'image.tag=2.0', '--cluster-set', 'edge:message=hi edge']);
    expect(run.stderr).toMatch(/^apply web: [01]\/1 targets$/m);
    expect(run.stderr).toContain('SUCCEEDED: apply web (1 targets)');
    expect(run.stderr.trim().split('\n').at(-1)).toBe('Temporal Web UI: http://127.0.0.1:8233/namespaces/default/workflows/deployment%2Fcli%2Ffleet%2Fweb');
    expect(run.stdout).toMatch(/^edge\s+DEPLOYED\s+0\.1\.0/m);
    const helm = await testHelm().status(await kwok.kubeconfig({ org: 'cli', name: 'edge' }), { name: 'web', namespace: 'apps' });
    expect(helm!.values).toEqual({ message: 'hi edge', image: { tag: '2.0' } });

    const got = json(await ok(['deploy', 'get', 'fleet', 'web', '-o', 'json']));
    expect(got).toMatchObject({ releaseName: 'web', namespace: 'apps', values: { message: 'from-file', image: { tag: '2.0' } }, valueOverrides: { edge: { message: 'hi edge' } } });
    expect(got.targetClusters).toEqual([expect.objectContaining({ clusterName: 'edge', status: 'DEPLOYED' })]);
    expect((await ok(['deploy', 'list', 'fleet'])).stdout).toMatch(/^web\s+\S+hello\s+apps\s+DEPLOYED\s+edge$/m);

    const synced = await ok(['deploy', 'sync', 'fleet', 'web']);
    expect(synced.stderr).toContain('SUCCEEDED: apply web (1 targets)');
    const deleted = await ok(['deploy', 'delete', 'fleet', 'web']);
    expect(deleted.stderr).toContain('SUCCEEDED: delete web (1 targets)');
    expect(await testHelm().status(await kwok.kubeconfig({ org: 'cli', name: 'edge' }), { name: 'web', namespace: 'apps' })).toBeUndefined();
    await ok(['group', 'delete', 'fleet']);
    await ok(['cluster', 'delete', 'edge']);
  });
});
