import { once } from 'node:events';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Where to hold an AWS call: the `nth` call of `operation` (`CreateVpc`, `DescribeNodegroup a`), as it arrives or once moto has applied it. */
export interface AwsKillPoint {
  operation: string;
  nth: number;
  phase: 'received' | 'applied';
}

/**
 * A proxy in front of moto, one worker's AWS endpoint, that names every AWS
 * call and holds the one at the armed kill point: held as it arrives, it never
 * reaches moto; held once applied, its answer never reaches the worker. So a
 * test kills the worker at a known point however fast moto is, and knows that
 * the point was reached. `release()` cuts the held call's connection, as a
 * dead worker's is.
 */
export class MotoBarrier {
  /** The call held (`CreateCluster #1`), once the armed point is reached. */
  held?: string;
  private point?: AwsKillPoint;
  private readonly counts = new Map<string, number>();
  private readonly cuts: (() => void)[] = [];

  private constructor(
    private readonly server: Server,
    private readonly moto: string,
  ) {}

  static async start(motoEndpoint: string): Promise<MotoBarrier> {
    const server = createServer();
    const barrier = new MotoBarrier(server, motoEndpoint);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void barrier.serve(req, res).catch(() => req.socket.destroy()));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return barrier;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Holds the call at `point`, counting calls from now. */
  arm(point: AwsKillPoint): void {
    this.counts.clear();
    this.point = point;
    this.held = undefined;
  }

  /** How many calls of `operation` came through since the last arm() (or the start); the SDK's own retries not counted. */
  count(operation: string): number {
    return this.counts.get(operation) ?? 0;
  }

  release(): void {
    for (const cut of this.cuts.splice(0)) cut();
  }

  close(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const operation = operationOf(req.method!, req.url!, body.toString());
    // The SDK's own retry of a call (amz-sdk-request: attempt=2; …) is that call again, not the next one.
    const sdkRetry = !/^attempt=1;/.test(String(req.headers['amz-sdk-request'] ?? 'attempt=1;'));
    const n = (this.counts.get(operation) ?? 0) + (sdkRetry ? 0 : 1);
    this.counts.set(operation, n);
    const at = (phase: AwsKillPoint['phase']) => !sdkRetry && this.point?.operation === operation && this.point.nth === n && this.point.phase === phase;
    if (at('received')) return this.hold(`${operation} #${n}`, req);

    const upstream = request(new URL(req.url!, this.moto), { method: req.method, headers: req.headers });
    upstream.end(body);
    const [answer] = (await once(upstream, 'response')) as [IncomingMessage];
    if (at('applied')) {
      answer.resume();
      return this.hold(`${operation} #${n}`, req);
    }
    res.writeHead(answer.statusCode!, answer.headers);
    answer.pipe(res);
  }

  private hold(call: string, req: IncomingMessage): void {
    this.point = undefined;
    this.held = call;
    this.cuts.push(() => req.socket.destroy());
  }
}

/** An AWS call's operation: the query protocol's Action (EC2, IAM), or EKS's REST route, with the node group it names. */
function operationOf(method: string, url: string, body: string): string {
  const action = new URLSearchParams(body).get('Action');
  if (action) return action;
  const path = new URL(url, 'http://aws').pathname;
  // /clusters[/{name}[/node-groups[/{group}[/update-config]]]]
  const [, , cluster, sub, group, update] = path.split('/');
  const verb = method === 'GET' ? 'Describe' : method === 'DELETE' ? 'Delete' : 'Create';
  if (!cluster) return method === 'GET' ? 'ListClusters' : 'CreateCluster';
  if (!sub) return `${verb}Cluster`;
  if (sub !== 'node-groups') return `${method} ${path}`;
  if (update) return `UpdateNodegroupConfig ${group}`;
  if (group) return `${verb}Nodegroup ${group}`;
  return method === 'GET' ? 'ListNodegroups' : `CreateNodegroup ${(JSON.parse(body) as { nodegroupName: string }).nodegroupName}`;
}
