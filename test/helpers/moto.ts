import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { toolsDir } from '../../src/toolchain.js';
import { freePort } from './ports.js';
import { eventually } from './stack.js';

const versions = JSON.parse(readFileSync(fileURLToPath(new URL('../../tools/versions.json', import.meta.url)), 'utf8')) as { moto: string };

/** moto's server (the AWS API emulator), installed by scripts/install-tools.sh, on a free loopback port. */
export async function startMoto(): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const port = await freePort();
  const child: ChildProcess = spawn(join(toolsDir(), `moto-${versions.moto}`, 'bin', 'moto_server'), ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: 'ignore',
    // Real AWS has its managed policies (AmazonEKSClusterPolicy, ...); moto loads them only when asked.
    env: { ...process.env, MOTO_IAM_LOAD_MANAGED_POLICIES: 'true' },
  });
  const endpoint = `http://127.0.0.1:${port}`;
  await eventually(async () => ((await fetch(`${endpoint}/moto-api/`)).ok ? true : undefined), 'moto to answer', 60_000);
  return {
    endpoint,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** What a scripted EKS describe answers instead of moto's status. */
export interface EksAnswer {
  status: string;
  /** Nodegroup health issues (what AWS gives with CREATE_FAILED and DEGRADED). */
  issues?: { code: string; message: string; resourceIds?: string[] }[];
  /** How many describes get it; default 1, Infinity until the script is replaced. */
  times?: number;
}

/** EKS's DescribeCluster and DescribeNodegroup, by path. */
const EKS_DESCRIBE = /^\/clusters\/[^/]+(?:\/node-groups\/[^/]+)?$/;

/**
 * A proxy in front of moto that makes EKS take its time, as AWS does: moto
 * answers ACTIVE as soon as a cluster or node group is created, which would
 * leave the provider's waiting and its failure paths untested. A describe of
 * a path with a script gets moto's answer with the script's next status (and
 * health issues) laid over it; once the script is spent, moto's own. Every
 * other request, and every 404, passes as moto gave it.
 */
export async function startEksStatusProxy(moto: string): Promise<{
  endpoint: string;
  /** Replaces the script of a describe path (`/clusters/<name>` or `/clusters/<name>/node-groups/<pool>`); [] ends it. */
  answer(path: string, answers: EksAnswer[]): void;
  /** Every describe moto answered, with the status the provider got, in order. */
  describes: { path: string; status: string }[];
  stop(): Promise<void>;
}> {
  const scripts = new Map<string, EksAnswer[]>();
  const describes: { path: string; status: string }[] = [];
  const target = new URL(moto);
  const server = createServer((req, res) => {
    const upstream = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, async (answer) => {
      const path = new URL(req.url!, moto).pathname;
      if (req.method !== 'GET' || answer.statusCode !== 200 || !EKS_DESCRIBE.test(path)) {
        res.writeHead(answer.statusCode!, answer.headers);
        return void answer.pipe(res);
      }
      const body = JSON.parse(Buffer.concat(await answer.toArray()).toString('utf8'));
      const resource = body.nodegroup ?? body.cluster;
      const next = scripts.get(path)?.[0];
      if (next) {
        resource.status = next.status;
        if (next.issues) resource.health = { issues: next.issues };
        if ((next.times = (next.times ?? 1) - 1) <= 0) scripts.get(path)!.shift();
      }
      describes.push({ path, status: resource.status });
      const text = JSON.stringify(body);
      res.writeHead(200, { ...answer.headers, 'content-length': Buffer.byteLength(text) });
      res.end(text);
    });
    upstream.on('error', (err) => res.destroy(err));
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    answer: (path, answers) => void scripts.set(path, answers.map((a) => ({ ...a }))),
    describes,
    stop: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
