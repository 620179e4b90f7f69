import type { RequestHandler } from 'express';
import { pathDeeperThan } from '../domain/values.js';
import { invalid } from './errors.js';

/** Deeper than any request needs (values documents may nest 32 levels); keeps hostile bodies from reaching code that recurses. */
export const MAX_BODY_DEPTH = 64;

/** After the JSON parser: a body nested deeper than MAX_BODY_DEPTH is a 400 naming where. */
export const rejectDeepBodies: RequestHandler = (req, _res, next) => {
  const deep = pathDeeperThan(req.body, MAX_BODY_DEPTH);
  if (deep) throw invalid([{ path: deep, message: `nested deeper than ${MAX_BODY_DEPTH} levels` }]);
  next();
};
