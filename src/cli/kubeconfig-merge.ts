import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import YAML from 'yaml';
import { usageError } from './errors.js';

interface Named {
  name: string;
  [key: string]: unknown;
}

interface Kubeconfig {
  apiVersion?: string;
  kind?: string;
  clusters?: Named[];
  users?: Named[];
  contexts?: Named[];
  'current-context'?: string;
  [key: string]: unknown;
}

/** Where kubectl writes: the first file of $KUBECONFIG, else ~/.kube/config. */
export function kubeconfigTarget(env: NodeJS.ProcessEnv = process.env): string {
  const first = env.KUBECONFIG?.split(delimiter).find((p) => p !== '');
  return first ?? join(homedir(), '.kube', 'config');
}

function parse(text: string, what: string): Kubeconfig {
  let parsed: unknown;
  try {
    parsed = YAML.parse(text);
  } catch (err) {
    throw usageError(`${what} is not YAML: ${(err as Error).message}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw usageError(`${what} is not a kubeconfig`);
  return parsed as Kubeconfig;
}

const byName = (existing: Named[] = [], added: Named[] = []) => [...existing.filter((e) => !added.some((a) => a.name === e.name)), ...added];

/**
 * `incoming`'s clusters, users and contexts written into the kubeconfig at
 * `path` (made if missing), replacing entries of the same names and keeping
 * every other; its context becomes the current one, as `kubectl config
 * use-context` would. The file stays readable by its owner only.
 */
export function mergeKubeconfig(path: string, incoming: string): { context?: string } {
  const added = parse(incoming, "the cluster's kubeconfig");
  const current = existsSync(path) ? parse(readFileSync(path, 'utf8'), path) : {};
  const merged: Kubeconfig = {
    ...current,
    apiVersion: current.apiVersion ?? 'v1',
    kind: current.kind ?? 'Config',
    clusters: byName(current.clusters, added.clusters),
    users: byName(current.users, added.users),
    contexts: byName(current.contexts, added.contexts),
    ...(added['current-context'] ? { 'current-context': added['current-context'] } : {}),
  };
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, YAML.stringify(merged), { mode: 0o600 });
  chmodSync(path, 0o600);
  return added['current-context'] ? { context: added['current-context'] } : {};
}
