import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { HttpError, notFound } from './errors.js';

/**
 * `token:org,token:org` → lookup by token. Compared as digests in constant
 * time. An entry `sha256:<64 hex digits>:org` holds the token's SHA-256
 * instead of the token, so the configuration need not hold tokens in clear.
 */
export class TokenTable {
  private readonly entries: { digest: Buffer; org: string }[];

  constructor(spec: string) {
    this.entries = spec
      .split(',')
      .map((pair) => pair.trim())
      .filter(Boolean)
      .map((pair) => {
        const at = pair.lastIndexOf(':');
        if (at <= 0 || at === pair.length - 1) throw new Error(`FLOTILLA_API_TOKENS: '${pair.slice(0, 4)}…' is not token:org`);
        const token = pair.slice(0, at);
        const hashed = /^sha256:([0-9a-fA-F]{64})$/.exec(token);
        return { digest: hashed ? Buffer.from(hashed[1]!, 'hex') : digest(token), org: pair.slice(at + 1) };
      });
    if (this.entries.length === 0) throw new Error('FLOTILLA_API_TOKENS holds no token');
  }

  orgOf(token: string): string | undefined {
    const d = digest(token);
    let org: string | undefined;
    for (const entry of this.entries) if (timingSafeEqual(entry.digest, d)) org = entry.org;
    return org;
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

declare module 'express-serve-static-core' {
  interface Request {
    org?: string;
  }
}

/** The org of the request's bearer token; 401 without a valid one. */
export function bearerOrg(tokens: TokenTable, req: Request): string {
  const header = req.get('authorization') ?? '';
  const match = /^Bearer (\S+)$/i.exec(header);
  const org = match ? tokens.orgOf(match[1]!) : undefined;
  if (!org) {
    req.res?.set('WWW-Authenticate', 'Bearer');
    throw new HttpError(401, 'unauthorized', 'a valid bearer token is required (Authorization: Bearer <token>)');
  }
  return org;
}

/** Bearer auth; a token for one org sees another org's resources as absent (404), not forbidden. */
export function requireOrg(tokens: TokenTable): RequestHandler {
  return (req, _res, next) => {
    const org = bearerOrg(tokens, req);
    if (req.params.org !== org) throw notFound(`organization '${req.params.org}'`);
    req.org = org;
    next();
  };
}
