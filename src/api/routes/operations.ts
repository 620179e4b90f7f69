import { Router } from 'express';
import { parseOperationId } from '../../domain/ids.js';
import type { ClusterGateway } from '../cluster-gateway.js';
import { notFound } from '../errors.js';

export function operationRoutes(clusters: ClusterGateway): Router {
  const router = Router({ mergeParams: true });
  router.get('/operations/:id', async (req, res) => {
    const id = parseOperationId(req.params.id);
    if (!id || id.kind !== 'cluster') throw notFound(`operation '${req.params.id}'`);
    res.json(await clusters.operation(req.org!, id.name, req.params.id));
  });
  return router;
}
