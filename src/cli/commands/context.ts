import type { Command } from 'commander';
import { configPath, readConfig, writeConfig } from '../config.js';
import { usageError } from '../errors.js';
import type { GlobalOptions } from '../context.js';
import { print, table } from '../output.js';

/** `flotilla context`: the saved logins (one per API server), as kubectl's config contexts. */
export function contextCommands(program: Command): void {
  const context = program.command('context').description('saved logins, one per API server: list them, pick one, forget one');

  context
    .command('list')
    .description('the saved contexts; * marks the current one')
    .action((_opts, command: Command) => {
      const { output } = command.optsWithGlobals<GlobalOptions>();
      const config = readConfig();
      // Never the tokens.
      const rows = Object.entries(config.contexts).map(([name, c]) => ({ name, current: name === config.currentContext, url: c.url, org: c.org }));
      print(output, rows, () =>
        table(rows, [
          { header: 'CURRENT', value: (r) => (r.current ? '*' : '') },
          { header: 'NAME', value: (r) => r.name },
          { header: 'URL', value: (r) => r.url },
          { header: 'ORG', value: (r) => r.org },
        ]),
      );
    });

  context
    .command('use')
    .description('make a saved context the current one')
    .argument('<name>')
    .action((name: string) => {
      const path = configPath();
      const config = readConfig(path);
      if (!config.contexts[name]) throw usageError(`no context '${name}' in ${path} (saved: ${Object.keys(config.contexts).join(', ') || 'none'})`);
      writeConfig({ ...config, currentContext: name }, path);
      process.stdout.write(`Switched to context '${name}'\n`);
    });

  context
    .command('current')
    .description('the name of the current context')
    .action(() => {
      const current = readConfig().currentContext;
      if (!current) throw usageError('no current context: run flotilla login');
      process.stdout.write(`${current}\n`);
    });

  context
    .command('delete')
    .description('forget a saved context and its token')
    .argument('<name>')
    .action((name: string) => {
      const path = configPath();
      const { currentContext, contexts } = readConfig(path);
      if (!contexts[name]) throw usageError(`no context '${name}' in ${path}`);
      const { [name]: _gone, ...rest } = contexts;
      writeConfig({ ...(currentContext && currentContext !== name ? { currentContext } : {}), contexts: rest }, path);
      process.stdout.write(`Deleted context '${name}'\n`);
    });
}
