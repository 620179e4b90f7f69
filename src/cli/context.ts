import type { Command } from 'commander';
import { Api } from './api.js';
import { readConfig } from './config.js';
import type { Format } from './output.js';

export interface Context {
  api: Api;
  format: Format;
}

/** The API as the saved login (and `--org`) says, and the output format. */
export function contextOf(command: Command): Context {
  const { org, output } = command.optsWithGlobals<{ org?: string; output: Format }>();
  const config = readConfig();
  return { api: new Api(config.url, config.token, org ?? config.org), format: output };
}

/** A path segment as the API expects it. */
export const seg = (value: string) => encodeURIComponent(value);
