import type { z } from 'zod';
import { fromZod } from './errors.js';

/** Parses part of a request with a schema; failure is a 400 naming every bad field. */
export function parse<S extends z.ZodType>(schema: S, value: unknown, where?: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw fromZod(result.error, where);
  return result.data;
}
