import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join, sep } from 'node:path';
import { ALLOW_NODE_MAJOR_ENV, NODE_MAJOR } from '../../src/node-version.js';

/** A Node.js the bench starts the API and workers on. */
export interface NodeBinary {
  major: number;
  version: string;
  path: string;
}

export const currentNode = (): NodeBinary => ({ major: Number(process.versions.node.split('.')[0]), version: process.version, path: process.execPath });

/** What a process on this Node needs in its environment to pass requireNodeMajor: the override, for a major other than the project's. */
export function nodeEnv(node: NodeBinary): NodeJS.ProcessEnv {
  return node.major === NODE_MAJOR ? {} : { [ALLOW_NODE_MAJOR_ENV]: String(node.major) };
}

function versionOf(path: string): string | undefined {
  try {
    accessSync(path, constants.X_OK);
    return execFileSync(path, ['--version'], { encoding: 'utf8', timeout: 10_000 }).trim();
  } catch {
    return undefined;
  }
}

/**
 * The Node.js of a major: this process's own, FLOTILLA_BENCH_NODE_<major> (a
 * path), or the first `node` on PATH outside node_modules/.bin of that major
 * (the machine's).
 */
export function findNode(major: number): NodeBinary {
  const own = currentNode();
  if (own.major === major) return own;
  const fromEnv = process.env[`FLOTILLA_BENCH_NODE_${major}`];
  const candidates = fromEnv ? [fromEnv] : (process.env.PATH ?? '').split(delimiter).filter((d) => d && !d.includes(`${sep}node_modules${sep}`)).map((d) => join(d, 'node'));
  for (const path of candidates) {
    const version = versionOf(path);
    if (version && Number(version.replace(/^v/, '').split('.')[0]) === major) return { major, version, path };
  }
  throw new Error(`no Node.js ${major} found: ${fromEnv ? `FLOTILLA_BENCH_NODE_${major}=${fromEnv} is not one` : `none on PATH outside node_modules; set FLOTILLA_BENCH_NODE_${major} to its path`}`);
}
