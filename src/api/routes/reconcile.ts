import type { Client } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { WORKFLOW_TASK_QUEUE } from '../../domain/ids.js';
import { reconcileWorkflow } from '../../workflows/reconcile.js';
import { FlotillaKind, FlotillaOrg } from '../../workflows/search-attributes.js';
import { orgPath, runLink, type Links } from '../links.js';

/** POST /reconcile: a reconcile pass for the caller's org, now. */
export function reconcileRoutes(client: Client, links: Links): Router {
  const router = Router({ mergeParams: true });
  router.post('/reconcile', async (req, res) => {
    const workflowId = `reconcile/${req.org}/${randomUUID()}`;
    await client.workflow.start(reconcileWorkflow, {
      workflowId,
      taskQueue: WORKFLOW_TASK_QUEUE,
      args: [{ org: req.org! }],
      typedSearchAttributes: [
        { key: FlotillaOrg, value: req.org! },
        { key: FlotillaKind, value: 'reconcile' },
      ],
    });
    const run = runLink(links, workflowId);
    res.status(202).json({ workflowId, links: { self: `${orgPath(req.org!)}/reconcile`, ...(run ? { run } : {}) } });
  });
  return router;
}
