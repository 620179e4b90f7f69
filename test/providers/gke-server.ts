import { verify, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Discovery, type MatchedMethod } from './gke-discovery.js';

/**
 * A fake GKE API on http://127.0.0.1, for contract tests of the GKE adapter
 * with the real @google-cloud/container SDK (REST transport).
 *
 * - Every request is checked against GKE's discovery document: its HTTP
 *   method and path must be `projects.locations.getServerConfig` or a method of `projects.locations.clusters`,
 *   `….clusters.nodePools` or `projects.locations.operations`, its query
 *   parameters declared, its body made only of fields the method's request
 *   schema declares (nested objects walked through `schemas`; output-only
 *   fields, wrong types, unknown enum values and missing "Required." fields
 *   refused). A violation is recorded and answered with a 400.
 * - Answers are checked against the method's response schema too, and carry
 *   enums as numbers when the request asked for `enum-encoding=int`.
 * - Mutations answer an Operation that is RUNNING, still RUNNING at the first
 *   getOperation, and DONE at the next, which is when the change lands:
 *   clusters and pools are PROVISIONING until then, STOPPING while deleted.
 * - Errors have Google's shape, `{ error: { code, message, status } }`.
 * - With service accounts registered (`serviceAccounts`), a bearer token must
 *   be what Google takes from a service-account key: a self-signed JWT.
 *   Otherwise any bearer token will do.
 */

export interface ReceivedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** The discovery method, without `container.projects.locations.`: `clusters.nodePools.setSize`. */
  id: string;
  /** The body with enums decoded to their names. */
  body?: any;
  /** The body as sent. */
  raw?: any;
  authorization?: string;
}

export interface Fault {
  /** A method id as in ReceivedRequest.id. */
  id: string;
  /** How many matching requests get the fault; default 1. */
  times?: number;
  /** Answer with this error instead. */
  error?: { httpStatus: number; status: string; message: string };
  /** Accept the call, but end its operation with this error (google.rpc.Status: a gRPC code). */
  operationError?: { code: number; message: string };
}

/** Methods the fake serves; the rest of the discovery document would be a surprise from the adapter. */
const SERVED = new Set([
  'clusters.create',
  'clusters.get',
  'clusters.delete',
  'clusters.nodePools.create',
  'clusters.nodePools.get',
  'clusters.nodePools.list',
  'clusters.nodePools.delete',
  'clusters.nodePools.setSize',
  'clusters.nodePools.setAutoscaling',
  'clusters.nodePools.update',
  'clusters.updateMaster',
  'operations.get',
  'getServerConfig',
]);

export const MACHINE_TYPES = new Set(['e2-medium', 'e2-standard-2', 'e2-standard-4', 'n2-standard-4', 'n2-standard-8', 'n2-highmem-4', 'a2-highgpu-1g', 'g2-standard-4']);
const ACCELERATORS = new Set(['nvidia-l4', 'nvidia-tesla-a100', 'nvidia-tesla-t4']);
const MASTER_VERSIONS: Record<string, string> = {
  '1.30': '1.30.10-gke.1070000',
  '1.31': '1.31.6-gke.1020000',
  '1.32': '1.32.2-gke.1182003',
  '1.33': '1.33.5-gke.1201000',
  '1.34': '1.34.3-gke.1051000',
  '1.35': '1.35.1-gke.1126000',
};
export const FAKE_CA = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIBfakeGKEca\n-----END CERTIFICATE-----\n').toString('base64');
export const FAKE_ENDPOINT = '34.118.10.20';

class GoogleError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly status: string,
    message: string,
  ) {
    super(message);
  }
}

const notFound = (what: string) => new GoogleError(404, 'NOT_FOUND', `Not found: ${what}.`);
const invalid = (message: string) => new GoogleError(400, 'INVALID_ARGUMENT', message);

interface TrackedOperation {
  op: Record<string, any>;
  polls: number;
  finish: () => void;
  fail?: { code: number; message: string; effect: () => void };
}

export class FakeGke {
  readonly discovery = new Discovery();
  readonly requests: ReceivedRequest[] = [];
  readonly violations: string[] = [];
  /** Clusters by full name, as GKE would show them (enums by name), pools inside. */
  readonly clusters = new Map<string, any>();
  /** Nodes per zone, by pool full name: what setNodePoolSize and initialNodeCount set. */
  readonly nodesPerZone = new Map<string, number>();
  /** Public keys of the service accounts' keys, by account email: Google's published certificates of each key. */
  readonly serviceAccounts = new Map<string, KeyObject>();
  private readonly operations = new Map<string, TrackedOperation>();
  private readonly faults: (Fault & { left: number })[] = [];
  private server?: Server;
  private nextOperation = 1;

  async start(): Promise<number> {
    const server = createServer((req, res) => void this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    // The SDK keeps connections alive; close them, or close() waits for them.
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  inject(fault: Fault): void {
    this.faults.push({ ...fault, left: fault.times ?? 1 });
  }

  /** Requests of a method (ReceivedRequest.id), optionally only those on one path. */
  calls(id: string, path?: string): ReceivedRequest[] {
    return this.requests.filter((r) => r.id === id && (path === undefined || r.path === path));
  }

  pool(clusterName: string, poolName: string): any {
    return this.clusters.get(clusterName)?.nodePools.find((p: any) => p.name === poolName);
  }

  /** The pool's size across its zones, as the cloud holds it. */
  nodeCount(clusterName: string, poolName: string): number | undefined {
    const pool = this.pool(clusterName, poolName);
    if (!pool) return undefined;
    return (this.nodesPerZone.get(`${clusterName}/nodePools/${poolName}`) ?? 0) * pool.locations.length;
  }

  /** A cluster that exists before the test, made by someone else (no Flotilla labels unless given). */
  seedCluster(project: string, location: string, name: string, resourceLabels: Record<string, string> = {}): void {
    const full = `projects/${project}/locations/${location}/clusters/${name}`;
    this.clusters.set(full, {
      ...this.clusterResource(project, location, { name, initialClusterVersion: '1.32', resourceLabels }),
      status: 'RUNNING',
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const text = await readBody(req);
    const record: ReceivedRequest = {
      method: req.method ?? '',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      id: '',
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
    };
    this.requests.push(record);
    const enumInts = url.searchParams.get('$alt') === 'json;enum-encoding=int';
    try {
      if (!req.headers.authorization?.startsWith('Bearer ')) throw this.violation(`${req.method} ${url.pathname}: no bearer token`, 401, 'UNAUTHENTICATED');
      if (this.serviceAccounts.size && !this.authenticates(req.headers.authorization.slice('Bearer '.length))) {
        // Google's answer to a token it does not take; a refusal the test may intend, not a violation.
        throw new GoogleError(
          401,
          'UNAUTHENTICATED',
          'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
        );
      }
      const { matched, problems } = this.discovery.match(record.method, url.pathname);
      if (!matched) throw this.violation(problems.join('; '));
      record.id = matched.method.id.replace(/^container\.projects\.locations\./, '');
      const allowed = ['projects.locations', 'projects.locations.clusters', 'projects.locations.clusters.nodePools', 'projects.locations.operations'].includes(matched.resource);
      if (!allowed) throw this.violation(`${matched.method.id} is outside locations, clusters, nodePools and operations`);
      problems.push(...this.discovery.queryProblems(matched.method, url.searchParams));
      if (matched.method.request) {
        record.raw = text ? JSON.parse(text) : undefined;
        if (!/^application\/json/.test(req.headers['content-type'] ?? '')) problems.push(`${matched.method.id}: content-type ${req.headers['content-type']}`);
        const walked = this.discovery.readRequest(record.raw ?? {}, matched.method.request.$ref, enumInts);
        record.body = walked.value;
        problems.push(...walked.problems);
      } else if (text) {
        problems.push(`${matched.method.id} takes no body, got ${text}`);
      }
      if (problems.length) throw this.violation(`${matched.method.id}: ${problems.join('; ')}`);
      if (!SERVED.has(record.id)) throw this.violation(`${matched.method.id} is valid, but not one the adapter should need`, 501, 'UNIMPLEMENTED');

      const fault = this.faults.find((f) => f.id === record.id && f.left > 0);
      if (fault) fault.left--;
      if (fault?.error) throw new GoogleError(fault.error.httpStatus, fault.error.status, fault.error.message);

      const answer = this.serve(record.id, matched, record.body ?? {}, fault?.operationError);
      const schema = matched.method.response?.$ref ?? 'Empty';
      const out = this.discovery.writeResponse(answer, schema, enumInts);
      if (out.problems.length) this.violations.push(`fake answered ${record.id} outside ${schema}: ${out.problems.join('; ')}`);
      send(res, 200, out.value);
    } catch (err) {
      if (!(err instanceof GoogleError)) {
        this.violations.push(`fake failed on ${record.method} ${record.path}: ${(err as Error).stack}`);
        return send(res, 500, { error: { code: 500, message: String(err), status: 'INTERNAL' } });
      }
      send(res, err.httpStatus, { error: { code: err.httpStatus, message: err.message, status: err.status } });
    }
  }

  /**
   * A self-signed JWT as Google takes it from a service-account key: RS256,
   * signed by a key of the account it names as issuer and subject, current,
   * at most an hour long, for the cloud-platform scope or for this API.
   */
  private authenticates(token: string): boolean {
    const [header, payload, signature] = token.split('.');
    if (!header || !payload || !signature) return false;
    try {
      const alg = JSON.parse(Buffer.from(header, 'base64url').toString()).alg;
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
      const key = this.serviceAccounts.get(claims.iss);
      const now = Date.now() / 1000;
      const scopes = String(claims.scope ?? '').split(' ');
      return (
        alg === 'RS256' &&
        key !== undefined &&
        claims.sub === claims.iss &&
        verify('sha256', Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, 'base64url')) &&
        claims.iat <= now + 60 &&
        claims.exp > now &&
        claims.exp - claims.iat <= 3600 &&
        (scopes.includes('https://www.googleapis.com/auth/cloud-platform') || claims.aud === 'https://container.googleapis.com/')
      );
    } catch {
      return false; // not JSON inside: not a JWT
    }
  }

  private violation(message: string, httpStatus = 400, status = 'INVALID_ARGUMENT'): GoogleError {
    this.violations.push(message);
    return new GoogleError(httpStatus, status, `contract violation: ${message}`);
  }

  private serve(id: string, { vars, params }: MatchedMethod, body: any, operationError: Fault['operationError']): unknown {
    const { projectsId: project, locationsId: location } = vars as Record<string, string>;
    const clusterName = `projects/${project}/locations/${location}/clusters/${vars.clustersId}`;
    const cluster = () => this.clusters.get(clusterName) ?? fail(notFound(clusterName));
    const poolName = `${clusterName}/nodePools/${vars.nodePoolsId}`;
    const pool = () => cluster().nodePools.find((p: any) => p.name === vars.nodePoolsId) ?? fail(notFound(poolName));
    const start = (type: string, target: string, finish: () => void, onFail: () => void = () => {}) =>
      this.startOperation(project!, location!, type, target, finish, operationError && { ...operationError, effect: onFail });

    switch (id) {
      case 'getServerConfig': {
        // GKE's own answer to a location it does not have.
        if (!/^[a-z]+-[a-z]+\d+(-[a-z])?$/.test(location!)) throw invalid(`Location "${location}" does not exist.`);
        const versions = Object.values(MASTER_VERSIONS).reverse(); // newest first, as GKE lists them
        return { defaultClusterVersion: MASTER_VERSIONS['1.32'], validMasterVersions: versions, validNodeVersions: versions, defaultImageType: 'COS_CONTAINERD', validImageTypes: ['COS_CONTAINERD', 'UBUNTU_CONTAINERD'] };
      }
      case 'clusters.create': {
        const spec = body.cluster;
        const name = `projects/${project}/locations/${location}/clusters/${spec.name}`;
        if (!/^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$/.test(spec.name ?? '')) throw invalid(`Invalid value for field "cluster.name": "${spec.name}".`);
        if (spec.initialClusterVersion && !MASTER_VERSIONS[spec.initialClusterVersion]) throw invalid(`Master version "${spec.initialClusterVersion}" is unsupported.`);
        if (spec.initialNodeCount && spec.nodePools?.length) throw invalid('Cluster.initial_node_count and Cluster.node_pools cannot both be set.');
        if (!spec.nodePools?.length && !spec.initialNodeCount) throw invalid('Cluster.node_pools must have at least one node pool.');
        if (this.clusters.has(name)) throw new GoogleError(409, 'ALREADY_EXISTS', `Already exists: ${name}.`);
        const created = this.clusterResource(project!, location!, spec);
        this.clusters.set(name, created);
        return start(
          'CREATE_CLUSTER',
          name,
          () => {
            Object.assign(created, { status: 'RUNNING', endpoint: FAKE_ENDPOINT, masterAuth: { clusterCaCertificate: FAKE_CA } });
            for (const p of created.nodePools) p.status = 'RUNNING';
          },
          () => Object.assign(created, { status: 'ERROR', statusMessage: operationError?.message }),
        );
      }
      case 'clusters.get':
        return cluster();
      case 'clusters.delete': {
        const c = cluster();
        c.status = 'STOPPING';
        return start('DELETE_CLUSTER', clusterName, () => {
          this.clusters.delete(clusterName);
          for (const key of [...this.nodesPerZone.keys()]) if (key.startsWith(`${clusterName}/`)) this.nodesPerZone.delete(key);
        });
      }
      case 'clusters.nodePools.create': {
        const c = cluster();
        if (c.status !== 'RUNNING' && c.status !== 'RECONCILING') {
          throw new GoogleError(400, 'FAILED_PRECONDITION', `Cluster is running incompatible operation (status ${c.status}).`);
        }
        const spec = body.nodePool;
        if (c.nodePools.some((p: any) => p.name === spec.name)) throw new GoogleError(409, 'ALREADY_EXISTS', `Already exists: ${clusterName}/nodePools/${spec.name}.`);
        const created = this.poolResource(clusterName, c, spec);
        c.nodePools.push(created);
        return start(
          'CREATE_NODE_POOL',
          `${clusterName}/nodePools/${spec.name}`,
          () => (created.status = 'RUNNING'),
          () => Object.assign(created, { status: 'ERROR', statusMessage: operationError?.message }),
        );
      }
      case 'clusters.nodePools.get':
        return pool();
      case 'clusters.nodePools.list':
        return { nodePools: cluster().nodePools };
      case 'clusters.nodePools.delete': {
        const p = pool();
        p.status = 'STOPPING';
        return start('DELETE_NODE_POOL', poolName, () => {
          const c = this.clusters.get(clusterName);
          if (c) c.nodePools = c.nodePools.filter((x: any) => x !== p);
          this.nodesPerZone.delete(poolName);
        });
      }
      case 'clusters.nodePools.setSize': {
        pool();
        if (!Number.isInteger(body.nodeCount ?? 0) || (body.nodeCount ?? 0) < 0) throw invalid(`Invalid node count ${body.nodeCount}.`);
        return start('SET_NODE_POOL_SIZE', poolName, () => this.nodesPerZone.set(poolName, body.nodeCount ?? 0));
      }
      case 'clusters.nodePools.setAutoscaling': {
        const p = pool();
        const a = body.autoscaling;
        checkAutoscaling(a);
        return start('UPDATE_CLUSTER', poolName, () => (p.autoscaling = a.enabled ? { ...a } : { enabled: false }));
      }
      case 'clusters.updateMaster': {
        const c = cluster();
        const version = MASTER_VERSIONS[body.masterVersion];
        if (!version) throw invalid(`Master version "${body.masterVersion}" is unsupported.`);
        c.status = 'RECONCILING';
        return start('UPGRADE_MASTER', clusterName, () => Object.assign(c, { status: 'RUNNING', currentMasterVersion: version }));
      }
      case 'clusters.nodePools.update': {
        const p = pool();
        // A version other than the pool's is an upgrade, to at most the master's (GKE's rule).
        const upgrade = body.nodeVersion !== '-' && body.nodeVersion !== p.version ? MASTER_VERSIONS[body.nodeVersion] : undefined;
        if (body.nodeVersion !== '-' && body.nodeVersion !== p.version && upgrade !== cluster().currentMasterVersion) {
          throw invalid(`Node version "${body.nodeVersion}" must be the master's version ${cluster().currentMasterVersion}.`);
        }
        return start('UPGRADE_NODES', poolName, () => {
          if (upgrade) Object.assign(p, { version: upgrade, upgradeSettings: body.upgradeSettings });
          if (body.labels) p.config.labels = { ...(body.labels.labels ?? {}) };
          if (body.taints) p.config.taints = [...(body.taints.taints ?? [])];
        });
      }
      case 'operations.get': {
        const name = params.name!;
        const tracked = this.operations.get(name) ?? fail(notFound(name));
        tracked.polls++;
        if (tracked.op.status === 'RUNNING' && tracked.polls >= 2) {
          tracked.op.status = 'DONE';
          tracked.op.endTime = new Date().toISOString();
          if (tracked.fail) {
            tracked.op.error = { code: tracked.fail.code, message: tracked.fail.message };
            tracked.op.statusMessage = tracked.fail.message;
            tracked.fail.effect();
          } else {
            tracked.finish();
          }
        }
        return tracked.op;
      }
      default:
        throw new GoogleError(501, 'UNIMPLEMENTED', `${id} is not served`);
    }
  }

  private startOperation(project: string, location: string, type: string, target: string, finish: () => void, fail?: TrackedOperation['fail']) {
    const id = `operation-${Date.now()}-${this.nextOperation++}`;
    const op = {
      name: id,
      operationType: type,
      status: 'RUNNING',
      location,
      zone: location,
      selfLink: `https://container.googleapis.com/v1/projects/${project}/locations/${location}/operations/${id}`,
      targetLink: `https://container.googleapis.com/v1/${target}`,
      startTime: new Date().toISOString(),
    };
    this.operations.set(`projects/${project}/locations/${location}/operations/${id}`, { op, polls: 0, finish, ...(fail ? { fail } : {}) });
    return { ...op };
  }

  private clusterResource(project: string, location: string, spec: any): any {
    const zones = /-[a-z]$/.test(location) ? [location] : ['a', 'b', 'c'].map((z) => `${location}-${z}`);
    const name = `projects/${project}/locations/${location}/clusters/${spec.name}`;
    const version = MASTER_VERSIONS[spec.initialClusterVersion ?? '1.32'] ?? MASTER_VERSIONS['1.32']!;
    const cluster: any = {
      name: spec.name,
      location,
      locations: zones,
      status: 'PROVISIONING',
      initialClusterVersion: spec.initialClusterVersion ?? '1.32',
      currentMasterVersion: version,
      resourceLabels: { ...(spec.resourceLabels ?? {}) },
      selfLink: `https://container.googleapis.com/v1/${name}`,
      createTime: new Date().toISOString(),
      id: String(this.nextOperation * 7919),
      nodePools: [],
    };
    for (const p of spec.nodePools ?? [{ name: 'default-pool', initialNodeCount: spec.initialNodeCount }]) cluster.nodePools.push(this.poolResource(name, cluster, p));
    return cluster;
  }

  private poolResource(clusterName: string, cluster: any, spec: any): any {
    if (!/^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$/.test(spec.name ?? '')) throw invalid(`Invalid value for field "node_pool.name": "${spec.name}".`);
    const machineType = spec.config?.machineType ?? 'e2-medium';
    if (!MACHINE_TYPES.has(machineType)) {
      throw invalid(`Invalid value for field 'resource.machineType': '${machineType}'. Machine type with name '${machineType}' does not exist in zone '${cluster.locations[0]}'.`);
    }
    for (const a of spec.config?.accelerators ?? []) {
      if (!ACCELERATORS.has(a.acceleratorType)) throw invalid(`Accelerator type "${a.acceleratorType}" does not exist in zone ${cluster.locations[0]}.`);
    }
    if (spec.autoscaling) checkAutoscaling(spec.autoscaling);
    this.nodesPerZone.set(`${clusterName}/nodePools/${spec.name}`, spec.initialNodeCount ?? 0);
    return {
      name: spec.name,
      config: { diskSizeGb: 100, diskType: 'pd-balanced', imageType: 'COS_CONTAINERD', labels: {}, taints: [], ...spec.config, machineType },
      initialNodeCount: spec.initialNodeCount ?? 0,
      autoscaling: spec.autoscaling?.enabled ? { ...spec.autoscaling } : { enabled: false },
      management: spec.management ?? { autoRepair: true, autoUpgrade: true },
      locations: [...cluster.locations],
      status: 'PROVISIONING',
      version: cluster.currentMasterVersion,
      selfLink: `https://container.googleapis.com/v1/${clusterName}/nodePools/${spec.name}`,
      instanceGroupUrls: [],
      podIpv4CidrSize: 24,
    };
  }
}

function checkAutoscaling(a: any): void {
  if (!a?.enabled) return;
  const perZone = a.minNodeCount !== undefined || a.maxNodeCount !== undefined;
  const total = a.totalMinNodeCount !== undefined || a.totalMaxNodeCount !== undefined;
  if (perZone && total) throw invalid('Autoscaling: min/max node counts and total min/max node counts cannot both be set.');
  if ((a.minNodeCount ?? 0) > (a.maxNodeCount ?? 0) || (a.totalMinNodeCount ?? 0) > (a.totalMaxNodeCount ?? 0)) {
    throw invalid('Autoscaling: the minimum node count must not exceed the maximum.');
  }
  if (!perZone && !total) throw invalid('Autoscaling: max node count must be set.');
}

function fail(err: Error): never {
  throw err;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
  res.end(JSON.stringify(body));
}
