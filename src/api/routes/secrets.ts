import { Router } from 'express';
import type { SecretStore } from '../../activities/secrets/store.js';
import type { ClusterGateway } from '../cluster-gateway.js';
import { HttpError, notFound } from '../errors.js';
import { checkKubeconfig } from '../kubeconfig-check.js';
import { SecretCreate, secretId } from '../schemas.js';
import { parse } from '../validate.js';

/** /secrets: credentials go in, never come out. */
export function secretRoutes(secrets: SecretStore, clusters: ClusterGateway): Router {
  const router = Router({ mergeParams: true });

  router.post('/secrets', async (req, res) => {
    const body = parse(SecretCreate, req.body);
    if ((await secrets.list(req.org!)).some((s) => s.name === body.name)) {
      throw new HttpError(409, 'conflict', `a secret named '${body.name}' already exists`);
    }
    if (body.type === 'kubeconfig') await checkKubeconfig(body.values.kubeconfig);
    const info = await secrets.create(req.org!, body.name, body.type, body.values as never);
    res.status(201).json(info);
  });

  router.get('/secrets', async (req, res) => {
    res.json({ items: await secrets.list(req.org!) });
  });

  router.delete('/secrets/:id', async (req, res) => {
    const id = parse(secretId, req.params.id, 'id');
    if (!(await secrets.get(req.org!, id))) throw notFound(`secret '${id}'`);
    const users = (await clusters.list(req.org!, {})).filter((c) => c.secretId === id).map((c) => c.name);
    if (users.length) throw new HttpError(409, 'conflict', `secret '${id}' is used by cluster(s) ${users.join(', ')}`);
    await secrets.delete(req.org!, id);
    res.status(204).end();
  });

  return router;
}
