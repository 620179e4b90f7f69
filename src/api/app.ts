import type { Client } from '@temporalio/client';
import type { SecretStore } from '../activities/secrets/store.js';
import express, { type Express } from 'express';
import { TokenTable, requireOrg } from './auth.js';
import { ClusterGateway } from './cluster-gateway.js';
import { errorHandler, notFound } from './errors.js';
import type { KubeconfigSource } from './kubeconfig.js';
import type { Links } from './links.js';
import { clusterRoutes } from './routes/clusters.js';
import { operationRoutes } from './routes/operations.js';
import { secretRoutes } from './routes/secrets.js';
import { groupRoutes } from './routes/groups.js';
import { reconcileRoutes } from './routes/reconcile.js';
import { helmRepositoryRoutes } from './routes/helm-repositories.js';
import { GroupGateway } from './group-gateway.js';
import type { Helm } from '../activities/helm/helm.js';

export interface AppOptions {
  client: Client;
  tokens: TokenTable;
  links: Links;
  kubeconfigs: KubeconfigSource;
  secrets: SecretStore;
  helm: Helm;
}

/** The HTTP API (DESIGN decision 7): validate, authorise, translate to Temporal, map errors. */
export function createApp({ client, tokens, links, kubeconfigs, secrets, helm }: AppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(express.json({ limit: '1mb' }));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      await client.workflowService.getSystemInfo({});
      res.json({ status: 'ready', temporal: 'reachable' });
    } catch (err) {
      res.status(503).json({ status: 'not ready', temporal: `unreachable: ${(err as Error).message}` });
    }
  });

  const clusters = new ClusterGateway(client, links);
  const org = express.Router({ mergeParams: true });
  org.use(requireOrg(tokens));
  org.use(clusterRoutes(clusters, kubeconfigs, secrets));
  org.use(secretRoutes(secrets, clusters));
  org.use(reconcileRoutes(client, links));
  org.use(helmRepositoryRoutes(client));
  org.use(groupRoutes(new GroupGateway(client, links, helm, kubeconfigs), clusters, helm, client));
  org.use(operationRoutes(clusters));
  app.use('/api/v1/orgs/:org', org);

  app.use((req) => {
    throw notFound(`route ${req.method} ${req.path}`);
  });
  app.use(errorHandler);
  return app;
}
