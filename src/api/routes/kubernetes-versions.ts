import type { SecretStore } from '../../adapters/secrets/store.js';
import { PROVIDERS, providerInfo } from '../../domain/cluster.js';
import type { Routes } from '../route-table.js';
import { checkSecret } from '../secret-reference.js';
import { KubernetesVersionsQuery } from '../schemas.js';
import type { VersionsGateway } from '../versions-gateway.js';

/** The Kubernetes versions a provider offers, read by its adapter on its own task queue. */
export function kubernetesVersionsRoutes(routes: Routes, versions: VersionsGateway, secrets: SecretStore): void {
  routes.get(
    '/kubernetes-versions',
    {
      summary: 'The Kubernetes versions a provider offers in a region, and where each may be upgraded to',
      description:
        'Each version with `upgradesTo`: the offered versions a cluster at it may be upgraded to with PATCH /clusters/{name}, a later patch or the next minor (one minor at a time, never down). ' +
        '`default` marks the version a create that names none gets. A create or upgrade of a KWOK cluster at a version not listed is a 400. ' +
        "The lists of EKS, GKE and AKS are those of the account, project or subscription of the secret `secretId` names, else of the worker's default credentials.",
      query: KubernetesVersionsQuery,
      responses: { 200: '{ provider, region, versions: [{ version, default?, upgradesTo: [version] }] }' },
      errors: [503],
    },
    async (req, res, { query: { provider, region: asked, secretId } }) => {
      const region = asked ?? PROVIDERS[provider].defaultRegion;
      // Only its ID goes on: the worker reads the values inside the activity, out of workflow history.
      if (secretId) await checkSecret(secrets, req.org!, secretId, ['secretId'], providerInfo(provider).secret?.type, `reading ${provider}'s versions`);
      res.json({ provider, region, versions: await versions.list({ provider, org: req.org!, region, ...(secretId ? { secretId } : {}) }) });
    },
  );
}
