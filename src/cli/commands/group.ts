import type { Command } from 'commander';
import type { Api } from '../api.js';
import { contextOf, seg } from '../context.js';
import { details, print, table, type Format } from '../output.js';

interface GroupView {
  name: string;
  members: string[];
  deployments: string[];
  createdAt: string;
  links?: { run?: string };
}

const groupDetails = (g: GroupView) =>
  details([
    ['Name', g.name],
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
    .description('create a group of clusters')
    .argument('<name>')
    .argument('[clusters...]', 'its member clusters')
    .action(async (name: string, members: string[], _opts, command: Command) => {
      const { api, format } = contextOf(command);
      const created = await api.inOrg<GroupView>('POST', '/clustergroups', { name, members });
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
