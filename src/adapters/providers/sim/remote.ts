import { ApplicationFailure } from '@temporalio/activity';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ProviderActivities } from '../provider.js';
import { simActivities, type SimCall, type SimCloud } from './index.js';

// The sim cloud in its own process, reached over HTTP like a real cloud API:
// a worker killed mid-call leaves the call's effect in the cloud, and the
// cloud outlives the worker. One route, POST /calls, body
// `{activity, args, token}`; errors answer 400 (non-retryable), 429
// (throttling) or 503 with `{error: {type, message, nonRetryable}}`.

interface ErrorBody {
  error: { type: string; message: string; nonRetryable: boolean };
}

/** Serves `cloud` on a loopback port (tests; FLOTILLA_SIM_CLOUD points workers at it). */
export async function serveSimCloud(cloud: SimCloud, port = 0): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const aborted = new AbortController();
    // A caller gone before its answer cancels what waits on it (a hung call), not what the cloud already did.
    res.once('close', () => res.writableFinished || aborted.abort(new Error('caller went away')));
    readJson(req)
      .then((call) => cloud.perform(call as SimCall, aborted.signal))
      .then(
        (result) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ result })),
        (err: unknown) => {
          // Anything but a cloud error (an observer dropping the call, a bad request) loses the connection.
          if (!(err instanceof ApplicationFailure)) return void req.socket.destroy();
          const status = err.nonRetryable ? 400 : err.type === 'ThrottlingException' ? 429 : 503;
          const body: ErrorBody = { error: { type: err.type ?? 'Error', message: err.message, nonRetryable: err.nonRetryable === true } };
          res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        },
      );
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The sim provider's activities, calling a sim cloud served at `url`. */
export function remoteSimActivities(url: string): ProviderActivities {
  return simActivities(async (call, signal) => {
    const res = await fetch(`${url}/calls`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(call), signal });
    const body = (await res.json()) as { result?: unknown } & Partial<ErrorBody>;
    if (res.ok) return body.result;
    const { type, message, nonRetryable } = body.error!;
    throw nonRetryable ? ApplicationFailure.nonRetryable(message, type) : ApplicationFailure.retryable(message, type);
  });
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString());
}
