import type { ClusterAccess } from '../../adapters/cluster-access.js';
import type { SecretStore } from '../../adapters/secrets/store.js';
import { instanceTypeProblems } from '../../domain/catalogue/provider-types.js';
import { providerInfo, withDefaults, type ClusterRequest } from '../../domain/cluster.js';
import type { AcceptGate } from '../accept-gate.js';
import type { ClusterGateway } from '../cluster-gateway.js';
import { kwokVersionProblem } from '../../adapters/providers/kwok/versions.js';
import { HttpError, invalid } from '../errors.js';
import { kubeconfigAnswer } from '../kubeconfig.js';
import { checkSecret } from '../secret-reference.js';
import { PageQuery, pageRequest, type Cursors } from '../pagination.js';
import type { Routes } from '../route-table.js';
import { ClusterCreate, ClusterListQuery, ClusterPatch, dnsLabel, ForceQuery, NodePool, NodePoolUpdate } from '../schemas.js';

/** /clusters and /clusters/{name}/nodepools: validate, then hand over to the cluster entity (changes through `gate`: 429 past its capacity). */
export function clusterRoutes(routes: Routes, clusters: ClusterGateway, access: ClusterAccess, secrets: SecretStore, cursors: Cursors, gate: AcceptGate): void {
  const cluster = { name: dnsLabel };
  const pool = { name: dnsLabel, pool: dnsLabel };
  const accepted = { 202: 'accepted: the operation, queued on the cluster, with links to follow it' };

  routes.post(
    '/clusters',
    { summary: 'Create a cluster', body: ClusterCreate, idempotencyKey: true, responses: { 202: 'accepted: the create operation' }, errors: [409] },
    async (req, res, { body, requestId }) => {
      const spec = withDefaults(body as ClusterRequest);
      if (spec.provider === 'kwok') refuseUnbuiltKwokVersion(spec.kubernetesVersion);
      if (spec.secretId) await checkSecret(secrets, req.org!, spec.secretId, ['secretId'], providerInfo(spec.provider).secret?.type, `a ${spec.provider} cluster`);
      const caId = spec.network?.httpProxy?.trustedCaSecretId;
      if (caId) await checkSecret(secrets, req.org!, caId, ['network', 'httpProxy', 'trustedCaSecretId'], 'proxy-ca', "a proxy's CA");
      const userId = spec.network?.httpProxy?.credentialsSecretId;
      if (userId) await checkSecret(secrets, req.org!, userId, ['network', 'httpProxy', 'credentialsSecretId'], 'proxy-credentials', "a proxy's credentials");
      res.status(202).json(await clusters.create(req.org!, spec, requestId));
    },
  );

  routes.get(
    '/clusters',
    { summary: 'List clusters, newest first; selector filters by labels', query: ClusterListQuery, responses: { 200: '{ items: [cluster, each with its cost], nextCursor? }' } },
    async (req, res, { query: { limit, cursor, ...filter } }) => {
      res.type('json').send(await clusters.page(req.org!, filter, pageRequest({ limit, cursor })));
    },
  );

  routes.get('/clusters/:name', { summary: 'Get a cluster', params: cluster, responses: { 200: 'the cluster: status, pools, running operation, cost { hourly, monthly, currency, priceDate, unpriced, ... }, links' } }, async (req, res, { params }) => {
    res.json(await clusters.get(req.org!, params.name));
  });

  routes.patch(
    '/clusters/:name',
    {
      summary: "Change a cluster's labels, or upgrade its Kubernetes version",
      description:
        "labels are merged into the cluster's (a null value removes one); selector groups follow at once. Keys under flotilla.io/ are set by Flotilla. " +
        'kubernetesVersion queues an upgrade: the control plane, then each node pool in turn (a new node first, then each old one cordoned and drained through the Eviction API, ' +
        'PodDisruptionBudgets respected). One minor at a time and never down (400); the version the cluster has already is a 409.',
      params: cluster,
      body: ClusterPatch,
      idempotencyKey: true,
      responses: { 200: 'the cluster, relabelled', 202: 'accepted: the upgrade operation, queued on the cluster, with links to follow it' },
      errors: [409],
    },
    async (req, res, { params, body, requestId }) => {
      if (body.kubernetesVersion === undefined) return void res.json(await clusters.setLabels(req.org!, params.name, body.labels!, requestId));
      if ((await clusters.get(req.org!, params.name)).provider === 'kwok') refuseUnbuiltKwokVersion(body.kubernetesVersion);
      res.status(202).json(await clusters.upgrade(req.org!, params.name, body.kubernetesVersion, requestId));
    },
  );

  routes.delete(
    '/clusters/:name',
    {
      summary: 'Delete a cluster',
      description: 'force=true cancels a running operation and the queue, deletes what can be deleted and reports the rest.',
      params: cluster,
      query: ForceQuery,
      idempotencyKey: true,
      responses: accepted,
      errors: [409],
    },
    async (req, res, { params, query, requestId }) => {
      res.status(202).json(await gate.run(() => clusters.deleteCluster(req.org!, params.name, query.force === 'true', requestId)));
    },
  );

  routes.get(
    '/clusters/:name/kubeconfig',
    { summary: "A running cluster's kubeconfig", params: cluster, responses: { 200: { description: 'kubeconfig YAML', contentType: 'application/yaml' } }, errors: [409, 501] },
    async (req, res, { params }) => {
      const view = await clusters.get(req.org!, params.name);
      if (!['RUNNING', 'UPDATING', 'WARNING'].includes(view.status)) {
        throw new HttpError(409, 'conflict', `cluster '${view.name}' is ${view.status}; its kubeconfig is available once it is RUNNING`);
      }
      res.type('application/yaml').send(await access.download(view).catch(kubeconfigAnswer));
    },
  );

  routes.get(
    '/clusters/:name/nodepools',
    { summary: "A cluster's node pools", params: cluster, query: PageQuery, responses: { 200: '{ items: [pool], nextCursor?, readOnly? }' }, errors: [502] },
    async (req, res, { params, query }) => {
      const view = await clusters.get(req.org!, params.name);
      const page = (pools: unknown[]) => cursors.pageOfList(pools, pageRequest(query), `nodepools:${view.name}`);
      if (providerInfo(view.provider).managesNodePools) return void res.json(page(view.nodePools));
      // Not made by Flotilla: read the pools from the cluster's nodes, live and read-only.
      let observed;
      try {
        observed = await access.observedPools(view);
      } catch (err) {
        throw new HttpError(502, 'cluster_unreachable', `cannot read the nodes of cluster '${view.name}': ${(err as Error).message}`);
      }
      res.json({ ...page(observed), readOnly: true });
    },
  );

  routes.post(
    '/clusters/:name/nodepools',
    { summary: 'Add a node pool', params: cluster, body: NodePool, idempotencyKey: true, responses: accepted, errors: [409] },
    async (req, res, { params, body, requestId }) => {
      // The entity checks the rest; instance types are checked here, where the catalogue is. A provider
      // that does not make pools (imported) has no type to check: the entity refuses any new pool (409).
      const added = await gate.run(async () => {
        const target = await clusters.get(req.org!, params.name);
        const problems = providerInfo(target.provider).managesNodePools ? instanceTypeProblems(target, body) : [];
        if (problems.length) throw invalid(problems);
        return clusters.addNodePool(req.org!, params.name, body, requestId);
      });
      res.status(202).json(added);
    },
  );

  routes.put(
    '/clusters/:name/nodepools/:pool',
    {
      summary: 'Change a node pool (count, min/max, autoscaling, labels, taints)',
      description:
        'Checked against the cluster as last published, then handed to its workflow without waiting for it: the 202 names operation cluster.<name>.r.<request ID>, which the cluster records QUEUED, or FAILED with the reason when its own check refuses the change. 429 with Retry-After past the API\'s capacity for changes (FLOTILLA_ACCEPT_CAPACITY).',
      params: pool,
      body: NodePoolUpdate,
      idempotencyKey: true,
      responses: accepted,
      errors: [409],
    },
    async (req, res, { params, body, requestId }) => {
      res.status(202).json(await gate.run(() => clusters.updateNodePool(req.org!, params.name, params.pool, body, requestId)));
    },
  );

  routes.delete(
    '/clusters/:name/nodepools/:pool',
    { summary: 'Remove a node pool', params: pool, idempotencyKey: true, responses: accepted, errors: [409] },
    async (req, res, { params, requestId }) => {
      res.status(202).json(await gate.run(() => clusters.removeNodePool(req.org!, params.name, params.pool, requestId)));
    },
  );
}

/** A cluster may name only secrets of its org, each of the type its field takes. */
/** KWOK runs only the releases built for it: another version is a 400 now rather than a failed operation later. */
function refuseUnbuiltKwokVersion(version: string): void {
  const problem = kwokVersionProblem(version);
  if (problem) throw invalid([problem], problem.message);
}
