import { z } from 'zod';
import type { Egress } from '../../adapters/egress/egress.js';
import { checkEndpoint } from '../endpoint-check.js';
import type { HelmRepositoryGateway } from '../helm-repository-gateway.js';
import { PageQuery, pageRequest, type Cursors } from '../pagination.js';
import type { Routes } from '../route-table.js';
import { dnsLabel } from '../schemas.js';

const HelmRepositoryCreate = z.strictObject({
  name: dnsLabel,
  url: z.url({ protocol: /^https?$/, error: 'an http(s) URL of a Helm chart repository' }).max(2048),
});

/** POST|GET /helm-repositories: charts named `<repo>/<chart>` resolve against these. */
export function helmRepositoryRoutes(routes: Routes, repositories: HelmRepositoryGateway, cursors: Cursors, egress: Egress): void {
  routes.post(
    '/helm-repositories',
    { summary: 'Register a Helm chart repository', body: HelmRepositoryCreate, responses: { 201: { description: 'the repository', schema: HelmRepositoryCreate } } },
    async (req, res, { body: repository }) => {
      const org = req.org!;
      await checkEndpoint(egress, repository.url, ['url']);
      await repositories.add(org, repository);
      res.status(201).json(repository);
    },
  );
  routes.get(
    '/helm-repositories',
    {
      summary: 'List Helm chart repositories, in the order they were registered',
      query: PageQuery,
      responses: { 200: { description: '{ items: [repository], nextCursor? }', schema: z.object({ items: z.array(HelmRepositoryCreate), nextCursor: z.string().optional() }) } },
    },
    async (req, res, { query }) => {
      res.json(cursors.pageOfList(await repositories.list(req.org!), pageRequest(query), 'helm-repositories'));
    },
  );
}
