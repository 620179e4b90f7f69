import type { Command } from 'commander';
import { contextOf, seg } from '../context.js';
import { details, print, table } from '../output.js';
import { follow, progressLine, type OperationView } from '../progress.js';

export function operationCommands(program: Command): void {
  const operation = program.command('operation').description('operations on clusters and deployments');

  operation
    .command('get')
    .description('show an operation: state, steps or targets, error, Web UI link')
    .argument('<id>', 'e.g. cluster.demo.1 or deployment.fleet.web.2')
    .option('--wait', 'follow it to its end')
    .action(async (id: string, opts: { wait?: boolean }, command: Command) => {
      const { api, format } = contextOf(command);
      if (opts.wait) await follow(api, id);
      const op = await api.inOrg<OperationView>('GET', `/operations/${seg(id)}`);
      print(format, op, () => {
        const head = details([
          ['ID', op.id],
          ['Type', op.type],
          ['State', op.state],
          ['Progress', progressLine(op)],
          ['Error', op.error],
          ['Web UI', op.links?.run],
        ]);
        if (op.steps) return `${head}\n${table(op.steps, [{ header: 'STEP', value: (s) => s.name }, { header: 'STATE', value: (s) => s.state }, { header: 'MESSAGE', value: (s) => s.message }])}`;
        return `${head}\n${table(op.results ?? [], [{ header: 'CLUSTER', value: (r) => r.clusterName }, { header: 'STATUS', value: (r) => r.status }, { header: 'MESSAGE', value: (r) => r.message }])}`;
      });
    });
}
