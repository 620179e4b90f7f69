import type { Command } from 'commander';
import { contextOf } from '../context.js';
import { print } from '../output.js';

export function reconcileCommand(program: Command): void {
  program
    .command('reconcile')
    .description("run a reconcile pass for the organization now: check every deployment's targets and every cluster")
    .action(async (_opts, command: Command) => {
      const { api, format } = contextOf(command);
      const started = await api.inOrg<{ workflowId: string; links: { run?: string } }>('POST', '/reconcile');
      print(format, started, () => `reconcile started: ${started.workflowId}\n${started.links.run ? `Temporal Web UI: ${started.links.run}\n` : ''}`);
    });
}
