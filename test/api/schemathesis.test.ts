import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SimCloud } from '../../src/adapters/providers/sim/index.js';
import { createLogger } from '../../src/observability/logger.js';
import { toolsDir } from '../../src/toolchain.js';
import { versionListingWorkers } from '../helpers/version-listing-workers.js';
import { eventually, startStack, TOKENS, type Stack } from '../helpers/stack.js';

// An independent tester: schemathesis reads the API's own /openapi.json and sends
// what the document allows and what it forbids, with every check it has (no 5xx,
// documented statuses, content types and response schemas, valid data accepted,
// invalid data refused, methods the document lacks answered 405, auth honoured),
// in all its phases (coverage, fuzzing, stateful). Seeded and bounded per
// operation, so a run is the same requests every time; any failure fails the test
// with schemathesis's report. Its configuration, what it may not expect of this
// API and why, and known failures of other parts (each with an expiry date):
// schemathesis.toml, schemathesis_hooks.py and schemathesis-baseline.json beside this file.

const SEED = process.env.FLOTILLA_SCHEMATHESIS_SEED || '20250611';
const EXAMPLES = process.env.FLOTILLA_SCHEMATHESIS_EXAMPLES || '15';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const { schemathesis: version } = JSON.parse(readFileSync(join(repo, 'tools', 'versions.json'), 'utf8')) as { schemathesis: string };
const cli = join(toolsDir(), `schemathesis-${version}`, 'bin', 'schemathesis');
const base = '/api/v1/orgs/schemathesis';
/** The API's log line of each 500 it answered, with the error behind it: for a failure's report. */
const failed: string[] = [];
let stack: Stack;

beforeAll(async () => {
  const logger = createLogger({ level: 'error', destination: { write: (line: string) => void (line.includes('"request failed"') && failed.push(line)) } });
  const sim = new SimCloud({ latencyMs: 1 });
  stack = await startStack({ providers: { sim: sim.activities(), ...versionListingWorkers(sim) }, logger, sizing: true });
  // What the configuration's dictionaries name, so that some requests find what they ask for.
  const api = (method: string, path: string, body?: unknown) => stack.api(method, `${base}${path}`, { token: TOKENS.schemathesis, ...(body ? { body } : {}) });
  const created = await api('POST', '/clusters', { name: 'st-cluster', provider: 'sim', nodePools: [{ name: 'pool-a', instanceType: 'standard-2', count: 1 }] });
  expect([created.status, created.body.operationId]).toEqual([202, 'cluster.st-cluster.1']);
  await eventually(async () => ((await api('GET', '/clusters/st-cluster')).body.status === 'RUNNING' ? true : undefined), 'st-cluster RUNNING');
  expect((await api('POST', '/clustergroups', { name: 'st-group', members: ['st-cluster'] })).status).toBe(201);
});
afterAll(() => stack?.stop());

it('finds nothing: the API does what its OpenAPI document says', async () => {
  const args = ['--config-file', 'test/api/schemathesis.toml', 'run', `${stack.baseUrl}/openapi.json`, '--checks', 'all', '--seed', SEED, '--max-examples', EXAMPLES, '--no-color'];
  const started = Date.now();
  // Hypothesis keeps its caches in the test run's folder, not in the repository.
  const env = { ...process.env, FLOTILLA_SCHEMATHESIS_TOKEN: TOKENS.schemathesis, HYPOTHESIS_STORAGE_DIRECTORY: join(process.env.FLOTILLA_TEST_DIR!, 'hypothesis') };
  const { code, output } = await run(cli, args, env);
  const errors = failed.length ? `\nThe API's log of the errors behind its 500s:\n${failed.join('')}` : '';
  if (code !== 0) throw new Error(`schemathesis exited with ${code} (replay: FLOTILLA_SCHEMATHESIS_SEED=${SEED} FLOTILLA_SCHEMATHESIS_EXAMPLES=${EXAMPLES}):\n${output}${errors}`);
  // Its summary (phases, failures dropped by the hooks or known to the baseline, warnings, test cases), and the cause of any 500 the baseline let pass.
  // Its "==== No issues found in 25.31s ====" banners lose their rules: CI reads a line in that shape as pytest's closing line, one that ran no test.
  const summary = output.slice(output.lastIndexOf('SUMMARY')).replace(/^=+ (.*?) =+$/gm, 'schemathesis: $1');
  console.log(`schemathesis ${version}, seed ${SEED}, ${EXAMPLES} examples per operation, ${Math.round((Date.now() - started) / 1000)} s\n${summary}${errors}`);
}, 600_000);

/** Runs a command from the repository root, its stdout and stderr together. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}
