import { Router, type Express, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Problem } from '../domain/problems.js';
import { HttpError, invalid, zodProblems } from './errors.js';
import { requestIdOf } from './request-id.js';
import { recordRoute } from './observe-requests.js';

// Every route is declared once, with its schemas: the declaration registers the
// express handler, validates the request with those schemas, and is what the
// OpenAPI document (openapi.ts) is made from, so the two cannot drift apart.

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type Schema = z.ZodType;
export type ParamShapes = Record<string, Schema>;

/** A success answer: what it means, and its body's schema where one exists. */
export interface Reply {
  description: string;
  schema?: Schema;
  /** Default application/json. */
  contentType?: string;
}

export interface RouteSpec<P extends ParamShapes, Q extends Schema | undefined, B extends Schema | undefined, K extends boolean> {
  summary: string;
  description?: string;
  /** One schema per `:param` of the path. */
  params?: P;
  /** Query parameters; a route without this schema accepts none. */
  query?: Q;
  body?: B;
  /** Honours an Idempotency-Key header; the handler gets it (or a fresh ID) as `requestId`. */
  idempotencyKey?: K;
  /** Success answers by status. */
  responses: Record<number, string | Reply>;
  /** Error statuses this route answers besides its scope's and 400 for bad input. */
  errors?: number[];
}

/** What a handler gets: the request's parts, parsed by the declared schemas. */
export type RouteInput<P extends ParamShapes, Q, B, K> = {
  params: { [N in keyof P]: z.output<P[N]> };
  query: Q extends Schema ? z.output<Q> : Record<string, never>;
  body: B extends Schema ? z.output<B> : undefined;
} & (K extends true ? { requestId: string } : unknown);

type Handler<P extends ParamShapes, Q, B, K> = (req: Request, res: Response, input: RouteInput<P, Q, B, K>) => unknown;

type AddRoute = <P extends ParamShapes = {}, Q extends Schema | undefined = undefined, B extends Schema | undefined = undefined, K extends boolean = false>(
  path: string,
  spec: RouteSpec<P, Q, B, K>,
  handler: Handler<P, Q, B, K>,
) => void;

/** A route as the OpenAPI document sees it: the full path, in express syntax. */
export interface DescribedRoute {
  method: Method;
  path: string;
  tag: string;
  summary: string;
  description?: string;
  params: ParamShapes;
  query?: Schema;
  body?: Schema;
  idempotencyKey: boolean;
  responses: Record<number, string | Reply>;
  errors: number[];
  auth: boolean;
}

export interface ScopeOptions {
  /** Needs `Authorization: Bearer <token>`. */
  auth: boolean;
  /** Schemas of the prefix's own `:params` (checked by the scope's middleware, shown in the document). */
  params?: ParamShapes;
  /** Error statuses every route of the scope may answer. */
  errors?: number[];
}

const pathParams = (path: string) => [...path.matchAll(/:(\w+)/g)].map((m) => m[1]!);

/** All routes of the API, by scope; the OpenAPI document is made from `routes`. */
export class RouteTable {
  readonly routes: DescribedRoute[] = [];

  scope(prefix: string, options: ScopeOptions): Routes {
    return new Routes(this.routes, prefix, options);
  }
}

/** The routes under one prefix, on one express router. */
export class Routes {
  readonly router = Router({ mergeParams: true });
  /** The methods of each path, for the Allow header of a 405. */
  private readonly methods = new Map<string, Method[]>();

  constructor(
    private readonly table: DescribedRoute[],
    readonly prefix: string,
    private readonly options: ScopeOptions,
  ) {}

  readonly get: AddRoute = (path, spec, handler) => this.add('get', path, spec, handler);
  readonly post: AddRoute = (path, spec, handler) => this.add('post', path, spec, handler);
  readonly put: AddRoute = (path, spec, handler) => this.add('put', path, spec, handler);
  readonly patch: AddRoute = (path, spec, handler) => this.add('patch', path, spec, handler);
  readonly delete: AddRoute = (path, spec, handler) => this.add('delete', path, spec, handler);

  /**
   * Mounts the scope's router on the app at its prefix, once every route is added:
   * a method a path does not have is a 405 naming those it has (OPTIONS lists them).
   */
  mountOn(app: Express): void {
    for (const [path, methods] of this.methods) {
      const allow = [...methods, ...(methods.includes('get') ? ['head'] : []), 'options'].map((m) => m.toUpperCase()).join(', ');
      this.router.all(path, (req, res) => {
        recordRoute(res, `${this.prefix}${path}`);
        res.set('Allow', allow);
        if (req.method === 'OPTIONS') return void res.status(204).end();
        throw new HttpError(405, 'method_not_allowed', `method ${req.method} is not allowed here; allowed: ${allow}`);
      });
    }
    app.use(this.prefix || '/', this.router);
  }

  private add<P extends ParamShapes, Q extends Schema | undefined, B extends Schema | undefined, K extends boolean>(
    method: Method,
    path: string,
    spec: RouteSpec<P, Q, B, K>,
    handler: Handler<P, Q, B, K>,
  ): void {
    const declared = Object.keys(spec.params ?? {}).sort().join(',');
    if (pathParams(path).sort().join(',') !== declared) {
      throw new Error(`route ${method.toUpperCase()} ${path}: declare a schema for each path parameter (declared: ${declared || 'none'})`);
    }
    const params = z.object(spec.params ?? {});
    const query = spec.query ?? z.strictObject({});
    const pattern = `${this.prefix}${path}`;
    this.methods.set(path, [...(this.methods.get(path) ?? []), method]);
    this.table.push({
      method,
      path: pattern,
      tag: path.split('/')[1] ?? '',
      summary: spec.summary,
      ...(spec.description ? { description: spec.description } : {}),
      params: { ...this.options.params, ...spec.params },
      query,
      ...(spec.body ? { body: spec.body } : {}),
      idempotencyKey: spec.idempotencyKey === true,
      responses: spec.responses,
      errors: [...(this.options.errors ?? []), ...(spec.errors ?? [])],
      auth: this.options.auth,
    });
    this.router[method](path, (req, res) => {
      // The metrics and log label: the whole pattern, which the router itself does not keep.
      recordRoute(res, pattern);
      const requestId = spec.idempotencyKey ? requestIdOf(req) : undefined;
      const problems: Problem[] = [];
      const input = {
        params: check(params, req.params, problems),
        query: check(query, req.query, problems),
        body: spec.body ? check(spec.body, req.body, problems) : undefined,
        ...(requestId ? { requestId } : {}),
      };
      if (problems.length) throw invalid(problems);
      return handler(req, res, input as RouteInput<P, Q, B, K>);
    });
  }
}

/** Parses one part of a request, collecting its problems so one 400 names every bad field. */
function check(schema: Schema, value: unknown, problems: Problem[]): unknown {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  problems.push(...zodProblems(result.error));
  return undefined;
}
