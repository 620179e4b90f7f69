import { createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { RateLimit } from '../config.js';
import { HttpError } from './errors.js';


/**
 * A token bucket: holds up to `burst` tokens, refilled continuously at
 * requests/seconds; each request takes one. The clock is injected for tests.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly perMs: number;

  constructor(
    private readonly limit: RateLimit,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = limit.burst;
    this.last = now();
    this.perMs = limit.requests / (limit.seconds * 1000);
  }

  /** Takes a token; when there is none, the whole seconds until there will be one. */
  take(): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const now = this.now();
    this.tokens = Math.min(this.limit.burst, this.tokens + Math.max(0, now - this.last) * this.perMs);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - this.tokens) / this.perMs / 1000)) };
  }
}

/**
 * One bucket per bearer token (kept by digest, never the token itself), taken
 * before the body is read. Only tokens that `isKnown` get a bucket, so the map
 * stays as small as the token table; others go on to be refused by auth.
 * The buckets are this process's: with N API replicas behind a load balancer a
 * token gets up to N times the limit, so it shields each replica rather than
 * being a quota (sharing buckets would cost a store call per request).
 */
export function rateLimitPerToken(limit: RateLimit, isKnown: (token: string) => boolean, now: () => number = Date.now): RequestHandler {
  const buckets = new Map<string, TokenBucket>();
  return (req, _res, next) => {
    const token = /^Bearer (\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
    if (!token || !isKnown(token)) return next();
    const key = createHash('sha256').update(token).digest('hex');
    let bucket = buckets.get(key);
    if (!bucket) buckets.set(key, (bucket = new TokenBucket(limit, now)));
    const taken = bucket.take();
    if (taken.ok) return next();
    throw new HttpError(
      429,
      'rate_limited',
      `too many requests for this token: at most ${limit.requests} per ${limit.seconds} s (bursts of ${limit.burst}, FLOTILLA_RATE_LIMIT); retry in ${taken.retryAfterSeconds} s`,
      [],
      { retryAfterSeconds: taken.retryAfterSeconds },
    );
  };
}
