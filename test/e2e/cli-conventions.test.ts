import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { SimCloud } from '../../src/adapters/providers/sim/index.js';
import { runCli, type CliRun } from '../helpers/cli.js';
import { eventually, startStack, TOKENS, type Stack } from '../helpers/stack.js';

// The conventions the CLI shares with kubectl, helm and the temporal CLI, with
// the real binary against the API and workers (sim clusters): a version
// subcommand, completion, credentials from the environment and stdin,
// contexts, --timeout, -o name, global options in every help, and a cluster's
// kubeconfig merged into $KUBECONFIG.
const chart = fileURLToPath(new URL('../fixtures/charts/hello', import.meta.url));
const sim = new SimCloud({ latencyMs: 1500 });
const dir = mkdtempSync(join(process.env.FLOTILLA_TEST_DIR!, 'cli-conventions-'));
const config = join(dir, 'config.json');
const ORG = 'cli';
let stack: Stack;
let silent: Server;
const sockets: Socket[] = [];

type Run = CliRun;

const flotilla = (args: string[], env: Record<string, string> = {}, stdin?: string): Promise<Run> => runCli(args, { FLOTILLA_CONFIG: config, ...env }, stdin);

async function ok(args: string[], env: Record<string, string> = {}, stdin?: string): Promise<Run> {
  const run = await flotilla(args, env, stdin);
  expect([args.join(' '), run.code, run.code === 0 ? '' : run.stderr]).toEqual([args.join(' '), 0, '']);
  return run;
}

/** A kubeconfig as a provider gives it, for the sim clusters (which have no API server). */
const simKubeconfig = (name: string) =>
  YAML.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: `flotilla-${name}`, cluster: { server: 'https://127.0.0.1:6443' } }],
    users: [{ name: `flotilla-${name}`, user: { token: 'sim' } }],
    contexts: [{ name: `flotilla-${name}`, context: { cluster: `flotilla-${name}`, user: `flotilla-${name}` } }],
    'current-context': `flotilla-${name}`,
  });

beforeAll(async () => {
  stack = await startStack({ providers: { sim: sim.activities() }, kubeconfigs: { sim: async (ref) => simKubeconfig(ref.name) } });
  // A server that takes connections and never answers: what --timeout is for.
  silent = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  silent?.close();
  for (const name of ['conv-a', 'conv-slow']) await stack?.api('DELETE', `/api/v1/orgs/${ORG}/clusters/${name}?force=true`, { token: TOKENS.cli });
  await stack?.stop();
});

describe('version', () => {
  it('is a subcommand; a root --version no longer exists to swallow a subcommand’s', async () => {
    const version = JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')).version as string;
    expect((await ok(['version'])).stdout).toBe(`flotilla ${version}\n`);
    expect(JSON.parse((await ok(['version', '-o', 'json'])).stdout)).toEqual({ client: version });
    const root = await flotilla(['--version']);
    expect([root.code, root.stderr]).toEqual([2, expect.stringContaining("unknown option '--version'")]);
  });
});

describe('credentials', () => {
  it('come from FLOTILLA_URL and FLOTILLA_TOKEN with no login saved; the org is the token’s', async () => {
    const nobody = join(dir, 'nobody.json');
    const env = { FLOTILLA_CONFIG: nobody, FLOTILLA_URL: stack.baseUrl, FLOTILLA_TOKEN: TOKENS.cli };
    await ok(['cluster', 'create', 'conv-a', '--provider', 'sim', '--nodepool', 'web=standard-2:1'], env);
    expect((await ok(['cluster', 'list', '-o', 'name'], env)).stdout.split('\n')).toContain('conv-a');
    expect(() => statSync(nobody)).toThrow(); // nothing saved
    const wrong = await flotilla(['cluster', 'list'], { ...env, FLOTILLA_TOKEN: 'wrong' });
    expect(wrong.code).toBe(3);
  });

  it('login --token-stdin reads the token from standard input, so it is in no argument; contexts keep several servers', async () => {
    const login = await ok(['login', '--url', stack.baseUrl, '--token-stdin'], {}, `${TOKENS.cli}\n`);
    expect(login.stdout).toContain("context 'default'");
    await ok(['login', '--url', stack.baseUrl, '--token-stdin', '--name', 'acme'], {}, TOKENS.acme);
    expect(statSync(config).mode & 0o777).toBe(0o600);
    const contexts = JSON.parse((await ok(['context', 'list', '-o', 'json'])).stdout);
    expect(contexts).toEqual([
      { name: 'default', current: false, url: stack.baseUrl, org: 'cli' },
      { name: 'acme', current: true, url: stack.baseUrl, org: 'acme' },
    ]);
    expect(JSON.stringify(contexts)).not.toContain(TOKENS.acme); // never printed
    // The current context (acme) has no conv-a; --context picks another for one command; context use switches.
    expect((await ok(['cluster', 'list', '-o', 'name'])).stdout).not.toContain('conv-a');
    expect((await ok(['cluster', 'list', '-o', 'name', '--context', 'default'])).stdout).toContain('conv-a');
    await ok(['context', 'use', 'default']);
    expect((await ok(['context', 'current'])).stdout).toBe('default\n');
    expect((await ok(['cluster', 'get', 'conv-a', '-o', 'name'])).stdout).toBe('conv-a\n');
    const missing = await flotilla(['cluster', 'list', '--context', 'nope']);
    expect([missing.code, missing.stderr]).toEqual([2, expect.stringContaining("no context 'nope'")]);
    const both = await flotilla(['login', '--url', stack.baseUrl, '--token', 'x', '--token-stdin'], {}, 'y');
    expect(both.code).toBe(2);
  });
});

describe('--timeout', () => {
  it('bounds an HTTP request to an API that does not answer (exit 5)', async () => {
    const { port } = silent.address() as { port: number };
    const run = await flotilla(['cluster', 'list', '--timeout', '1s'], { FLOTILLA_URL: `http://127.0.0.1:${port}`, FLOTILLA_TOKEN: 'x', FLOTILLA_CONFIG: join(dir, 'none.json') });
    expect([run.code, run.stderr]).toEqual([5, expect.stringContaining('no answer from the Flotilla API')]);
  });

  it('bounds following an operation; the operation goes on (exit 5)', async () => {
    // Every sim call takes 1.5 s: the provision takes longer than the 2 s allowed.
    const run = await flotilla(['cluster', 'create', 'conv-slow', '--provider', 'sim', '--nodepool', 'web=standard-2:1', '--timeout', '2s']);
    expect([run.code, run.stderr]).toEqual([5, expect.stringMatching(/operation cluster\.conv-slow\.1 still RUNNING after --timeout; follow it with flotilla operation get/)]);
    await eventually(async () => ((await stack.api('GET', `/api/v1/orgs/${ORG}/clusters/conv-slow`, { token: TOKENS.cli })).body.status === 'RUNNING' ? true : undefined), 'conv-slow RUNNING', 120_000);
    expect((await flotilla(['cluster', 'list', '--timeout', 'soon'])).code).toBe(2);
  });
});

describe('deploy create --version', () => {
  it('reaches the API as the chart version instead of printing the CLI’s', async () => {
    await ok(['group', 'create', 'conv-fleet', 'conv-a']);
    const run = await ok(['deploy', 'create', 'conv-fleet', chart, '--release', 'web', '--version', '1.2.3', '--set', 'a=1,list[1]=x', '--no-wait', '-o', 'json']);
    expect(run.stdout).not.toMatch(/^0\.1\.0/);
    const view = JSON.parse((await ok(['deploy', 'get', 'conv-fleet', 'web', '-o', 'json'])).stdout);
    expect(view).toMatchObject({ version: '1.2.3', values: { a: 1, list: [null, 'x'] } });
    await flotilla(['deploy', 'delete', 'conv-fleet', 'web', '--no-wait']);
  });
});

describe('cluster kubeconfig --merge', () => {
  it('writes the cluster into the first file of $KUBECONFIG, keeping what was there, and makes it current', async () => {
    const first = join(dir, 'kube-a.yaml');
    const second = join(dir, 'kube-b.yaml');
    writeFileSync(
      first,
      YAML.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'mine', cluster: { server: 'https://127.0.0.1:1' } }, { name: 'flotilla-conv-a', cluster: { server: 'https://stale' } }],
        users: [{ name: 'mine', user: {} }],
        contexts: [{ name: 'mine', context: { cluster: 'mine', user: 'mine' } }],
        'current-context': 'mine',
        preferences: {},
      }),
    );
    const run = await ok(['cluster', 'kubeconfig', 'conv-a', '--merge'], { KUBECONFIG: `${first}:${second}` });
    expect(run.stdout).toContain(`into ${first}; current context: flotilla-conv-a`);
    const merged = YAML.parse(readFileSync(first, 'utf8'));
    expect(merged['current-context']).toBe('flotilla-conv-a');
    expect(merged.clusters).toEqual([{ name: 'mine', cluster: { server: 'https://127.0.0.1:1' } }, { name: 'flotilla-conv-a', cluster: { server: 'https://127.0.0.1:6443' } }]);
    expect(merged.contexts.map((c: { name: string }) => c.name)).toEqual(['mine', 'flotilla-conv-a']);
    expect(merged.preferences).toEqual({});
    expect(statSync(first).mode & 0o777).toBe(0o600);
    expect(() => statSync(second)).toThrow();
  });
});

describe('help and completion', () => {
  it('shows the global options and examples in a subcommand’s help', async () => {
    const help = (await ok(['cluster', 'kubeconfig', '--help'])).stdout;
    for (const option of ['--org', '--output', '--context', '--timeout']) expect(help).toContain(option);
    expect(help).toContain('Examples:');
  });

  it('completes subcommands and flags in bash, from the command tree', async () => {
    const script = (await ok(['completion', 'bash'])).stdout;
    const complete = async (line: string) => {
      const words = line.split(' ');
      const probe = `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _flotilla; printf '%s\\n' "\${COMPREPLY[@]}"`;
      const out = await new Promise<string>((resolve, reject) => {
        const bash = spawn('bash', ['-c', probe]);
        let text = '';
        bash.stdout.on('data', (d) => (text += d));
        bash.on('error', reject);
        bash.on('close', () => resolve(text));
      });
      return out.split('\n').filter(Boolean);
    };
    expect(await complete('flotilla clu')).toEqual(['cluster']);
    expect(await complete('flotilla cluster kube')).toEqual(['kubeconfig']);
    expect(await complete('flotilla cluster kubeconfig demo --me')).toEqual(['--merge']);
    expect(await complete('flotilla deploy create --set-')).toEqual(['--set-string', '--set-json', '--set-file']);
    expect(await complete('flotilla cluster list -o ')).toEqual(['table', 'wide', 'json', 'yaml', 'name']);
    expect(await complete('flotilla --cont')).toEqual(['--context']);
    for (const shell of ['zsh', 'fish']) expect((await ok(['completion', shell])).stdout).toContain('kubeconfig');
    expect((await flotilla(['completion', 'tcsh'])).code).toBe(2);
  });
});
