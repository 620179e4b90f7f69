import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { readdirSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
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

/**
 * A proxy in front of moto. `local` may answer a request itself (then it says true); a 200 answer to
 * a GET whose path `rewritten` matches is handed, parsed, to `rewrite` to change before it goes on;
 * everything else passes as moto gave it.
 */
async function motoProxy(
  moto: string,
  rewritten: RegExp,
  rewrite: (path: string, body: any) => void,
  local?: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>,
): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const target = new URL(moto);
  const server = createServer(async (req, res) => {
    const url = new URL(req.url!, moto);
    if (local && (await local(req, res, url))) return;
    const upstream = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, async (answer) => {
      if (req.method !== 'GET' || answer.statusCode !== 200 || !rewritten.test(url.pathname)) {
        res.writeHead(answer.statusCode!, answer.headers);
        return void answer.pipe(res);
      }
      const body = JSON.parse(Buffer.concat(await answer.toArray()).toString('utf8'));
      rewrite(url.pathname, body);
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
    stop: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
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
  const proxy = await motoProxy(moto, EKS_DESCRIBE, (path, body) => {
    const resource = body.nodegroup ?? body.cluster;
    const next = scripts.get(path)?.[0];
    if (next) {
      resource.status = next.status;
      if (next.issues) resource.health = { issues: next.issues };
      if ((next.times = (next.times ?? 1) - 1) <= 0) scripts.get(path)!.shift();
    }
    describes.push({ path, status: resource.status });
  });
  return { ...proxy, answer: (path, answers) => void scripts.set(path, answers.map((a) => ({ ...a }))), describes };
}

/** botocore's EKS service model, as moto's venv ships it: the request shapes of the calls moto lacks are checked against it. */
function eksServiceModel(): any {
  const site = join(toolsDir(), `moto-${versions.moto}`, 'lib');
  const python = readdirSync(site).find((d) => d.startsWith('python'))!;
  return JSON.parse(gunzipSync(readFileSync(join(site, python, 'site-packages', 'botocore', 'data', 'eks', '2017-11-01', 'service-2.json.gz'))).toString('utf8'));
}

/** What an EKS request broke of botocore's model for `operation` (method, path, required members, tag sizes): [] when nothing. */
function modelProblems(model: any, operation: string, method: string, path: string, members: Record<string, unknown>): string[] {
  const op = model.operations[operation];
  const shape = model.shapes[op.input.shape];
  const problems: string[] = [];
  if (op.http.method !== method) problems.push(`method ${method}, not ${op.http.method}`);
  if (!new RegExp(`^${op.http.requestUri.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path)) problems.push(`path ${path} is not ${op.http.requestUri}`);
  for (const name of shape.required ?? []) if (members[name] === undefined) problems.push(`${name} is required`);
  for (const name of Object.keys(members)) if (!shape.members[name]) problems.push(`${name} is not a member of ${op.input.shape}`);
  const size = (shapeName: string, value: string, what: string) => {
    const s = model.shapes[shapeName];
    if ((s.min !== undefined && value.length < s.min) || (s.max !== undefined && value.length > s.max)) problems.push(`${what} '${value}' is outside ${s.min ?? 0}..${s.max}`);
  };
  const tags = members.tags as Record<string, string> | undefined;
  if (tags) {
    const map = model.shapes[shape.members.tags.shape];
    const n = Object.keys(tags).length;
    if (n < map.min || n > map.max) problems.push(`${n} tags, outside ${map.min}..${map.max}`);
    for (const [k, v] of Object.entries(tags)) {
      size(map.key.shape, k, 'tag key');
      size(map.value.shape, v, 'tag value');
    }
  }
  for (const k of (members.tagKeys as string[] | undefined) ?? []) size(model.shapes[shape.members.tagKeys.shape].member.shape, k, 'tag key');
  return problems;
}

/**
 * A proxy in front of moto that serves what it lacks for node groups: moto's TagResource and
 * UntagResource tag clusters only. Those calls on a node group's ARN are checked against
 * botocore's EKS model (a request that breaks it is answered 400 and recorded) and kept here; a
 * DescribeNodegroup answer gets them laid over moto's tags. Everything else passes to moto.
 */
export async function startEksNodegroupTagsProxy(moto: string): Promise<{
  endpoint: string;
  /** Every TagResource and UntagResource on a node group, in order, with what broke the model (if anything). */
  calls: { operation: string; arn: string; tags?: Record<string, string>; tagKeys?: string[]; problems: string[] }[];
  stop(): Promise<void>;
}> {
  const model = eksServiceModel();
  const added = new Map<string, Record<string, string>>();
  const removed = new Map<string, Set<string>>();
  const calls: { operation: string; arn: string; tags?: Record<string, string>; tagKeys?: string[]; problems: string[] }[] = [];
  const answerTags = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    const arn = url.pathname.startsWith('/tags/') ? decodeURIComponent(url.pathname.slice('/tags/'.length)) : undefined;
    if (!arn?.includes(':nodegroup/')) return false;
    const body = Buffer.concat(await req.toArray()).toString('utf8');
    const operation = req.method === 'POST' ? 'TagResource' : 'UntagResource';
    const members: Record<string, unknown> =
      operation === 'TagResource' ? { resourceArn: arn, ...(body ? JSON.parse(body) : {}) } : { resourceArn: arn, tagKeys: url.searchParams.getAll('tagKeys') };
    if (operation === 'UntagResource' && !(members.tagKeys as string[]).length) delete members.tagKeys;
    const problems = modelProblems(model, operation, req.method!, url.pathname, members);
    calls.push({ operation, arn, ...(members.tags ? { tags: members.tags as Record<string, string> } : {}), ...(members.tagKeys ? { tagKeys: members.tagKeys as string[] } : {}), problems });
    if (problems.length) {
      res.writeHead(400, { 'content-type': 'application/json', 'x-amzn-errortype': 'InvalidParameterException' });
      res.end(JSON.stringify({ message: problems.join('; ') }));
      return true;
    }
    const plus = added.get(arn) ?? {};
    const minus = removed.get(arn) ?? new Set<string>();
    for (const [k, v] of Object.entries((members.tags as Record<string, string>) ?? {})) (plus[k] = v), minus.delete(k);
    for (const k of (members.tagKeys as string[]) ?? []) delete plus[k], minus.add(k);
    added.set(arn, plus);
    removed.set(arn, minus);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
    return true;
  };
  const proxy = await motoProxy(
    moto,
    /^\/clusters\/[^/]+\/node-groups\/[^/]+$/,
    (_path, { nodegroup }) => {
      const tags = { ...nodegroup.tags, ...added.get(nodegroup.nodegroupArn) };
      for (const k of removed.get(nodegroup.nodegroupArn) ?? []) delete tags[k];
      nodegroup.tags = tags;
    },
    answerTags,
  );
  return { ...proxy, calls };
}
