import { Command, CommanderError, Option } from 'commander';
import { pathToFileURL } from 'node:url';
import { clusterCommands } from './commands/cluster.js';
import { deployCommands } from './commands/deploy.js';
import { groupCommands } from './commands/group.js';
import { loginCommand } from './commands/login.js';
import { profileCommands } from './commands/profile.js';
import { nodePoolCommands } from './commands/nodepool.js';
import { operationCommands } from './commands/operation.js';
import { reconcileCommand } from './commands/reconcile.js';
import { recommendCommand } from './commands/recommend.js';
import { secretCommands } from './commands/secret.js';
import { CliError, EXIT } from './errors.js';
import { FORMATS } from './output.js';

/** The `flotilla` command line: the API's operations, with long ones followed to their end. */
export function program(): Command {
  const flotilla = new Command('flotilla')
    .description('Kubernetes clusters, cluster groups and Helm deployments through the Flotilla API')
    .version('0.1.0')
    // Subcommands made with .command() inherit these: usage errors reach run() instead of exiting.
    .exitOverride()
    .option('--org <org>', 'the organization (default: the one saved by login)')
    .addOption(new Option('-o, --output <format>', 'how to print results').choices(FORMATS).default('table'));
  loginCommand(flotilla);
  clusterCommands(flotilla);
  nodePoolCommands(flotilla);
  secretCommands(flotilla);
  groupCommands(flotilla);
  deployCommands(flotilla);
  profileCommands(flotilla);
  operationCommands(flotilla);
  reconcileCommand(flotilla);
  recommendCommand(flotilla);
  return flotilla;
}

/** Runs one command line; answers the exit code. Errors are one line on stderr, never a stack trace. */
export async function run(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv);
    return EXIT.ok;
  } catch (err) {
    // Commander has printed its message (or the help or version asked for).
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (err instanceof CliError) {
      if (err.message) process.stderr.write(`error: ${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await run(process.argv);
}
