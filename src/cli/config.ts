import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { usageError } from './errors.js';

/** One API server as `flotilla login` saved it: where it is, the token, and the token's org. */
export interface CliContext {
  url: string;
  token: string;
  org: string;
}

/** The saved logins by name, as kubectl's contexts, and the one in use. */
export interface CliConfig {
  currentContext?: string;
  contexts: Record<string, CliContext>;
}

export const DEFAULT_CONTEXT = 'default';

/** `$FLOTILLA_CONFIG`, else `$XDG_CONFIG_HOME/flotilla/config.json`, else `~/.config/flotilla/config.json`. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FLOTILLA_CONFIG) return env.FLOTILLA_CONFIG;
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'flotilla', 'config.json');
}

/** The saved config; none saved yet is no context. A config of one login (before contexts) is the context `default`. */
export function readConfig(path = configPath()): CliConfig {
  if (!existsSync(path)) return { contexts: {} };
  let parsed: Partial<CliContext> & Partial<CliConfig>;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as typeof parsed;
  } catch (err) {
    throw usageError(`cannot read ${path}: ${(err as Error).message}; run flotilla login again`);
  }
  if (parsed.contexts && typeof parsed.contexts === 'object') return { ...(parsed.currentContext ? { currentContext: parsed.currentContext } : {}), contexts: parsed.contexts };
  if (parsed.url && parsed.token && parsed.org) return { currentContext: DEFAULT_CONTEXT, contexts: { [DEFAULT_CONTEXT]: { url: parsed.url, token: parsed.token, org: parsed.org } } };
  throw usageError(`${path} holds no saved login: run flotilla login again`);
}

/** Saves the config readable by its owner only: it holds tokens. */
export function writeConfig(config: CliConfig, path = configPath()): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600); // an existing file keeps its mode on write
}

/** The API server to speak to, and where each part of it came from. */
export interface Credentials {
  url: string;
  token: string;
  /** Undefined when only the environment named the server: the token's org is asked of the API. */
  org?: string;
}

/**
 * Flags over the environment over the saved context, as kubectl and helm do:
 * `--context` (or FLOTILLA_CONTEXT) picks a saved login; FLOTILLA_URL and
 * FLOTILLA_TOKEN replace its URL and token (both set, no saved login is needed,
 * so a token never has to be written on a command line).
 */
export function resolveCredentials(options: { context?: string }, env: NodeJS.ProcessEnv = process.env, path = configPath(env)): Credentials {
  const config = readConfig(path);
  const name = options.context ?? env.FLOTILLA_CONTEXT ?? config.currentContext;
  const saved = name ? config.contexts[name] : undefined;
  if (name && !saved && (options.context ?? env.FLOTILLA_CONTEXT)) throw usageError(`no context '${name}' in ${path} (saved: ${Object.keys(config.contexts).join(', ') || 'none'})`);
  const url = env.FLOTILLA_URL || saved?.url;
  const token = env.FLOTILLA_TOKEN || saved?.token;
  if (!url || !token) throw usageError(`not logged in: run flotilla login --url URL --token-stdin, or set FLOTILLA_URL and FLOTILLA_TOKEN (no login in ${path})`);
  // The saved org belongs to the saved token: with another token, the API says whose it is.
  const org = saved && !env.FLOTILLA_TOKEN ? saved.org : undefined;
  return { url, token, ...(org ? { org } : {}) };
}
