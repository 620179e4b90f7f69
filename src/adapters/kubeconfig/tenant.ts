import { ApplicationFailure } from '@temporalio/common';
import { posix } from 'node:path';
import { parse, stringify } from 'yaml';
import { FailureType, formatPath, type Problem } from '../../domain/problems.js';
import type { Egress } from '../egress/egress.js';

/** What an operator allows in tenants' kubeconfigs beyond the inline, declarative default. */
export interface KubeconfigRules {
  /** Exec credential plugins by the basename of their command (FLOTILLA_KUBECONFIG_EXEC_ALLOW). */
  execCommands: ReadonlySet<string>;
  /** `proxy-url`s the operator's own network needs (FLOTILLA_KUBECONFIG_PROXY_ALLOW), exactly as written. */
  proxyUrls: ReadonlySet<string>;
}

export const NO_EXTRAS: KubeconfigRules = { execCommands: new Set(), proxyUrls: new Set() };

export function kubeconfigRules(env: NodeJS.ProcessEnv): KubeconfigRules {
  const list = (value: string | undefined) => new Set((value ?? '').split(',').map((v) => v.trim()).filter(Boolean));
  return { execCommands: list(env.FLOTILLA_KUBECONFIG_EXEC_ALLOW), proxyUrls: list(env.FLOTILLA_KUBECONFIG_PROXY_ALLOW) };
}

// Fields through which a kubeconfig makes its reader read a file or run a program.
const USER_FILES = ['tokenFile', 'token-file', 'client-certificate', 'client-key'];
// Environment variables that would let an allowed command run another program (or the same one differently).
const UNSAFE_ENV = /^(PATH|LD_.*|DYLD_.*|NODE_OPTIONS|BASH_ENV|ENV|PYTHON.*|PERL5.*|RUBYOPT)$/i;

type Doc = Record<string, unknown>;
const isObject = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A kubeconfig sent by a tenant is data, never code: no exec plugin or
 * auth-provider (unless the operator allowed the command), no file paths
 * (only the inline `-data` forms), no proxy of its own, and http(s) servers
 * only. Returns what is wrong, each with its path in the kubeconfig.
 */
export function kubeconfigProblems(text: string, rules: KubeconfigRules): Problem[] {
  let doc: unknown;
  try {
    doc = parse(text, { maxAliasCount: 100 });
  } catch (err) {
    // The first line only: the parser goes on to quote the lines around the error, credentials and all.
    return [{ path: [], message: `not a kubeconfig: ${(err as Error).message.split('\n')[0]}` }];
  }
  if (!isObject(doc)) return [{ path: [], message: 'not a kubeconfig: a YAML mapping is expected' }];
  const problems: Problem[] = [];
  const entries = (key: string, inner: string) => {
    const list = doc[key] ?? [];
    if (!Array.isArray(list)) {
      problems.push({ path: [key], message: 'must be a list' });
      return [];
    }
    return list.map((entry, i) => ({ at: [key, i, inner], body: isObject(entry) && isObject(entry[inner]) ? entry[inner] : {} }));
  };
  for (const { at, body } of entries('clusters', 'cluster')) {
    const server = body.server;
    if (typeof server !== 'string' || !/^https?:\/\/[^/]/.test(server) || !URL.canParse(server)) problems.push({ path: [...at, 'server'], message: 'must be an http(s) URL' });
    if (body['certificate-authority'] !== undefined) problems.push({ path: [...at, 'certificate-authority'], message: 'a file path is refused: give certificate-authority-data' });
    const proxy = body['proxy-url'];
    if (proxy !== undefined && !(typeof proxy === 'string' && rules.proxyUrls.has(proxy))) {
      problems.push({ path: [...at, 'proxy-url'], message: 'a proxy is refused unless the operator allows it (FLOTILLA_KUBECONFIG_PROXY_ALLOW)' });
    }
  }
  for (const { at, body } of entries('users', 'user')) {
    for (const field of USER_FILES) {
      if (body[field] !== undefined) problems.push({ path: [...at, field], message: `a file path is refused: give the credential inline${field.startsWith('client-') ? ` (${field}-data)` : ' (token)'}` });
    }
    if (body['auth-provider'] !== undefined) {
      problems.push({ path: [...at, 'auth-provider'], message: 'auth-provider plugins are refused (Kubernetes replaced them with exec plugins, which the operator may allow)' });
    }
    if (body.exec !== undefined) problems.push(...execProblems(body.exec, [...at, 'exec'], rules));
  }
  return problems;
}

function execProblems(exec: unknown, at: Problem['path'], rules: KubeconfigRules): Problem[] {
  const command = isObject(exec) ? exec.command : undefined;
  if (typeof command !== 'string' || !rules.execCommands.has(posix.basename(command))) {
    const allowed = [...rules.execCommands].join(', ') || 'none';
    return [{ path: at, message: `exec plugins run programs on Flotilla's hosts: refused unless the operator allows the command (FLOTILLA_KUBECONFIG_EXEC_ALLOW; allowed: ${allowed})` }];
  }
  const env = isObject(exec) ? exec.env : undefined;
  if (env === undefined || env === null) return [];
  if (!Array.isArray(env)) return [{ path: [...at, 'env'], message: 'must be a list' }];
  return env.flatMap((entry, i) => {
    const name = isObject(entry) ? entry.name : undefined;
    return typeof name === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !UNSAFE_ENV.test(name)
      ? []
      : [{ path: [...at, 'env', i, 'name'], message: 'this variable could change which program runs: refused' }];
  });
}

/** A stored tenant kubeconfig refused at use: a typed, non-retryable failure (it will not get better by trying again). */
export function kubeconfigRefused(problems: readonly Problem[]): ApplicationFailure {
  const message = `the cluster's kubeconfig is refused: ${problems.map((p) => `${formatPath(p.path) || '(kubeconfig)'}: ${p.message}`).join('; ')}`;
  return ApplicationFailure.create({ type: FailureType.kubeconfigRefused, message, details: [problems], nonRetryable: true });
}

/**
 * Tenants' kubeconfigs as they are used: checked against the rules every
 * time (a kubeconfig stored before a rule existed is refused at use, not
 * run), and routed through the egress guard so that whatever their servers
 * resolve to is checked before anything connects.
 */
export class TenantKubeconfigs {
  constructor(
    readonly rules: KubeconfigRules,
    private readonly egress: Egress,
  ) {}

  /** The kubeconfig, unchanged, if the rules allow it; else the typed refusal. */
  checked(text: string): string {
    const problems = kubeconfigProblems(text, this.rules);
    if (problems.length) throw kubeconfigRefused(problems);
    return text;
  }

  /** The kubeconfig to connect with (client-node or helm): every cluster reached through the egress guard. */
  async forConnection(text: string): Promise<string> {
    const doc = parse(this.checked(text)) as Doc;
    const proxy = await this.egress.proxyUrl();
    for (const entry of (doc.clusters as Doc[] | undefined) ?? []) {
      const cluster = entry.cluster as Doc;
      // An operator-allowed proxy of the tenant's stays: it is the operator's own network path.
      if (cluster['proxy-url'] === undefined) cluster['proxy-url'] = proxy;
    }
    return stringify(doc);
  }

  /** The servers the kubeconfig names, each with its path, for checks before anything connects. */
  servers(text: string): { path: Problem['path']; server: string }[] {
    const doc = parse(text) as Doc;
    return ((doc.clusters as Doc[] | undefined) ?? []).map((entry, i) => ({ path: ['clusters', i, 'cluster', 'server'], server: String((entry.cluster as Doc).server) }));
  }
}
