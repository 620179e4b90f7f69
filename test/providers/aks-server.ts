import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, Agent, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { selfSignedCertificate, type TestCertificate } from './aks-tls.js';
import { Swagger } from './aks-swagger.js';

/**
 * A fake Azure Resource Manager for AKS, on https://127.0.0.1, for contract
 * tests of the AKS adapter with the real Azure SDKs.
 *
 * - Every Microsoft.ContainerService request is checked against the official
 *   swagger (test/fixtures/aks/managedClusters.json): its path must match one of
 *   the swagger's path templates (with path parameters that fit their
 *   patterns), its `api-version` must be the expected one, its query
 *   parameters declared, and its PUT body must use only field names the
 *   swagger's definitions declare (read-only ones refused). A violation is
 *   recorded and answered with a 400, so the adapter's test fails loudly.
 * - Answers are the official examples' response bodies (test/fixtures/aks/examples),
 *   with the names, ids and fields of what was actually created laid over
 *   them, so the SDK deserialises real response shapes.
 * - Long-running operations behave as the swagger declares: PUT answers
 *   201/200 with `provisioningState` Creating/Updating, which later GETs turn
 *   into Succeeded; DELETE answers 202 with a `Location` to poll (202 until
 *   done, then 204), or 204 when there is nothing to delete. A resource
 *   group's DELETE ends in 200 instead: ResourceGroups_Delete declares only
 *   200 and 202, and @azure/arm-resources (≥ 8) refuses any other.
 * - Resource groups (Microsoft.Resources) have no swagger in the fixtures;
 *   they are served from ARM's documented shape and only their api-version and
 *   top-level body fields are checked.
 */

const FIXTURES = new URL('../fixtures/aks/', import.meta.url);

function example(name: string): any {
  return JSON.parse(readFileSync(new URL(`examples/${name}.json`, FIXTURES), 'utf8'));
}

export interface ReceivedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body?: any;
  /** The swagger operation it matched (Microsoft.ContainerService requests only). */
  operationId?: string;
  authorization?: string;
}

export interface Fault {
  method?: string;
  path: RegExp;
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** How many matching requests get the fault; default every one. */
  times?: number;
}

export interface FakeArmOptions {
  /** The AKS api-version the SDK must send; default the swagger's. */
  containerServiceApiVersion?: string;
  /** The api-version of @azure/arm-resources' resource group calls. */
  resourcesApiVersion: string;
  /** Kubernetes versions AKS offers; default the KubernetesVersions_List example's (1.23 to 1.26). */
  kubernetesVersions?: string[];
}

interface Tracked {
  /** The PUT body as received. */
  body: any;
  provisioningState: string;
  /** GETs still to answer with an in-progress state before the operation is done. */
  pending: number;
}

interface PendingOperation {
  pending: number;
  /** The status of the poll that finds it done. */
  done: 200 | 204;
  /** Applies the operation's effect; dropped once applied. */
  finish?: () => void;
}

const KNOWN_VM_SIZES = new Set(['Standard_DS1_v2', 'Standard_DS2_v2', 'Standard_D2s_v3', 'Standard_D4s_v3', 'Standard_D8s_v3', 'Standard_E4s_v3', 'Standard_NC6s_v3']);

export class FakeArm {
  readonly swagger = new Swagger(new URL('managedClusters.json', FIXTURES));
  readonly requests: ReceivedRequest[] = [];
  readonly violations: string[] = [];
  /** GETs a resource (or operation) stays in progress after a PUT or DELETE; Infinity holds it there until `finishAll`. */
  pollsBeforeDone = 2;

  private readonly examples = {
    cluster: example('ManagedClustersGet').responses['200'].body,
    pool: example('AgentPoolsGet').responses['200'].body,
    spotPool: example('AgentPoolsCreate_Spot').responses['200'].body,
    credentials: example('ManagedClustersListClusterUserCredentials').responses['200'].body,
    deleteAccepted: example('AgentPoolsDelete').responses['202'].headers.location as string,
  };
  private readonly groups = new Map<string, { location: string; tags: Record<string, string>; provisioningState: string }>();
  private readonly clusters = new Map<string, Tracked>();
  private readonly pools = new Map<string, Tracked>();
  private readonly operations = new Map<string, PendingOperation>();
  private readonly faults: Fault[] = [];
  private readonly options: Required<FakeArmOptions>;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    /** An agent that trusts the fake's certificate: give it to the SDK clients. */
    readonly agent: Agent,
    options: FakeArmOptions,
  ) {
    this.options = {
      containerServiceApiVersion: this.swagger.apiVersion,
      kubernetesVersions: (example('KubernetesVersions_List').responses['200'].body.values as { version: string }[]).map((v) => v.version),
      ...options,
    };
  }

  /** Serves `certificate` (default: a new one), which a fake Entra ID of the same test can share, so that one agent trusts both. */
  static async start(options: FakeArmOptions, { cert, key }: TestCertificate = selfSignedCertificate()): Promise<FakeArm> {
    let fake: FakeArm | undefined;
    const server = createServer({ cert, key }, (req, res) => void fake!.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    fake = new FakeArm(server, `https://127.0.0.1:${port}`, new Agent({ ca: cert, keepAlive: false }), options);
    return fake;
  }

  async stop(): Promise<void> {
    this.agent.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  /** The next matching requests are answered with `fault` instead. */
  inject(fault: Fault): void {
    this.faults.push({ ...fault });
  }

  /** Lets every operation still in progress end after `polls` more GETs. */
  finishAll(polls = 0): void {
    this.pollsBeforeDone = 2;
    for (const t of [...this.clusters.values(), ...this.pools.values()]) t.pending = polls;
    for (const op of this.operations.values()) op.pending = polls;
  }

  /** What the fake cloud holds for a cluster: agent pools (the system pool aside) by name, with their counts. */
  inventory(group: string, cluster: string): { controlPlanes: number; nodePools: Record<string, number> } {
    const key = `${group}/${cluster}`.toLowerCase();
    const nodePools = [...this.pools.entries()].filter(([k]) => k.startsWith(`${key}/`)).map(([k, p]) => [k.slice(key.length + 1), p.body.properties?.count]);
    return { controlPlanes: this.clusters.has(key) ? 1 : 0, nodePools: Object.fromEntries(nodePools) };
  }

  clusterState(group: string, name: string): string | undefined {
    return this.clusters.get(`${group}/${name}`.toLowerCase())?.provisioningState;
  }

  /** Requests matching method and a path pattern, in order. */
  received(method: string, path: RegExp): ReceivedRequest[] {
    return this.requests.filter((r) => r.method === method && path.test(r.path));
  }

  groupTags(name: string): Record<string, string> | undefined {
    return this.groups.get(name.toLowerCase())?.tags;
  }

  /** A resource group made outside Flotilla (no createdBy tag). */
  addForeignGroup(name: string, location: string): void {
    this.groups.set(name.toLowerCase(), { location, tags: { owner: 'someone-else' }, provisioningState: 'Succeeded' });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url!, this.url);
    const text = await readBody(req);
    let body: any;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      return send(res, 400, { error: { code: 'InvalidRequestContent', message: 'The request content was invalid and could not be deserialized.' } });
    }
    const received: ReceivedRequest = {
      method: req.method!,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      ...(body !== undefined ? { body } : {}),
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
    };
    this.requests.push(received);

    const fault = this.faults.find((f) => (!f.method || f.method === req.method) && f.path.test(url.pathname) && (f.times ?? 1) > 0);
    if (fault) {
      if (fault.times !== undefined) fault.times--;
      return send(res, fault.status, fault.body, fault.headers);
    }
    try {
      this.route(received, url, res);
    } catch (err) {
      this.violations.push(`${received.method} ${received.path}: server error ${String(err)}`);
      send(res, 500, { error: { code: 'InternalServerError', message: String(err) } });
    }
  }

  private violation(res: ServerResponse, request: ReceivedRequest, problems: string[]): void {
    for (const p of problems) this.violations.push(`${request.method} ${request.path}?${new URLSearchParams(request.query)}: ${p}`);
    send(res, 400, { error: { code: 'ContractViolation', message: problems.join('; ') } });
  }

  private route(request: ReceivedRequest, url: URL, res: ServerResponse): void {
    const { method, path } = request;

    const operation = /^\/subscriptions\/[^/]+\/providers\/Microsoft\.(?:ContainerService\/locations\/[^/]+|Resources)\/operationresults\/([^/]+)$/i.exec(path);
    if (operation && method === 'GET') return this.pollOperation(operation[1]!, url, res);

    const group = /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)$/.exec(path);
    if (group) return this.resourceGroup(request, url, res, decodeURIComponent(group[2]!));

    const match = this.swagger.match(method, path);
    if (!match) return this.violation(res, request, ['no path in the swagger matches this request']);
    request.operationId = match.operationId;
    const problems = this.swagger.check(match, url.searchParams, request.body);
    if (url.searchParams.get('api-version') !== this.options.containerServiceApiVersion) {
      problems.push(`api-version ${url.searchParams.get('api-version')} is not ${this.options.containerServiceApiVersion}`);
    }
    if (problems.length) return this.violation(res, request, problems);

    const { resourceGroupName: rg, resourceName: cluster, agentPoolName: pool } = match.params as Record<string, string>;
    const clusterKey = `${rg}/${cluster}`.toLowerCase();
    const poolKey = `${rg}/${cluster}/${pool}`.toLowerCase();
    const base = `/subscriptions/${match.params.subscriptionId}/resourcegroups/${rg}/providers/Microsoft.ContainerService/managedClusters/${cluster}`;

    switch (match.operationId) {
      case 'ManagedClusters_Get': {
        const c = this.clusters.get(clusterKey);
        if (!c) return this.notFound(res, rg!, 'Microsoft.ContainerService/managedClusters', cluster!);
        return send(res, 200, this.renderCluster(c, base, cluster!));
      }
      case 'ManagedClusters_CreateOrUpdate': {
        if (!this.groups.has(rg!.toLowerCase())) return this.notFound(res, rg!);
        const invalid = this.validateCluster(request.body);
        if (invalid) return send(res, 400, invalid);
        const existing = this.clusters.get(clusterKey);
        const tracked: Tracked = { body: request.body, provisioningState: existing ? 'Updating' : 'Creating', pending: this.pollsBeforeDone };
        this.clusters.set(clusterKey, tracked);
        return send(res, existing ? 200 : 201, this.renderCluster(tracked, base, cluster!, false));
      }
      case 'ManagedClusters_Delete': {
        if (!this.groups.has(rg!.toLowerCase())) return this.notFound(res, rg!);
        const c = this.clusters.get(clusterKey);
        if (!c) return send(res, 204);
        c.provisioningState = 'Deleting';
        return this.accepted(res, match.params.subscriptionId!, () => {
          this.clusters.delete(clusterKey);
          for (const key of [...this.pools.keys()]) if (key.startsWith(`${clusterKey}/`)) this.pools.delete(key);
        });
      }
      case 'ManagedClusters_ListClusterUserCredentials': {
        if (!this.clusters.get(clusterKey)) return this.notFound(res, rg!, 'Microsoft.ContainerService/managedClusters', cluster!);
        return send(res, 200, this.examples.credentials);
      }
      case 'AgentPools_Get': {
        const p = this.pools.get(poolKey);
        if (!p) return this.notFound(res, rg!, 'Microsoft.ContainerService/managedClusters/agentPools', `${cluster}/${pool}`);
        return send(res, 200, this.renderPool(p, `${base}/agentPools/${pool}`, pool!));
      }
      case 'AgentPools_CreateOrUpdate': {
        if (!this.clusters.has(clusterKey)) return this.notFound(res, rg!, 'Microsoft.ContainerService/managedClusters', cluster!);
        const invalid = this.validatePool(request.body.properties ?? {}, 'properties');
        if (invalid) return send(res, 400, invalid);
        const existing = this.pools.get(poolKey);
        const tracked: Tracked = { body: request.body, provisioningState: existing ? 'Updating' : 'Creating', pending: this.pollsBeforeDone };
        this.pools.set(poolKey, tracked);
        return send(res, existing ? 200 : 201, this.renderPool(tracked, `${base}/agentPools/${pool}`, pool!, false));
      }
      case 'AgentPools_Delete': {
        if (!this.clusters.has(clusterKey)) return this.notFound(res, rg!, 'Microsoft.ContainerService/managedClusters', cluster!);
        const p = this.pools.get(poolKey);
        if (!p) return send(res, 204);
        p.provisioningState = 'Deleting';
        return this.accepted(res, match.params.subscriptionId!, () => this.pools.delete(poolKey));
      }
      case 'ManagedClusters_ListKubernetesVersions': {
        const location = match.params.location!;
        if (!LOCATIONS.has(location)) {
          return send(res, 400, {
            error: { code: 'LocationNotAvailableForResourceType', message: `The provided location '${location}' is not available for resource type 'Microsoft.ContainerService/locations/kubernetesVersions'.` },
          });
        }
        return send(res, 200, { values: this.options.kubernetesVersions.map(offeredVersion) });
      }
      default:
        return this.violation(res, request, [`the fake does not serve ${match.operationId}`]);
    }
  }

  /** ARM's resource group API (Microsoft.Resources, api-version of @azure/arm-resources). */
  private resourceGroup(request: ReceivedRequest, url: URL, res: ServerResponse, name: string): void {
    const problems: string[] = [];
    if (url.searchParams.get('api-version') !== this.options.resourcesApiVersion) {
      problems.push(`api-version ${url.searchParams.get('api-version')} is not ${this.options.resourcesApiVersion}`);
    }
    if (request.method === 'PUT') {
      // ResourceGroup in Microsoft.Resources' swagger: location (required), tags, managedBy, properties; the rest is read-only.
      for (const key of Object.keys(request.body ?? {})) if (!['location', 'tags', 'managedBy', 'properties'].includes(key)) problems.push(`body.${key}: unknown field`);
      if (typeof request.body?.location !== 'string') problems.push('body.location: required field missing');
    }
    if (problems.length) return this.violation(res, request, problems);

    const key = name.toLowerCase();
    const subscription = url.pathname.split('/')[2]!;
    const render = (g: { location: string; tags: Record<string, string>; provisioningState: string }) => ({
      id: `/subscriptions/${subscription}/resourceGroups/${name}`,
      name,
      type: 'Microsoft.Resources/resourceGroups',
      location: g.location,
      tags: g.tags,
      properties: { provisioningState: g.provisioningState },
    });
    const existing = this.groups.get(key);
    switch (request.method) {
      case 'GET':
        return existing ? send(res, 200, render(existing)) : this.notFound(res, name);
      case 'PUT': {
        const group = { location: request.body.location, tags: request.body.tags ?? {}, provisioningState: 'Succeeded' };
        this.groups.set(key, group);
        return send(res, existing ? 200 : 201, render(group));
      }
      case 'DELETE': {
        if (!existing) return this.notFound(res, name);
        existing.provisioningState = 'Deleting';
        return this.accepted(res, subscription, () => {
          this.groups.delete(key);
          // Deleting a group deletes what is in it.
          for (const map of [this.clusters, this.pools]) for (const k of [...map.keys()]) if (k.startsWith(`${key}/`)) map.delete(k);
        }, 'Microsoft.Resources');
      }
      default:
        return this.violation(res, request, [`the fake does not serve ${request.method} on resource groups`]);
    }
  }

  /** 202 with a Location to poll, shaped like the example's (AgentPoolsDelete.json), on this server. */
  private accepted(res: ServerResponse, subscription: string, finish: () => void, provider = 'Microsoft.ContainerService'): void {
    const id = randomUUID();
    this.operations.set(id, { pending: this.pollsBeforeDone, done: provider === 'Microsoft.Resources' ? 200 : 204, finish });
    const example = new URL(this.examples.deleteAccepted);
    const path =
      provider === 'Microsoft.Resources'
        ? `/subscriptions/${subscription}/providers/Microsoft.Resources/operationresults/${id}`
        : example.pathname.replace(/\/subscriptions\/[^/]+\//, `/subscriptions/${subscription}/`).replace(/operationresults\/[^/]+$/, `operationresults/${id}`);
    send(res, 202, undefined, { location: `${this.url}${path}${example.search}` });
  }

  private pollOperation(id: string, url: URL, res: ServerResponse): void {
    const op = this.operations.get(id);
    if (!op) return send(res, 404, { error: { code: 'NotFound', message: `operation ${id} not found` } });
    if (op.pending > 0) {
      op.pending--;
      return send(res, 202, undefined, { location: url.href });
    }
    // As on ARM, a finished operation's result stays readable: a poll that
    // arrives late (say, from an attempt cancelled mid-request) must not make
    // it vanish for the poller that resumes it.
    op.finish?.();
    delete op.finish;
    send(res, op.done);
  }

  /** ARM's 404 shape: ResourceGroupNotFound for a missing group, ResourceNotFound for a missing resource in it. */
  private notFound(res: ServerResponse, group: string, type?: string, name?: string): void {
    if (!this.groups.has(group.toLowerCase()) || !type) {
      return send(res, 404, { error: { code: 'ResourceGroupNotFound', message: `Resource group '${group}' could not be found.` } });
    }
    send(res, 404, { error: { code: 'ResourceNotFound', message: `The Resource '${type}/${name}' under resource group '${group}' was not found.` } });
  }

  /** One poll of a resource: in progress while `pending` lasts, then Succeeded. */
  private advance(t: Tracked): void {
    if (t.provisioningState === 'Deleting') return;
    if (t.pending > 0) t.pending--;
    else t.provisioningState = 'Succeeded';
  }

  private renderCluster(t: Tracked, id: string, name: string, poll = true): any {
    if (poll) this.advance(t);
    const example = structuredClone(this.examples.cluster);
    const { properties = {}, ...top } = t.body;
    return {
      ...example,
      ...top,
      id,
      name,
      properties: {
        ...example.properties,
        ...properties,
        provisioningState: t.provisioningState,
        currentKubernetesVersion: properties.kubernetesVersion,
      },
    };
  }

  private renderPool(t: Tracked, id: string, name: string, poll = true): any {
    if (poll) this.advance(t);
    const properties = t.body.properties ?? {};
    const example = structuredClone(properties.scaleSetPriority === 'Spot' ? this.examples.spotPool : this.examples.pool);
    // Fields the example has and the request left out stay the example's (e.g. osType); what was sent wins.
    return { ...example, id, name, properties: { ...example.properties, ...properties, provisioningState: t.provisioningState } };
  }

  /** What AKS itself refuses with a 400 (beyond the swagger): VM sizes and Kubernetes versions it does not offer. */
  private validateCluster(body: any): unknown {
    const version = body.properties?.kubernetesVersion;
    if (version && !this.options.kubernetesVersions.some((v) => version === v || version.startsWith(`${v}.`))) {
      return {
        error: {
          code: 'K8sVersionNotSupported',
          message: `Version ${version} is not supported in this region. Please use [az aks get-versions] command to get the supported version list in this region.`,
        },
      };
    }
    for (const [i, profile] of (body.properties?.agentPoolProfiles ?? []).entries()) {
      const invalid = this.validatePool(profile, `properties.agentPoolProfiles[${i}]`);
      if (invalid) return invalid;
    }
    return undefined;
  }

  private validatePool(properties: any, at: string): unknown {
    if (properties.vmSize && !KNOWN_VM_SIZES.has(properties.vmSize)) {
      return {
        error: {
          code: 'InvalidParameter',
          message: `The VM size of ${properties.vmSize} is not allowed in your subscription in location 'eastus'.`,
          target: `${at}.vmSize`,
        },
      };
    }
    return undefined;
  }
}

/** Locations the fake AKS has; `location1` is the one of Azure's own examples. */
const LOCATIONS = new Set(['eastus', 'eastus2', 'westus2', 'westeurope', 'northeurope', 'location1']);

/** A minor as KubernetesVersions_List answers it: the example's entry when it has one, else one patch with no upgrades. */
function offeredVersion(minor: string): unknown {
  const listed = (example('KubernetesVersions_List').responses['200'].body.values as { version: string }[]).find((v) => v.version === minor);
  return listed ?? { version: minor, capabilities: { supportPlan: ['KubernetesOfficial'] }, patchVersions: { [`${minor}.1`]: { upgrades: [] } } };
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** An answer as Azure's front ends give it: JSON, with a request ID. */
export function send(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  const payload = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(payload ? { 'content-type': 'application/json; charset=utf-8' } : {}),
    'x-ms-request-id': randomUUID(),
    ...headers,
  });
  res.end(payload);
}
