import { Router } from 'express';
import { coreApi } from '../../activities/kube/client.js';
import { observedNodePools } from '../../activities/kube/node-pools.js';
import type { SecretStore } from '../../activities/secrets/store.js';
import { providerInfo, withDefaults, type ClusterRequest, type ClusterSpec } from '../../domain/cluster.js';
import { addNodePoolUpdate, deleteClusterUpdate, removeNodePoolUpdate, updateNodePoolUpdate } from '../../workflows/messages.js';
import type { ClusterGateway } from '../cluster-gateway.js';
import { HttpError, invalid } from '../errors.js';
import type { KubeconfigSource } from '../kubeconfig.js';
import { requestIdOf } from '../request-id.js';
import { ClusterCreate, ClusterListQuery, dnsLabel, ForceQuery, NodePool, NodePoolUpdate } from '../schemas.js';
import { parse } from '../validate.js';

/** /clusters and /clusters/{name}/nodepools: validate, then hand over to the cluster entity. */
export function clusterRoutes(clusters: ClusterGateway, kubeconfigs: KubeconfigSource, secrets: SecretStore): Router {
  const router = Router({ mergeParams: true });
  const name = (params: Record<string, string>) => parse(dnsLabel, params.name, 'name');
  const pool = (params: Record<string, string>) => parse(dnsLabel, params.pool, 'pool');

  router.post('/clusters', async (req, res) => {
    const requestId = requestIdOf(req);
    const spec = withDefaults(parse(ClusterCreate, req.body) as ClusterRequest);
    if (spec.secretId) await checkSecret(secrets, req.org!, spec);
    res.status(202).json(await clusters.create(req.org!, spec, requestId));
  });

  router.get('/clusters', async (req, res) => {
    const filter = parse(ClusterListQuery, req.query);
    res.json({ items: await clusters.list(req.org!, filter) });
  });

  router.get('/clusters/:name', async (req, res) => {
    res.json(await clusters.get(req.org!, name(req.params)));
  });

  router.delete('/clusters/:name', async (req, res) => {
    const force = parse(ForceQuery, req.query).force === 'true';
    const requestId = requestIdOf(req);
    res.status(202).json(await clusters.update(req.org!, name(req.params), deleteClusterUpdate, { requestId, force }, requestId));
  });

  router.get('/clusters/:name/kubeconfig', async (req, res) => {
    const cluster = await clusters.get(req.org!, name(req.params));
    if (!['RUNNING', 'UPDATING', 'WARNING'].includes(cluster.status)) {
      throw new HttpError(409, 'conflict', `cluster '${cluster.name}' is ${cluster.status}; its kubeconfig is available once it is RUNNING`);
    }
    res.type('application/yaml').send(await kubeconfigs.kubeconfig(cluster));
  });

  router.get('/clusters/:name/nodepools', async (req, res) => {
    const cluster = await clusters.get(req.org!, name(req.params));
    if (providerInfo(cluster.provider).managesNodePools) return void res.json({ items: cluster.nodePools });
    // Not made by Flotilla: read the pools from the cluster's nodes, live and read-only.
    try {
      res.json({ items: await observedNodePools(coreApi(await kubeconfigs.kubeconfig(cluster))), readOnly: true });
    } catch (err) {
      throw new HttpError(502, 'cluster_unreachable', `cannot read the nodes of cluster '${cluster.name}': ${(err as Error).message}`);
    }
  });

  router.post('/clusters/:name/nodepools', async (req, res) => {
    const requestId = requestIdOf(req);
    const cluster = name(req.params);
    const body = parse(NodePool, req.body);
    res.status(202).json(await clusters.update(req.org!, cluster, addNodePoolUpdate, { requestId, pool: body }, requestId));
  });

  router.put('/clusters/:name/nodepools/:pool', async (req, res) => {
    const requestId = requestIdOf(req);
    const cluster = name(req.params);
    const changes = parse(NodePoolUpdate, req.body);
    res.status(202).json(await clusters.update(req.org!, cluster, updateNodePoolUpdate, { requestId, pool: pool(req.params), changes }, requestId));
  });

  router.delete('/clusters/:name/nodepools/:pool', async (req, res) => {
    const requestId = requestIdOf(req);
    const cluster = name(req.params);
    res.status(202).json(await clusters.update(req.org!, cluster, removeNodePoolUpdate, { requestId, pool: pool(req.params) }, requestId));
  });

  return router;
}

/** A cluster may name only a secret of its org, of the type its provider uses. */
async function checkSecret(secrets: SecretStore, org: string, spec: ClusterSpec): Promise<void> {
  const secret = await secrets.get(org, spec.secretId!);
  if (!secret) throw invalid([{ path: ['secretId'], message: `no secret '${spec.secretId}' in this organization` }]);
  const wanted = providerInfo(spec.provider).secret?.type;
  if (secret.type !== wanted) {
    throw invalid([{ path: ['secretId'], message: `secret '${secret.name}' holds ${secret.type} credentials; a ${spec.provider} cluster needs ${wanted ?? 'none'}` }]);
  }
}
