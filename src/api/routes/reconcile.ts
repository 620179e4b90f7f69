import type { Client } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { WORKFLOW_TASK_QUEUE } from '../../domain/ids.js';
import { reconcileWorkflow } from '../../workflows/reconcile.js';
import { FlotillaKind, FlotillaOrg } from '../../workflows/search-attributes.js';
import { orgPath, runLink, type Links } from '../links.js';
import type { Routes } from '../route-table.js';

/** POST /reconcile: a reconcile pass for the caller's org, now. */
export function reconcileRoutes(routes: Routes, client: Client, links: Links): void {
  routes.post('/reconcile', { summary: "Run a reconcile pass for the caller's organization now", responses: { 202: '{ workflowId, links }' } }, async (req, res) => {
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
}
