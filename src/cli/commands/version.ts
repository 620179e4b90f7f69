import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import type { GlobalOptions } from '../context.js';
import { print } from '../output.js';

/** The CLI's version, from the package it ships in. */
export const CLI_VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** `flotilla version`: a subcommand, as kubectl's and helm's, so no subcommand's --version clashes with it. */
export function versionCommand(program: Command): void {
  program
    .command('version')
    .description("the flotilla CLI's version")
    .action((_opts, command: Command) => {
      const { output } = command.optsWithGlobals<GlobalOptions>();
      print(output === 'name' ? 'table' : output, { client: CLI_VERSION }, () => `flotilla ${CLI_VERSION}\n`);
    });
}
