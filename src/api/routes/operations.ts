import { z } from 'zod';
import { parseOperationId } from '../../domain/ids.js';
import type { ClusterGateway } from '../cluster-gateway.js';
import { notFound } from '../errors.js';
import type { Routes } from '../route-table.js';

export function operationRoutes(routes: Routes, clusters: ClusterGateway): void {
  routes.get(
    '/operations/:id',
    { summary: 'An operation: state, steps, current step, error, Web UI link', params: { id: z.string().max(200) }, responses: { 200: 'the operation' } },
    async (req, res, { params }) => {
      const id = parseOperationId(params.id);
      if (!id || id.kind !== 'cluster') throw notFound(`operation '${params.id}'`);
      res.json(await clusters.operation(req.org!, id.name, params.id));
    },
  );
}
