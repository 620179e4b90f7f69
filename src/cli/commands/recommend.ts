import type { Command } from 'commander';
import { PROVIDER_CLOUDS, providerOfCloud } from '../../domain/catalogue/clouds.js';
import { CLOUDS, type Cloud } from '../../domain/catalogue/data-format.js';
import { contextOf } from '../context.js';
import { usageError } from '../errors.js';
import { dollars, print, table } from '../output.js';

interface Recommendation {
  provider: string;
  region: string;
  hourly: number;
  monthly: number;
  optimal: boolean;
  nodePools: { name: string; instanceType: string; count: number; spot?: boolean }[];
}

/** eks, gke, aks, or the cloud's name (aws, gcp, azure). */
function providerNamed(name: string): string {
  if (Object.prototype.hasOwnProperty.call(PROVIDER_CLOUDS, name)) return name;
  if ((CLOUDS as readonly string[]).includes(name)) return providerOfCloud(name as Cloud);
  throw usageError(`--provider: '${name}' is not a cloud: aws (eks), gcp (gke) or azure (aks)`);
}

const list = (value: string) => value.split(',').map((v) => v.trim()).filter(Boolean);

/** A number flag, as the API takes it; the API checks its range. */
const numberFlag = (flag: string) => (value: string) => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw usageError(`${flag}: '${value}' is not a number`);
  return n;
};

export function recommendCommand(program: Command): void {
  program
    .command('recommend')
    .description('the cheapest node-pool layouts for a requirement, on each cloud, at list prices')
    .requiredOption('--cpu <vcpus>', 'total vCPUs', numberFlag('--cpu'))
    .requiredOption('--memory <GiB>', 'total memory in GiB', numberFlag('--memory'))
    .option('--gpu <count>', 'total GPUs', numberFlag('--gpu'))
    .option('--gpu-model <model>', 'only GPUs of this model, e.g. L4, A100')
    .option('--provider <clouds>', 'comma-separated: aws, gcp, azure (or eks, gke, aks); default all')
    .option('--region <regions>', "comma-separated regions of those clouds; a cloud none names is searched in all its regions")
    .option('--spot <share>', 'the share (0-1) of the requirement spot nodes may carry', numberFlag('--spot'))
    .option('--min-nodes <n>', 'at least this many nodes', numberFlag('--min-nodes'))
    .option('--max-nodes <n>', 'at most this many nodes', numberFlag('--max-nodes'))
    .option('--same-size', 'every node of one instance type')
    .option('--arch <arch>', 'amd64 or arm64')
    .option('--limit <n>', 'layouts to show beyond the cheapest of each cloud (default 10)', numberFlag('--limit'))
    .action(async (opts, command: Command) => {
      const { api, format } = contextOf(command);
      const body = {
        cpu: opts.cpu,
        memoryGiB: opts.memory,
        ...(opts.gpu !== undefined ? { gpu: opts.gpu } : {}),
        ...(opts.gpuModel ? { gpuModel: opts.gpuModel } : {}),
        ...(opts.provider ? { providers: [...new Set(list(opts.provider).map(providerNamed))] } : {}),
        ...(opts.region ? { regions: list(opts.region) } : {}),
        ...(opts.spot !== undefined ? { spotShare: opts.spot } : {}),
        ...(opts.minNodes !== undefined ? { minNodes: opts.minNodes } : {}),
        ...(opts.maxNodes !== undefined ? { maxNodes: opts.maxNodes } : {}),
        ...(opts.sameSize ? { sameSize: true } : {}),
        ...(opts.arch ? { arch: opts.arch } : {}),
        ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
      };
      const { items } = await api.inOrg<{ items: Recommendation[] }>('POST', '/recommendations', body);
      print(format, items, () =>
        table(items, [
          { header: 'PROVIDER', value: (r) => r.provider },
          { header: 'REGION', value: (r) => r.region },
          { header: '$/HOUR', value: (r) => dollars(r.hourly, 4) },
          { header: '$/MONTH', value: (r) => dollars(r.monthly, 2) },
          { header: 'NODES', value: (r) => r.nodePools.reduce((n, p) => n + p.count, 0) },
          { header: 'POOLS', value: (r) => r.nodePools.map((p) => `${p.count}x ${p.instanceType}${p.spot ? ' (spot)' : ''}`).join(', ') },
          // Not proven cheapest: the search stopped at its bound (docs/economics.md).
          { header: 'OPTIMAL', value: (r) => r.optimal },
        ]),
      );
    });
}
