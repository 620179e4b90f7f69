import type { RequestHandler, Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import type { ApiMetrics } from '../observability/api-metrics.js';
import type { Logger } from '../observability/logger.js';

declare module 'express-serve-static-core' {
  interface Request {
    /** The request ID: the caller's X-Request-Id when it is tame, else a new UUID. */
    id?: string;
    /** A logger whose lines carry the request ID. */
    log?: Logger;
  }
}

/** The codec endpoint takes the Web UI's token in its path (routes/codec.ts); it never reaches a log line. */
const TOKEN_IN_PATH = /^(\/codec\/)[^/?]+(?=\/)/;

/** A caller's request ID is echoed and logged, so it must be short and printable. */
const CALLER_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * One log line and one metrics sample per request, labelled with the route
 * pattern (`/api/v1/orgs/:org/clusters/:name`), never the raw path. Every
 * response carries X-Request-Id. Headers and bodies are not logged.
 */
export function observeRequests(logger: Logger, metrics: ApiMetrics): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const caller = req.get('x-request-id');
    const id = caller && CALLER_REQUEST_ID.test(caller) ? caller : randomUUID();
    req.id = id;
    req.log = logger.child({ reqId: id });
    res.setHeader('X-Request-Id', id);
    res.once('close', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeOf(req, res);
      const status = res.statusCode;
      metrics.observeRequest(req.method, route, status, seconds);
      const line = {
        method: req.method,
        url: req.originalUrl.replace(TOKEN_IN_PATH, '$1[REDACTED]'),
        route,
        ...(req.org ? { org: req.org } : {}),
        status,
        durationMs: Math.round(seconds * 1000),
        ...(res.writableFinished ? {} : { aborted: true }),
      };
      // A client's mistake (4xx) is the client's to act on; the API's own failures are errors.
      req.log![status >= 500 ? 'error' : 'info'](line, 'request completed');
    });
    next();
  };
}

/** Where a route is matched under a prefix, its handler records the whole pattern here for the label. */
export function recordRoute(res: Response, pattern: string): void {
  res.locals.route = pattern;
}

/** The route pattern; requests that match none, or are refused before reaching one (a 401), share one label. */
function routeOf(req: Request, res: Response): string {
  const recorded = res.locals.route as string | undefined;
  const path = (req.route as { path?: unknown } | undefined)?.path;
  return recorded ?? (typeof path === 'string' ? path : 'unmatched');
}
