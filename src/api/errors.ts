import type { ErrorRequestHandler } from 'express';
import { maxHeaderSize, STATUS_CODES, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { z } from 'zod';
import { formatPath, type Problem } from '../domain/problems.js';

export interface ErrorDetail {
  field: string;
  path: (string | number)[];
  message: string;
}

/** The body of every error answer; `error` may carry more (a 409 on create carries the existing `cluster` or `deployment`). */
export const ErrorBody = z.strictObject({
  error: z.looseObject({
    code: z.string(),
    message: z.string(),
    details: z.array(z.strictObject({ field: z.string(), path: z.array(z.union([z.string(), z.number()])), message: z.string() })),
  }),
});

/** An error the API answers with as it is: `{ error: { code, message, details } }`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export function detailsOf(problems: readonly Problem[]): ErrorDetail[] {
  return problems.map((p) => ({ field: formatPath(p.path), path: p.path, message: p.message }));
}

export function invalid(problems: readonly Problem[], what = 'invalid request'): HttpError {
  const details = detailsOf(problems);
  return new HttpError(400, 'invalid_request', `${what}: ${details.map((d) => `${d.field || '(body)'}: ${d.message}`).join('; ')}`, details);
}

export function zodProblems(error: z.ZodError, where?: string): Problem[] {
  return issueProblems(error.issues, where ? [where] : []);
}

function issueProblems(issues: readonly z.core.$ZodIssue[], base: Problem['path']): Problem[] {
  return issues.flatMap((issue) => {
    const path = [...base, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))];
    // An unknown field is named itself, not its parent.
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => ({ path: [...path, key], message: 'unknown field' }));
    // A value none of a union's forms takes: named by the form it is closest to (no unknown fields of
    // its own, fewest problems), so `{ clusters: [null] }` names `clusters[0]`, not the whole value.
    if (issue.code === 'invalid_union' && issue.errors.length) {
      const forms = issue.errors.filter((form) => !form.some((i) => i.code === 'unrecognized_keys' && i.path.length === 0));
      const closest = forms.sort((a, b) => a.length - b.length)[0];
      if (closest?.length) return issueProblems(closest, path);
    }
    return [{ path, message: issue.message }];
  });
}

export function fromZod(error: z.ZodError, where?: string): HttpError {
  return invalid(zodProblems(error, where));
}

export const notFound = (what: string) => new HttpError(404, 'not_found', `${what} not found`);

/**
 * The last handler: known errors as they are (the gateways turn Temporal's into
 * HttpErrors), body parser errors as 400s, anything else a 500 without internals.
 */
export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  let http: HttpError;
  if (err instanceof HttpError) http = err;
  else if (err?.type === 'entity.parse.failed') http = new HttpError(400, 'invalid_json', `request body is not valid JSON: ${err.message}`);
  else if (err?.type === 'entity.too.large') {
    http = new HttpError(413, 'too_large', `request body is larger than the limit of ${err.limit} bytes (FLOTILLA_MAX_BODY_BYTES)`, [], { limitBytes: err.limit });
  }
  else if (typeof err?.status === 'number' && err.status >= 400 && err.status < 500) http = new HttpError(err.status, 'bad_request', String(err.message));
  else {
    http = new HttpError(500, 'internal', 'internal error');
    req.log?.error({ err }, 'request failed');
  }
  if (http.status === 503) res.set('Retry-After', '5');
  if (typeof http.extra.retryAfterSeconds === 'number') res.set('Retry-After', String(http.extra.retryAfterSeconds));
  const body: z.output<typeof ErrorBody> = { error: { code: http.code, message: http.message, details: http.details, ...http.extra } };
  // JSON whatever the handler had set before it failed (the kubeconfig route sets YAML).
  res.status(http.status).type('json').json(body);
};

/** How long a refused connection may go on sending before it is cut. */
const LINGER_MS = 5000;

/**
 * Requests Node refuses before express sees them: a request line and headers
 * past --max-http-header-size (431), or ones it cannot parse (400). Node's own
 * answer destroys the socket at once; with the rest of a long request still
 * arriving, the kernel then resets the connection and the client may get the
 * reset instead of the answer. Here: the JSON error (after the answer to a
 * pipelined request in flight), then a graceful close that reads and drops what
 * still comes, for at most LINGER_MS.
 */
export function answerClientErrors(server: Server): Server {
  const answered = new WeakSet<Socket>();
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    // The parser reports every later chunk again: answer once.
    if (answered.has(socket)) return;
    answered.add(socket);
    if (!socket.writable) return void socket.destroy();
    const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
    const answer = () => refuse(socket, err, maxHeaderSize);
    if (inFlight && !inFlight.writableFinished) inFlight.once('finish', answer);
    else answer();
    const cut = setTimeout(() => socket.destroy(), LINGER_MS).unref();
    socket.once('close', () => clearTimeout(cut));
  });
  return server;
}

function refuse(socket: Socket, err: NodeJS.ErrnoException, limitBytes: number): void {
  const [status, error] = refusal(err, limitBytes);
  const body = JSON.stringify({ error } satisfies z.input<typeof ErrorBody>);
  const head = [`HTTP/1.1 ${status} ${STATUS_CODES[status]}`, 'Content-Type: application/json; charset=utf-8', `Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close'];
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
}

function refusal(err: NodeJS.ErrnoException, limitBytes: number): [number, z.input<typeof ErrorBody>['error']] {
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    return [431, { code: 'too_large', message: `the request line and headers are larger than the limit of ${limitBytes} bytes`, details: [], limitBytes }];
  }
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return [408, { code: 'timeout', message: 'the request did not arrive in time', details: [] }];
  return [400, { code: 'bad_request', message: 'the request is not valid HTTP', details: [] }];
}
