import type { Payload, PayloadCodec } from '@temporalio/common';
import { timingSafeEqual } from 'node:crypto';
import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { bearerOrg, type TokenTable } from '../auth.js';
import { HttpError, invalid, zodProblems } from '../errors.js';

// The remote codec protocol of the Temporal Web UI and CLI
// (`--codec-endpoint`): POST <endpoint>/decode and <endpoint>/encode with
// `{ payloads: [{ metadata: { key: base64 }, data: base64 }] }` (Payloads as
// protobuf JSON), answered in the same shape.

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64');
const JsonPayload = z.object({
  metadata: z.record(z.string(), base64).nullish(),
  data: base64.nullish(),
});
/** A codec request, also what the API fuzzer makes bodies of. */
export const CodecRequest = z.object({ payloads: z.array(JsonPayload).max(10_000) });
/** A payload as the codec protocol carries it. */
export type JsonPayload = z.infer<typeof JsonPayload>;

export interface CodecEndpoint {
  codec: PayloadCodec;
  /** Browser origins that may call it (the Web UI's). */
  origins: string[];
  /**
   * Accepted in the path (`/codec/<uiToken>/decode`) instead of a bearer
   * token: the Web UI sends no Authorization header to a plain-http codec
   * endpoint, so the embedded default gives it this codec-only token in the
   * endpoint URL it configures.
   */
  uiToken?: string;
}

/** `/codec/decode`, `/codec/encode` with any API token; `/codec/<uiToken>/…` for the Web UI. */
export function codecRoutes({ codec, origins, uiToken }: CodecEndpoint, tokens: TokenTable): Router {
  const router = Router();
  router.use(cors(origins));

  const bearer: RequestHandler = (req, _res, next) => {
    bearerOrg(tokens, req);
    next();
  };
  const capability: RequestHandler = (req, res, next) => {
    if (!uiToken || !sameToken(String(req.params.token), uiToken)) {
      res.set('WWW-Authenticate', 'Bearer');
      throw new HttpError(401, 'unauthorized', 'unknown codec endpoint token');
    }
    next();
  };
  for (const [action, convert] of [
    ['decode', (p: Payload[]) => codec.decode(p)],
    ['encode', (p: Payload[]) => codec.encode(p)],
  ] as const) {
    const handler: RequestHandler = async (req, res) => {
      const body = CodecRequest.safeParse(req.body);
      if (!body.success) throw invalid(zodProblems(body.error));
      const { payloads } = body.data;
      res.json({ payloads: (await convertEach(payloads.map(fromJsonPayload), convert, action)).map(toJsonPayload) });
    };
    router.post(`/${action}`, bearer, handler);
    router.post(`/:token/${action}`, capability, handler);
  }
  return router;
}

/** One payload at a time, so a payload that does not convert is named by its index. */
async function convertEach(payloads: Payload[], convert: (p: Payload[]) => Promise<Payload[]>, action: string): Promise<Payload[]> {
  return Promise.all(
    payloads.map(async (payload, i) => {
      try {
        return (await convert([payload]))[0]!;
      } catch (err) {
        throw invalid([{ path: ['payloads', i], message: `cannot ${action}: ${(err as Error).message}` }]);
      }
    }),
  );
}

/** CORS for the Web UI: its preflight is answered without credentials (browsers send none on OPTIONS). */
function cors(origins: string[]): RequestHandler {
  return (req, res, next) => {
    res.vary('Origin');
    const origin = req.get('origin');
    if (origin && origins.includes(origin)) res.set({ 'Access-Control-Allow-Origin': origin, 'Access-Control-Allow-Credentials': 'true' });
    if (req.method !== 'OPTIONS') return next();
    res.set({
      'Access-Control-Allow-Methods': 'POST, OPTIONS',
      'Access-Control-Allow-Headers': 'Authorization, Content-Type, X-Namespace',
      'Access-Control-Max-Age': '600',
    });
    res.status(204).end();
  };
}

/** The origins of a Web UI URL; a loopback UI is reachable as both 127.0.0.1 and localhost. */
export function uiOrigins(uiUrl: string | undefined): string[] {
  if (!uiUrl) return [];
  const url = new URL(uiUrl);
  const origins = [url.origin];
  const alias = url.hostname === '127.0.0.1' ? 'localhost' : url.hostname === 'localhost' ? '127.0.0.1' : undefined;
  if (alias) origins.push(`${url.protocol}//${alias}${url.port ? `:${url.port}` : ''}`);
  return origins;
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function fromJsonPayload({ metadata, data }: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    ...(data ? { data: Buffer.from(data, 'base64') } : {}),
  };
}

export function toJsonPayload({ metadata, data }: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')])),
    ...(data?.length ? { data: Buffer.from(data).toString('base64') } : {}),
  };
}
