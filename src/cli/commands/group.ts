import type { Command } from 'commander';
import type { Api } from '../api.js';
import { formatRequirement, type LabelSelector } from '../../domain/label-selector.js';
import { contextOf, seg } from '../context.js';
import { usageError } from '../errors.js';
import { details, print, table, type Format } from '../output.js';
import { selectorFlag } from '../specs.js';
import { examples } from '../examples.js';

interface GroupView {
  name: string;
  selector?: LabelSelector;
  members: string[];
  deployments: string[];
  createdAt: string;
  links?: { run?: string };
}

/** A selector as `kubectl -l` writes it. */
const selectorText = (selector: LabelSelector | undefined) =>
  selector &&
  [
    ...Object.entries(selector.matchLabels ?? {}).map(([key, value]) => formatRequirement({ key, operator: 'In', values: [value] })),
    ...(selector.matchExpressions ?? []).map(formatRequirement),
  ].join(',');

const groupDetails = (g: GroupView) =>
  details([
    ['Name', g.name],
    ['Selector', selectorText(g.selector)],
    ['Members', g.members.join(', ')],
    ['Deployments', g.deployments.join(', ')],
    ['Created', g.createdAt],
    ['Web UI', g.links?.run],
  ]);

/** Sets a group's members to what `change` makes of the current ones. */
async function setMembers(api: Api, format: Format, name: string, change: (members: string[]) => string[]): Promise<void> {
  const current = await api.inOrg<GroupView>('GET', `/clustergroups/${seg(name)}`);
  const group = await api.inOrg<GroupView>('PUT', `/clustergroups/${seg(name)}`, { members: change(current.members) });
  print(format, group, () => groupDetails(group));
}

export function groupCommands(program: Command): void {
  const group = program.command('group').description('cluster groups: the targets of deployments');

  group
    .command('create')
    .addHelpText('after', examples('flotilla group create fleet east west north', 'flotilla group create gold --selector \'tier=gold,env in (prod,stage)\''))
    .description('create a group of the clusters named, or of those whose labels match --selector (now and later)')
    .argument('<name>')
    .argument('[clusters...]', 'its member clusters')
    .option('-l, --selector <selector>', "Kubernetes label-selector syntax, e.g. 'tier=gold,env in (prod,stage),!canary'", selectorFlag)
    .action(async (name: string, members: string[], opts: { selector?: LabelSelector }, command: Command) => {
      const { api, format } = contextOf(command);
      if (opts.selector && members.length) throw usageError('name the member clusters or give --selector, not both');
      const body = opts.selector ? { name, selector: opts.selector } : { name, members };
      const created = await api.inOrg<GroupView>('POST', '/clustergroups', body);
      print(format, created, () => groupDetails(created));
    });

  group
    .command('list')
    .description('list groups')
    .action(async (_opts, command: Command) => {
      const { api, format } = contextOf(command);
      const items = await api.listAll<GroupView>('/clustergroups');
      print(format, items, () =>
        table(items, [
          { header: 'NAME', value: (g) => g.name },
          { header: 'SELECTOR', value: (g) => selectorText(g.selector) },
          { header: 'MEMBERS', value: (g) => g.members.join(',') },
          { header: 'DEPLOYMENTS', value: (g) => g.deployments.join(',') },
        ]),
      );
    });

  group
    .command('get')
    .description('show a group')
    .argument('<name>')
    .action(async (name: string, _opts, command: Command) => {
      const { api, format } = contextOf(command);
      const found = await api.inOrg<GroupView>('GET', `/clustergroups/${seg(name)}`);
      print(format, found, () => groupDetails(found));
    });

  group
    .command('add')
    .description("add clusters to a group: they get the group's releases")
    .argument('<name>')
    .argument('<clusters...>')
    .action(async (name: string, clusters: string[], _opts, command: Command) => {
      const { api, format } = contextOf(command);
      await setMembers(api, format, name, (members) => [...new Set([...members, ...clusters])]);
    });

  group
    .command('remove')
    .description("remove clusters from a group: they lose the group's releases")
    .argument('<name>')
    .argument('<clusters...>')
    .action(async (name: string, clusters: string[], _opts, command: Command) => {
      const { api, format } = contextOf(command);
      await setMembers(api, format, name, (members) => members.filter((m) => !clusters.includes(m)));
    });

  group
    .command('delete')
    .description('delete a group (refused while it has deployments, unless --force)')
    .argument('<name>')
    .option('--force', 'delete its deployments first')
    .action(async (name: string, opts: { force?: boolean }, command: Command) => {
      const { api } = contextOf(command);
      await api.inOrg('DELETE', `/clustergroups/${seg(name)}${opts.force ? '?force=true' : ''}`);
      process.stdout.write(`deleting group ${name}\n`);
    });
}
