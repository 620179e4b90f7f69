import type { Command } from 'commander';
import { Api } from '../api.js';
import { configPath, DEFAULT_CONTEXT, readConfig, writeConfig } from '../config.js';
import { apiError, usageError } from '../errors.js';
import { examples } from '../examples.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').trim();
}

/** `flotilla login`: checks the token with the API, then saves URL, token and org as a context and makes it current. */
export function loginCommand(program: Command): void {
  program
    .command('login')
    .description("check a token with the API and save it, with the API's URL and the token's organization, as a context")
    .requiredOption('--url <url>', 'the API, e.g. http://127.0.0.1:8080')
    .option('--token <token>', 'an API token; visible in shell history and ps: prefer --token-stdin or FLOTILLA_TOKEN')
    .option('--token-stdin', 'read the token from standard input')
    .option('--name <context>', `the name to save this login under (default: ${DEFAULT_CONTEXT})`)
    .addHelpText('after', examples('flotilla login --url https://flotilla.example.com --token-stdin < token.txt', 'pass show flotilla/prod | flotilla login --url https://prod.example.com --token-stdin --name prod'))
    .action(async (opts: { url: string; token?: string; tokenStdin?: boolean; name?: string }, command: Command) => {
      const { org, timeout } = command.optsWithGlobals<{ org?: string; timeout?: number }>();
      if (opts.token !== undefined && opts.tokenStdin) throw usageError('give the token with --token or --token-stdin, not both');
      const token = opts.tokenStdin ? await readStdin() : (opts.token ?? process.env.FLOTILLA_TOKEN);
      if (!token) throw usageError('no token: pipe it to --token-stdin, set FLOTILLA_TOKEN, or give --token');
      const { org: tokenOrg } = await new Api(opts.url, token, undefined, timeout).call<{ org: string }>('GET', '/api/v1/whoami');
      if (org && org !== tokenOrg) throw apiError(`the token belongs to organization '${tokenOrg}', not '${org}'`);
      const path = configPath();
      const name = opts.name ?? DEFAULT_CONTEXT;
      const config = readConfig(path);
      writeConfig({ currentContext: name, contexts: { ...config.contexts, [name]: { url: opts.url.replace(/\/+$/, ''), token, org: tokenOrg } } }, path);
      process.stdout.write(`Logged in to ${opts.url} as organization '${tokenOrg}' (context '${name}', saved to ${path})\n`);
    });
}
