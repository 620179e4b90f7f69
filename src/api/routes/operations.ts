import { z } from 'zod';
import { parseOperationId } from '../../domain/ids.js';
import type { ClusterGateway } from '../cluster-gateway.js';
import { notFound } from '../errors.js';
import type { GroupGateway } from '../group-gateway.js';
import type { Routes } from '../route-table.js';

/** GET /operations/{id}: the ID names its entity (`cluster.<name>.<n>`, `deployment.<group>.<release>.<n>`). */
export function operationRoutes(routes: Routes, clusters: ClusterGateway, groups: GroupGateway): void {
  routes.get(
    '/operations/:id',
    {
      summary: 'An operation of a cluster or a deployment',
      description: 'Cluster operations: state, steps, totalSteps, currentStep, error. Deployment operations: state, results per target, targets, error.',
      params: { id: z.string().max(200) },
      responses: { 200: 'the operation, with Web UI link' },
    },
    async (req, res, { params }) => {
      const id = parseOperationId(params.id);
      if (!id) throw notFound(`operation '${params.id}'`);
      if (id.kind === 'cluster') return void res.json(await clusters.operation(req.org!, id.name, params.id));
      res.json(await groups.deploymentOperation(req.org!, id.group, id.release, params.id));
    },
  );
}
