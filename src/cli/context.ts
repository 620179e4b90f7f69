import { InvalidArgumentError, type Command } from 'commander';
import { Api } from './api.js';
import { resolveCredentials } from './config.js';
import type { Format } from './output.js';

export interface Context {
  api: Api;
  format: Format;
}

/** The global options every command takes (src/cli/main.ts). */
export interface GlobalOptions {
  org?: string;
  output: Format;
  context?: string;
  timeout?: number;
}

/** `30s`, `5m`, `1h`, `500ms` or plain seconds, as milliseconds. */
export function durationFlag(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text);
  if (!m || Number(m[1]) <= 0) throw new InvalidArgumentError('expected a duration like 30s, 5m or 1h');
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
}

/** The API as `--context`, the environment or the saved login say (and `--org`), with `--timeout`, and the output format. */
export function contextOf(command: Command): Context {
  const { org, output, context, timeout } = command.optsWithGlobals<GlobalOptions>();
  const credentials = resolveCredentials(context ? { context } : {});
  return { api: new Api(credentials.url, credentials.token, org ?? credentials.org, timeout), format: output };
}

/** A path segment as the API expects it. */
export const seg = (value: string) => encodeURIComponent(value);
