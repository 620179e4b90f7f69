import type { Client } from '@temporalio/client';
import type { SecretStore } from '../adapters/secrets/store.js';
import express, { type Express } from 'express';
import { TokenTable, requireOrg } from './auth.js';
import { ClusterGateway } from './cluster-gateway.js';
import { errorHandler, notFound } from './errors.js';
import type { Links } from './links.js';
import { clusterRoutes } from './routes/clusters.js';
import { operationRoutes } from './routes/operations.js';
import { secretRoutes } from './routes/secrets.js';
import { groupRoutes } from './routes/groups.js';
import { reconcileRoutes } from './routes/reconcile.js';
import { helmRepositoryRoutes } from './routes/helm-repositories.js';
import { codecRoutes, type CodecEndpoint } from './routes/codec.js';
import { healthRoutes } from './routes/health.js';
import { whoamiRoutes } from './routes/whoami.js';
import { economicsRoutes } from './routes/economics.js';
import { profileRoutes } from './routes/profiles.js';
import { ProfileGateway } from './profile-gateway.js';
import { Recommender } from './recommender.js';
import { RouteTable } from './route-table.js';
import { openApiRoute, serveDocs } from './docs.js';
import { z } from 'zod';
import { GroupGateway } from './group-gateway.js';
import { HealthGateway } from './health-gateway.js';
import { HelmRepositoryGateway } from './helm-repository-gateway.js';
import { ReconcileGateway } from './reconcile-gateway.js';
import { SizingGateway } from './sizing-gateway.js';
import { VersionsGateway } from './versions-gateway.js';
import { kubernetesVersionsRoutes } from './routes/kubernetes-versions.js';
import { observeRequests } from './observe-requests.js';
import { ApiMetrics } from '../observability/api-metrics.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { serveScrape } from '../observability/metrics-endpoint.js';
import type { Registry } from 'prom-client';
import type { ClusterAccess } from '../adapters/cluster-access.js';
import type { Egress } from '../adapters/egress/egress.js';
import type { TenantKubeconfigs } from '../adapters/kubeconfig/tenant.js';
import { rejectDeepBodies } from './body-limits.js';
import { rateLimitPerToken } from './rate-limit.js';
import { DEFAULT_ACCEPT_CAPACITY, DEFAULT_LIST_CACHE_MS, DEFAULT_MAX_BODY_BYTES, type RateLimit } from '../config.js';
import { AcceptGate } from './accept-gate.js';
import { Cursors } from './pagination.js';

export interface AppOptions {
  client: Client;
  tokens: TokenTable;
  links: Links;
  secrets: SecretStore;
  /** What the API reads from clusters itself: kubeconfig downloads, imported pools, live release status, dry runs. */
  clusterAccess: ClusterAccess;
  /** The way out to what tenants name (kubeconfig servers, chart repositories, registries). */
  egress: Egress;
  tenantKubeconfigs: TenantKubeconfigs;
  /** The remote codec endpoint for the Temporal Web UI and CLI, at /codec. */
  codec: CodecEndpoint;
  /**
   * Keys that sign list cursors, oldest first: the last signs, any verifies.
   * Replicas given the same keys take each other's cursors (deriveCursorKeys makes them from the codec keys).
   */
  cursorKeys: readonly Buffer[];
  /** Default: no logs, metrics of its own. */
  observability?: ApiObservability;
  /** Largest request body; default 1 MiB. */
  maxBodyBytes?: number;
  /** Requests per bearer token; unlimited when absent. */
  rateLimit?: RateLimit;
  /** How long readers share an answer of the cluster list (ms); default one second, 0: not shared. */
  listCacheMs?: number;
  /** Accepts in flight to Temporal at once before a 429 (AcceptGate); default DEFAULT_ACCEPT_CAPACITY. */
  acceptCapacity?: number;
  /** Runs recommendation searches off the event loop; default: a thread of its own, started on first use. */
  recommender?: Recommender;
  /** Directories local charts of deployments must lie under; when absent, only repository and OCI charts deploy. */
  chartRoots?: readonly string[];
}

export interface ApiObservability {
  /** Request log lines (and 5xx errors) go here. */
  logger: Logger;
  /** Served on GET /metrics; the client's interceptor counts into them too. */
  metrics: ApiMetrics;
  /** More registries GET /metrics serves (the embedded default adds its worker's). */
  moreMetrics?: Registry[];
  /** A bearer token GET /metrics asks for; unset: no auth. */
  metricsToken?: string;
}

/** The HTTP API (docs/architecture.md, decision 7): validate, authorise, translate to Temporal, map errors. */
export function createApp(options: AppOptions): Express {
  const { client, tokens, links, clusterAccess, secrets, codec, observability = quiet() } = options;
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(observeRequests(observability.logger, observability.metrics));
  const scraped = [observability.metrics.registry, observability.metrics.process, ...(observability.moreMetrics ?? [])];
  app.get('/metrics', (req, res) => serveScrape(scraped, observability.metricsToken, req, res));
  // Only where tokens count (the API, the codec endpoint): health probes and the document are never throttled.
  if (options.rateLimit) app.use(['/api/v1', '/codec'], rateLimitPerToken(options.rateLimit, (token) => tokens.orgOf(token) !== undefined));
  app.use(express.json({ limit: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES }), rejectDeepBodies);

  // Every route is declared once in the table: it registers the handler and describes it in /openapi.json.
  const table = new RouteTable();
  const open = table.scope('', { auth: false });
  healthRoutes(open, new HealthGateway(client));
  openApiRoute(open, table);
  open.mountOn(app);
  serveDocs(app);

  const v1 = table.scope('/api/v1', { auth: true });
  whoamiRoutes(v1, tokens);
  v1.mountOn(app);

  const cursors = new Cursors(options.cursorKeys);
  const clusters = new ClusterGateway(client, links, cursors, options.listCacheMs ?? DEFAULT_LIST_CACHE_MS);
  observability.metrics.readCostsFrom(() => clusters.costs());
  // Another org's resources are absent to a token (404), as is an org that is not the token's.
  const org = table.scope('/api/v1/orgs/:org', { auth: true, params: { org: z.string() }, errors: [404] });
  org.router.use(requireOrg(tokens));
  clusterRoutes(org, clusters, clusterAccess, secrets, cursors, new AcceptGate(options.acceptCapacity ?? DEFAULT_ACCEPT_CAPACITY));
  secretRoutes(org, secrets, clusters, cursors, options.tenantKubeconfigs);
  reconcileRoutes(org, new ReconcileGateway(client), links);
  const repositories = new HelmRepositoryGateway(client);
  helmRepositoryRoutes(org, repositories, cursors, options.egress);
  const profiles = new ProfileGateway(client);
  profileRoutes(org, profiles, cursors);
  const groups = new GroupGateway(client, links, clusterAccess, cursors, profiles);
  groupRoutes(org, groups, clusters, clusterAccess, repositories, options.chartRoots ?? [], options.egress, profiles);
  operationRoutes(org, clusters, groups);
  economicsRoutes(org, options.recommender ?? new Recommender(), {
    sizing: new SizingGateway(client),
    groups,
    repositories,
    chartRoots: options.chartRoots ?? [],
    egress: options.egress,
  });
  kubernetesVersionsRoutes(org, new VersionsGateway(client), secrets);
  org.mountOn(app);
  app.use('/codec', codecRoutes(codec, tokens));

  app.use((req) => {
    throw notFound(`route ${req.method} ${req.path}`);
  });
  app.use(errorHandler);
  return app;
}

function quiet(): ApiObservability {
  return { logger: createLogger({ level: 'silent' }), metrics: new ApiMetrics() };
}
