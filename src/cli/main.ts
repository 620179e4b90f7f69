import { Command, CommanderError, Option } from 'commander';
import { pathToFileURL } from 'node:url';
import { clusterCommands } from './commands/cluster.js';
import { completionCommand } from './commands/completion.js';
import { contextCommands } from './commands/context.js';
import { deployCommands } from './commands/deploy.js';
import { groupCommands } from './commands/group.js';
import { kubernetesVersionsCommand } from './commands/kubernetes-versions.js';
import { loginCommand } from './commands/login.js';
import { profileCommands } from './commands/profile.js';
import { nodePoolCommands } from './commands/nodepool.js';
import { operationCommands } from './commands/operation.js';
import { reconcileCommand } from './commands/reconcile.js';
import { recommendCommand } from './commands/recommend.js';
import { secretCommands } from './commands/secret.js';
import { versionCommand } from './commands/version.js';
import { durationFlag } from './context.js';
import { CliError, EXIT } from './errors.js';
import { FORMATS } from './output.js';

/** The `flotilla` command line: the API's operations, with long ones followed to their end. */
export function program(): Command {
  const flotilla = new Command('flotilla')
    .description('Kubernetes clusters, cluster groups and Helm deployments through the Flotilla API')
    // No root --version: it would swallow a subcommand's own (deploy create --version); `flotilla version` says it.
    // Subcommands made with .command() inherit these: usage errors reach run() instead of exiting, and
    // every subcommand's help shows the global options.
    .exitOverride()
    .configureHelp({ showGlobalOptions: true })
    .option('--org <org>', "the organization (default: the context's, or the token's own)")
    .addOption(new Option('-o, --output <format>', 'how to print results').choices(FORMATS).default('table'))
    .option('--context <name>', 'a saved login (flotilla context list); default: the current one, or $FLOTILLA_CONTEXT')
    .option('--timeout <duration>', 'the longest each API request and the following of an operation may take, e.g. 30s, 5m', durationFlag)
    .addHelpText(
      'after',
      `
Credentials: --context, else $FLOTILLA_CONTEXT, else the current context saved by login;
$FLOTILLA_URL and $FLOTILLA_TOKEN override them (both set, no login is needed).

Examples:
  flotilla login --url http://127.0.0.1:8080 --token-stdin < token.txt
  FLOTILLA_URL=https://flotilla.example.com FLOTILLA_TOKEN=$(pass flotilla) flotilla cluster list -o wide
  flotilla cluster create demo --provider kwok --nodepool general=standard-2:2 --timeout 10m
  flotilla deploy create fleet ./chart --version 1.2.3 --set image.tag=2.0,replicas=3
  source <(flotilla completion bash)
`,
    );
  versionCommand(flotilla);
  completionCommand(flotilla);
  contextCommands(flotilla);
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
  kubernetesVersionsCommand(flotilla);
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
