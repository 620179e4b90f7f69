import type { Command } from 'commander';
import { PROVIDER_CLOUDS, providerOfCloud } from '../../domain/catalogue/clouds.js';
import { CLOUDS, type Cloud } from '../../domain/catalogue/data-format.js';
import { contextOf } from '../context.js';
import { usageError } from '../errors.js';
import { dollars, print, table } from '../output.js';
import { setSyntax } from '../set-values.js';
import { collect, mergedValues } from '../specs.js';
import { examples } from '../examples.js';

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

interface Resources {
  cpu: number;
  memoryGiB: number;
  gpu: number;
}

/** What the API found in a chart (docs/economics.md, "Sizing for a chart"). */
interface Workload {
  pods: Resources;
  perNode: Resources;
  largestPod: Resources;
  workloads: { kind: string; name: string; replicas: number; perNode: boolean }[];
}

const amounts = ({ cpu, memoryGiB, gpu }: Resources) => `${cpu} vCPU, ${memoryGiB} GiB${gpu ? `, ${gpu} GPU` : ''}`;

/** The workload under the layouts: what they were sized for. */
function workloadLines(w: Workload): string {
  const kinds = w.workloads.map((x) => `${x.kind}/${x.name}${x.perNode ? ' (every node)' : ` x${x.replicas}`}`).join(', ');
  return `\nsized for: pods ${amounts(w.pods)}; on every node ${amounts(w.perNode)}; largest pod ${amounts(w.largestPod)}\nworkloads: ${kinds || '-'}\n`;
}

/** Where the requirement comes from: --cpu and --memory, --chart, or --deployment GROUP/RELEASE; exactly one. */
function requirementSource(opts: { cpu?: number; memory?: number; gpu?: number; chart?: string; deployment?: string; version?: string; values?: string[]; set?: string[] }): object {
  const chosen = [opts.cpu !== undefined || opts.memory !== undefined, opts.chart !== undefined, opts.deployment !== undefined].filter(Boolean).length;
  if (chosen !== 1) throw usageError('give --cpu and --memory, or --chart, or --deployment GROUP/RELEASE (one of them)');
  const hasValues = (opts.values?.length ?? 0) > 0 || (opts.set?.length ?? 0) > 0;
  const values = hasValues ? { values: mergedValues(opts.values, { set: opts.set ?? [] }) } : {};
  if (opts.chart !== undefined) return { chart: opts.chart, ...(opts.version ? { version: opts.version } : {}), ...values };
  if (opts.deployment !== undefined) {
    const match = /^([^/]+)\/([^/]+)$/.exec(opts.deployment);
    if (!match) throw usageError(`--deployment: '${opts.deployment}' is not GROUP/RELEASE`);
    if (opts.version) throw usageError("--version: a deployment's chart is at its own version");
    return { deployment: { group: match[1], release: match[2] }, ...values };
  }
  if (opts.cpu === undefined || opts.memory === undefined) throw usageError('give both --cpu and --memory');
  if (hasValues || opts.version) throw usageError('--values, --set and --version go with --chart or --deployment');
  return { cpu: opts.cpu, memoryGiB: opts.memory, ...(opts.gpu !== undefined ? { gpu: opts.gpu } : {}) };
}

/** A number flag, as the API takes it; the API checks its range. */
const numberFlag = (flag: string) => (value: string) => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw usageError(`${flag}: '${value}' is not a number`);
  return n;
};

export function recommendCommand(program: Command): void {
  program
    .command('recommend')
    .addHelpText('after', examples('flotilla recommend --cpu 16 --memory 64 --provider aws,gcp,azure --spot 0.5', 'flotilla recommend --chart local/shop -f prod.yaml', 'flotilla recommend --deployment fleet/web'))
    .description("the cheapest node-pool layouts for a requirement, or for a chart's or a deployment's pods, on each cloud, at list prices")
    .option('--cpu <vcpus>', 'total vCPUs', numberFlag('--cpu'))
    .option('--memory <GiB>', 'total memory in GiB', numberFlag('--memory'))
    .option('--gpu <count>', 'total GPUs', numberFlag('--gpu'))
    .option('--chart <chart>', "size for this chart's pods: <repo>/<chart> of a registered repository, or a chart under the chart roots")
    .option('--version <version>', "the chart's version (with --chart)")
    .option('-f, --values <file>', 'a values file (YAML or JSON) for the chart; repeat to merge more; with --deployment, merged over its values', collect((f: string) => f))
    .option('--set <KEY=VALUE>', "values in Helm's --set grammar, e.g. web.replicas=5; repeat for more", collect(setSyntax('set')))
    .option('--deployment <GROUP/RELEASE>', "size for an existing deployment's chart and values")
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
        ...requirementSource(opts),
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
      const { items, workload } = await api.inOrg<{ items: Recommendation[]; workload?: Workload }>('POST', '/recommendations', body);
      // With a chart, JSON and YAML carry what it was sized for too.
      print(format, workload ? { workload, items } : items, () =>
        table(items, [
          { header: 'PROVIDER', value: (r) => r.provider },
          { header: 'REGION', value: (r) => r.region },
          { header: '$/HOUR', value: (r) => dollars(r.hourly, 4) },
          { header: '$/MONTH', value: (r) => dollars(r.monthly, 2) },
          { header: 'NODES', value: (r) => r.nodePools.reduce((n, p) => n + p.count, 0) },
          { header: 'POOLS', value: (r) => r.nodePools.map((p) => `${p.count}x ${p.instanceType}${p.spot ? ' (spot)' : ''}`).join(', ') },
          // Not proven cheapest: the search stopped at its bound (docs/economics.md).
          { header: 'OPTIMAL', value: (r) => r.optimal },
        ]) + (workload ? workloadLines(workload) : ''),
      );
    });
}
