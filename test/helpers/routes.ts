import type { Express } from 'express';

export interface AppRoute {
  method: string;
  /** The full path in express syntax, e.g. `/api/v1/orgs/:org/clusters/:name`. */
  path: string;
}

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  rawPath?: string | string[];
}

const joinPath = (...parts: string[]) => parts.join('/').replace(/\/+/g, '/').replace(/(.)\/$/, '$1');

/** Every route registered on an express app, nested routers included, read from its router: what the app really serves. */
export function appRoutes(app: Express): AppRoute[] {
  const walk = (stack: Layer[], prefix: string): AppRoute[] =>
    stack.flatMap((layer) => {
      if (layer.route) {
        const methods = Object.keys(layer.route.methods).filter((m) => m !== '_all');
        return [layer.route.path].flat().flatMap((path) => methods.map((m) => ({ method: m.toUpperCase(), path: joinPath(prefix, path) })));
      }
      if (layer.handle?.stack) return [layer.rawPath ?? '/'].flat().flatMap((mount) => walk(layer.handle!.stack!, joinPath(prefix, mount)));
      return [];
    });
  return walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
}
