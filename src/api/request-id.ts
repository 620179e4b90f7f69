import type { Request } from 'express';
import { randomUUID } from 'node:crypto';
import { REQUEST_ID_PATTERN } from '../domain/ids.js';
import { invalid } from './errors.js';

/** The request's Idempotency-Key, or a fresh ID: it becomes the Temporal update ID. */
export function requestIdOf(req: Request): string {
  const key = req.get('idempotency-key');
  if (key === undefined) return randomUUID();
  if (!REQUEST_ID_PATTERN.test(key)) {
    throw invalid([{ path: ['Idempotency-Key'], message: "must be 1 to 128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit" }], 'invalid header');
  }
  return key;
}
