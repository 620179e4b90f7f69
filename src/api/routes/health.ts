import type { HealthGateway } from '../health-gateway.js';
import type { Routes } from '../route-table.js';

/** Liveness and readiness, without a token. */
export function healthRoutes(routes: Routes, health: HealthGateway): void {
  routes.get('/healthz', { summary: 'Liveness', responses: { 200: '{ status: "ok" }' } }, (_req, res) => {
    res.json({ status: 'ok' });
  });
  routes.get('/readyz', { summary: 'Readiness: Temporal is reachable', responses: { 200: '{ status: "ready" }', 503: '{ status: "not ready", temporal: reason }' } }, async (_req, res) => {
    try {
      await health.checkTemporal();
      res.json({ status: 'ready', temporal: 'reachable' });
    } catch (err) {
      res.status(503).json({ status: 'not ready', temporal: `unreachable: ${(err as Error).message}` });
    }
  });
}
