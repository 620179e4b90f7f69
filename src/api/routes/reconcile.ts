import { orgPath, runLink, type Links } from '../links.js';
import type { ReconcileGateway } from '../reconcile-gateway.js';
import type { Routes } from '../route-table.js';

/** POST /reconcile: a reconcile pass for the caller's org, now. */
export function reconcileRoutes(routes: Routes, reconcile: ReconcileGateway, links: Links): void {
  routes.post('/reconcile', { summary: "Run a reconcile pass for the caller's organization now", responses: { 202: '{ workflowId, links }' } }, async (req, res) => {
    const workflowId = await reconcile.startPass(req.org!);
    const run = runLink(links, workflowId);
    res.status(202).json({ workflowId, links: { self: `${orgPath(req.org!)}/reconcile`, ...(run ? { run } : {}) } });
  });
}
