import type { RequestHandler } from 'express';
import { depthOf } from '../domain/values.js';
import { invalid } from './errors.js';

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
/** Deeper than any request needs (values documents may nest 32 levels); keeps hostile bodies from reaching code that recurses. */
export const MAX_BODY_DEPTH = 64;

/** After the JSON parser: a body nested deeper than MAX_BODY_DEPTH is a 400. */
export const rejectDeepBodies: RequestHandler = (req, _res, next) => {
  if (depthOf(req.body, MAX_BODY_DEPTH) > MAX_BODY_DEPTH) throw invalid([{ path: [], message: `nested deeper than ${MAX_BODY_DEPTH} levels` }]);
  next();
};
