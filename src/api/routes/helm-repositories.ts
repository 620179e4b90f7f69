import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { z } from 'zod';
import { WORKFLOW_TASK_QUEUE } from '../../domain/ids.js';
import { helmRepositoriesWorkflow } from '../../workflows/helm-repositories.js';
import { addHelmRepositoryUpdate, type HelmRepository } from '../../workflows/messages.js';
import { FlotillaKind, FlotillaOrg } from '../../workflows/search-attributes.js';
import type { Egress } from '../../adapters/egress/egress.js';
import { checkEndpoint } from '../endpoint-check.js';
import { fromTemporal } from '../errors.js';
import { PageQuery, pageRequest, type Cursors } from '../pagination.js';
import type { Routes } from '../route-table.js';
import { dnsLabel } from '../schemas.js';

const HelmRepositoryCreate = z.strictObject({
  name: dnsLabel,
  url: z.url({ protocol: /^https?$/, error: 'an http(s) URL of a Helm chart repository' }).max(2048),
});

export const helmRepositoriesWorkflowId = (org: string) => `helmrepos/${org}`;

/** The org's Helm repositories, by name (empty when none was registered). */
export async function helmRepositories(client: Client, org: string): Promise<HelmRepository[]> {
  try {
    const description = await client.workflow.getHandle(helmRepositoriesWorkflowId(org)).describe();
    return (description.memo?.repositories as HelmRepository[] | undefined) ?? [];
  } catch (err) {
    const mapped = fromTemporal(err, 'helm repositories');
    if (mapped?.status === 404) return [];
    throw mapped ?? err;
  }
}

/** POST|GET /helm-repositories: charts named `<repo>/<chart>` resolve against these. */
export function helmRepositoryRoutes(routes: Routes, client: Client, cursors: Cursors, egress: Egress): void {
  routes.post(
    '/helm-repositories',
    { summary: 'Register a Helm chart repository', body: HelmRepositoryCreate, responses: { 201: { description: 'the repository', schema: HelmRepositoryCreate } } },
    async (req, res, { body: repository }) => {
      const org = req.org!;
      await checkEndpoint(egress, repository.url, ['url']);
      const start = new WithStartWorkflowOperation(helmRepositoriesWorkflow, {
        workflowId: helmRepositoriesWorkflowId(org),
        taskQueue: WORKFLOW_TASK_QUEUE,
        args: [{ org }],
        workflowIdConflictPolicy: 'USE_EXISTING',
        typedSearchAttributes: [
          { key: FlotillaOrg, value: org },
          { key: FlotillaKind, value: 'helmrepos' },
        ],
      });
      await client.workflow.executeUpdateWithStart(addHelmRepositoryUpdate, { args: [repository], startWorkflowOperation: start });
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
      res.json(cursors.pageOfList(await helmRepositories(client, req.org!), pageRequest(query), 'helm-repositories'));
    },
  );
}
