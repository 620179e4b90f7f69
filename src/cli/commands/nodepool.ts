import type { Command } from 'commander';
import { contextOf, seg } from '../context.js';
import { print } from '../output.js';
import { collect, nodePoolFlag, nonNegative, pairFlag, taintFlag } from '../specs.js';
import { poolsTable, printCluster } from './cluster.js';
import { acceptedOperation, NO_WAIT_HELP, WAIT_HELP } from '../progress.js';
import { examples } from '../examples.js';

export function nodePoolCommands(program: Command): void {
  const nodepool = program.command('nodepool').description("a cluster's node pools");

  nodepool
    .command('list')
    .description("list a cluster's node pools")
    .argument('<cluster>')
    .action(async (cluster: string, _opts, command: Command) => {
      const { api, format } = contextOf(command);
      const { items } = await api.inOrg('GET', `/clusters/${seg(cluster)}/nodepools`);
      print(format, items, () => poolsTable(items));
    });

  nodepool
    .command('add')
    .description('add a node pool and follow its creation')
    .argument('<cluster>')
    .argument('<pool>', 'POOL=TYPE:COUNT[:MIN-MAX], e.g. gpu=gpu-8:1', nodePoolFlag)
    .option('--label <KEY=VALUE>', 'a node label; repeat for more', collect(pairFlag))
    .option('--taint <KEY[=VALUE]:EFFECT>', 'a node taint; repeat for more', collect(taintFlag))
    .option('--autoscaling', 'let the provider scale between MIN and MAX')
    .option('--spot', 'spot / preemptible nodes')
    .option('--wait', WAIT_HELP, true)
    .option('--no-wait', NO_WAIT_HELP)
    .action(async (cluster: string, pool, opts, command: Command) => {
      const { api, format } = contextOf(command);
      const body = {
        ...pool,
        ...(opts.label ? { labels: Object.fromEntries(opts.label) } : {}),
        ...(opts.taint ? { taints: opts.taint } : {}),
        ...(opts.autoscaling ? { autoscaling: true } : {}),
        ...(opts.spot ? { spot: true } : {}),
      };
      const accepted = await api.inOrg('POST', `/clusters/${seg(cluster)}/nodepools`, body);
      await acceptedOperation(format, api, accepted, opts.wait, () => printCluster(api, format, cluster));
    });

  nodepool
    .command('scale')
    .addHelpText('after', examples('flotilla nodepool scale demo general 4'))
    .description('set the node count of a pool (and its bounds) and follow the change')
    .argument('<cluster>')
    .argument('<pool>')
    .argument('<count>', 'the node count', nonNegative)
    .option('--min <count>', 'the least nodes', nonNegative)
    .option('--max <count>', 'the most nodes', nonNegative)
    .option('--wait', WAIT_HELP, true)
    .option('--no-wait', NO_WAIT_HELP)
    .action(async (cluster: string, pool: string, count: number, opts: { min?: number; max?: number; wait: boolean }, command: Command) => {
      const { api, format } = contextOf(command);
      const body = { count, ...(opts.min !== undefined ? { minCount: opts.min } : {}), ...(opts.max !== undefined ? { maxCount: opts.max } : {}) };
      const accepted = await api.inOrg('PUT', `/clusters/${seg(cluster)}/nodepools/${seg(pool)}`, body);
      await acceptedOperation(format, api, accepted, opts.wait, () => printCluster(api, format, cluster));
    });

  nodepool
    .command('remove')
    .description('remove a node pool and follow its deletion')
    .argument('<cluster>')
    .argument('<pool>')
    .option('--wait', WAIT_HELP, true)
    .option('--no-wait', NO_WAIT_HELP)
    .action(async (cluster: string, pool: string, opts: { wait: boolean }, command: Command) => {
      const { api, format } = contextOf(command);
      const accepted = await api.inOrg('DELETE', `/clusters/${seg(cluster)}/nodepools/${seg(pool)}`);
      await acceptedOperation(format, api, accepted, opts.wait, () => printCluster(api, format, cluster));
    });
}
