import type { TenantKubeconfigs } from '../../adapters/kubeconfig/tenant.js';
import { SecretNameTaken, type SecretStore } from '../../adapters/secrets/store.js';
import type { ClusterGateway } from '../cluster-gateway.js';
import { HttpError, notFound } from '../errors.js';
import { checkKubeconfig } from '../kubeconfig-check.js';
import { PageQuery, pageRequest, type Cursors } from '../pagination.js';
import type { Routes } from '../route-table.js';
import { SecretCreate, secretId } from '../schemas.js';

/** /secrets: credentials go in, never come out. */
export function secretRoutes(routes: Routes, secrets: SecretStore, clusters: ClusterGateway, cursors: Cursors, tenant: TenantKubeconfigs): void {
  routes.post(
    '/secrets',
    { summary: 'Store credentials', body: SecretCreate, responses: { 201: '{ id, name, type, createdAt }: never the values' }, errors: [409] },
    async (req, res, { body }) => {
      if (body.type === 'kubeconfig') await checkKubeconfig(body.values.kubeconfig, tenant);
      // The store decides, atomically: of concurrent creates of one name, one wins.
      const info = await secrets.create(req.org!, body.name, body.type, body.values as never).catch((err: unknown) => {
        throw err instanceof SecretNameTaken ? new HttpError(409, 'conflict', err.message) : err;
      });
      res.status(201).json(info);
    },
  );

  routes.get('/secrets', { summary: 'List secrets (names and types), by name', query: PageQuery, responses: { 200: '{ items: [secret], nextCursor? }' } }, async (req, res, { query }) => {
    res.json(cursors.pageOfList(await secrets.list(req.org!), pageRequest(query), 'secrets'));
  });

  routes.delete('/secrets/:id', { summary: 'Delete a secret', params: { id: secretId }, responses: { 204: 'deleted' }, errors: [409] }, async (req, res, { params: { id } }) => {
    if (!(await secrets.get(req.org!, id))) throw notFound(`secret '${id}'`);
    // Credentials, or a proxy's CA or user: AKS reads them again when the control plane is made or upgraded again.
    const users = (await clusters.list(req.org!, {}))
      .filter((c) => [c.secretId, c.network?.httpProxy?.trustedCaSecretId, c.network?.httpProxy?.credentialsSecretId].includes(id))
      .map((c) => c.name);
    if (users.length) throw new HttpError(409, 'conflict', `secret '${id}' is used by cluster(s) ${users.join(', ')}`);
    await secrets.delete(req.org!, id);
    res.status(204).end();
  });
}
