import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { usageError } from './errors.js';

/** What `flotilla login` saves: where the API is, the token, and the token's org. */
export interface CliConfig {
  url: string;
  token: string;
  org: string;
}

/** `$FLOTILLA_CONFIG`, else `$XDG_CONFIG_HOME/flotilla/config.json`, else `~/.config/flotilla/config.json`. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FLOTILLA_CONFIG) return env.FLOTILLA_CONFIG;
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'flotilla', 'config.json');
}

export function readConfig(path = configPath()): CliConfig {
  if (!existsSync(path)) throw usageError(`not logged in (no ${path}): run flotilla login --url URL --token TOKEN`);
  let config: Partial<CliConfig>;
  try {
    config = JSON.parse(readFileSync(path, 'utf8')) as Partial<CliConfig>;
  } catch (err) {
    throw usageError(`cannot read ${path}: ${(err as Error).message}; run flotilla login again`);
  }
  if (!config.url || !config.token || !config.org) throw usageError(`${path} lacks url, token or org: run flotilla login again`);
  return config as CliConfig;
}

/** Saves the config readable by its owner only: it holds a token. */
export function writeConfig(config: CliConfig, path = configPath()): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600); // an existing file keeps its mode on write
}
