import type { Command } from 'commander';
import { Api } from '../api.js';
import { configPath, writeConfig } from '../config.js';
import { apiError } from '../errors.js';

/** `flotilla login`: checks the token with the API, then saves URL, token and org. */
export function loginCommand(program: Command): void {
  program
    .command('login')
    .description("check a token with the API and save it, with the API's URL and the token's organization")
    .requiredOption('--url <url>', 'the API, e.g. http://127.0.0.1:8080')
    .requiredOption('--token <token>', 'an API token (npm start prints one)')
    .action(async (opts: { url: string; token: string }, command: Command) => {
      const { org } = command.optsWithGlobals<{ org?: string }>();
      const { org: tokenOrg } = await new Api(opts.url, opts.token, '').call<{ org: string }>('GET', '/api/v1/whoami');
      if (org && org !== tokenOrg) throw apiError(`the token belongs to organization '${tokenOrg}', not '${org}'`);
      const path = configPath();
      writeConfig({ url: opts.url.replace(/\/+$/, ''), token: opts.token, org: tokenOrg }, path);
      process.stdout.write(`Logged in to ${opts.url} as organization '${tokenOrg}' (saved to ${path})\n`);
    });
}
