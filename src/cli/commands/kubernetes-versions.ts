import type { Command } from 'commander';
import { contextOf } from '../context.js';
import { examples } from '../examples.js';
import { print, table } from '../output.js';

interface VersionList {
  provider: string;
  region: string;
  versions: { version: string; default?: boolean; upgradesTo: string[] }[];
}

export function kubernetesVersionsCommand(program: Command): void {
  program
    .command('kubernetes-versions')
    .addHelpText('after', examples('flotilla kubernetes-versions --provider kwok', 'flotilla kubernetes-versions --provider gke --region europe-west1 --secret sec-0123456789abcdef', 'flotilla kubernetes-versions --provider sim --region sim-1 -o json'))
    .description('the Kubernetes versions a provider offers, and the versions each may be upgraded to (one minor at a time)')
    .requiredOption('--provider <provider>', 'eks, gke, aks, kwok or sim')
    .option('--region <region>', "default: the provider's default region")
    .option('--secret <id>', "eks, gke, aks: the org's aws, gcp or azure secret to read the list with; default: the worker's credentials")
    .action(async (opts: { provider: string; region?: string; secret?: string }, command: Command) => {
      const { api, format } = contextOf(command);
      const query = new URLSearchParams({ provider: opts.provider, ...(opts.region ? { region: opts.region } : {}), ...(opts.secret ? { secretId: opts.secret } : {}) });
      const list = await api.inOrg<VersionList>('GET', `/kubernetes-versions?${query}`);
      print(format, list, () =>
        table(list.versions, [
          { header: 'VERSION', value: (v) => v.version },
          { header: 'DEFAULT', value: (v) => (v.default ? 'yes' : '') },
          { header: 'UPGRADES TO', value: (v) => v.upgradesTo.join(', ') || '-' },
        ]),
      );
    });
}
