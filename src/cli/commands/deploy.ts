import type { Command } from 'commander';
import type { Api } from '../api.js';
import { contextOf, seg } from '../context.js';
import { operationFailed } from '../errors.js';
import { details, print, table, type Format } from '../output.js';
import { clusterSetFlag, collect, mergedValues, nonNegative, pairFlag, readMapFile, selectorSetFlag, waveFlag } from '../specs.js';
import { setSyntax } from '../set-values.js';
import type { WaveSpec } from '../../domain/rollout.js';
import { mergeValues, type Values } from '../../domain/values.js';
import { acceptedOperation, NO_WAIT_HELP, progressLine, WAIT_HELP, type OperationView } from '../progress.js';
import { examples } from '../examples.js';

interface TargetView {
  clusterName: string;
  provider?: string;
  status: string;
  chartVersion?: string;
  message?: string;
}

interface DeploymentView {
  releaseName: string;
  group: string;
  chart: string;
  version?: string;
  namespace: string;
  status: string;
  autoSync: boolean;
  targets: string[];
  targetClusters?: TargetView[];
  values: Values;
  valueOverridesBySelector?: unknown[];
  valueOverrides: Record<string, Values>;
  links?: { run?: string };
}

const targetsTable = (targets: TargetView[]) =>
  table(targets, [
    { header: 'CLUSTER', value: (t) => t.clusterName },
    { header: 'STATUS', value: (t) => t.status },
    { header: 'CHART', value: (t) => t.chartVersion },
    { header: 'MESSAGE', value: (t) => t.message },
  ]);

function deploymentDetails(d: DeploymentView): string {
  return (
    details([
      ['Release', d.releaseName],
      ['Group', d.group],
      ['Chart', `${d.chart}${d.version ? ` ${d.version}` : ''}`],
      ['Namespace', d.namespace],
      ['Status', d.status],
      ['Auto-sync', d.autoSync],
      ['Selector overrides', d.valueOverridesBySelector?.length || undefined],
      ['Overrides for', Object.keys(d.valueOverrides).join(', ')],
      ['Web UI', d.links?.run],
    ]) + (d.targetClusters ? `\n${targetsTable(d.targetClusters)}` : '')
  );
}

async function printDeployment(api: Api, format: Format, group: string, release: string): Promise<void> {
  const view = await api.inOrg<DeploymentView>('GET', `/clustergroups/${seg(group)}/deployments/${seg(release)}`);
  print(format, view, () => deploymentDetails(view));
}

/** Per-cluster values: `--cluster-values CLUSTER=FILE` files, then `--cluster-set CLUSTER:KEY=VALUE`. */
function overrides(files: [string, string][] = [], sets: [string, Values][] = []): Record<string, Values> {
  const byCluster: Record<string, Values> = {};
  for (const [cluster, file] of files) byCluster[cluster] = mergeValues(byCluster[cluster] ?? {}, readMapFile(file));
  for (const [cluster, set] of sets) byCluster[cluster] = mergeValues(byCluster[cluster] ?? {}, set);
  return byCluster;
}

/** The rollout of `deploy create --wave ...`; the API fills in its defaults and refuses what is wrong. */
function rolloutOf(opts: { wave: WaveSpec[]; onFailure?: string; healthTimeout?: number; maxParallel?: number; pauseBetween?: number; approval?: string }) {
  return {
    waves: opts.wave,
    ...(opts.onFailure ? { onFailure: opts.onFailure } : {}),
    ...(opts.healthTimeout !== undefined ? { healthTimeoutSeconds: opts.healthTimeout } : {}),
    ...(opts.maxParallel !== undefined ? { maxParallel: opts.maxParallel } : {}),
    ...(opts.pauseBetween !== undefined ? { pauseBetweenWavesSeconds: opts.pauseBetween } : {}),
    ...(opts.approval ? { approval: opts.approval } : {}),
  };
}

export function deployCommands(program: Command): void {
  const deploy = program.command('deploy').description('Helm releases on every cluster of a group');

  deploy
    .command('create')
    .addHelpText('after', examples('flotilla deploy create fleet ./charts/web --release web -n apps -f values.yaml --set image.tag=2.0', 'flotilla deploy create gold ./charts/web --release web --set \'host=${cluster.name}.example.com\' --wave east --wave 50% --on-failure rollback'))
    .description('install a chart on every member of a group and follow it')
    .argument('<group>')
    .argument('<chart>', 'a chart directory or package on the worker, <repo>/<chart> of a registered repository, or oci://...')
    .option('--release <name>', 'the release name (default: generated from the chart)')
    .option('--version <version>', 'the chart version')
    .option('-n, --namespace <namespace>', 'the namespace (default: default)')
    .option('-f, --values <file>', 'a values file (YAML or JSON); repeat to merge more', collect((f: string) => f))
    .option('--set <KEY=VALUE>', "values in Helm's grammar: a.b=1,list[0]=x,a\\.dotted=y,l={x,y}; repeat for more", collect(setSyntax('set')))
    .option('--set-string <KEY=VALUE>', 'as --set, every value a string', collect(setSyntax('string')))
    .option('--set-json <KEY=JSON>', 'as --set, values in JSON, e.g. \'resources={"cpu":"1"}\'', collect(setSyntax('json')))
    .option('--set-file <KEY=PATH>', "as --set, each value a file's contents", collect(setSyntax('file')))
    .option('--selector-set <SELECTOR:KEY=VALUE>', "a value for the clusters a label selector picks, e.g. 'tier=gold:replicas=3'; in order, after the common values", collect(selectorSetFlag))
    .option('--cluster-values <CLUSTER=FILE>', "a values file for one cluster, merged over the common values", collect(pairFlag))
    .option('--cluster-set <CLUSTER:KEY=VALUE>', 'a value for one cluster, e.g. west:message=hi', collect(clusterSetFlag))
    .option('--auto-sync', 'let reconcile repair drift without asking')
    .option('--no-install-on-join', 'a cluster that joins the group later waits for a sync')
    .option('--wave <CLUSTERS|N%|selector:SELECTOR>', 'roll out in waves, in the order given: east,west or 25% or selector:tier=gold; repeat per wave', collect(waveFlag))
    .option('--on-failure <rollback|halt>', 'with --wave: a wave that does not turn healthy is rolled back (default) or left as it is')
    .option('--health-timeout <seconds>', 'with --wave: how long a target may take to turn healthy (default 300)', nonNegative)
    .option('--max-parallel <n>', 'with --wave: at most this many targets of a wave at once', nonNegative)
    .option('--pause-between <seconds>', 'with --wave: wait this long between waves', nonNegative)
    .option('--approval <manual>', 'with --wave: wait for `deploy rollout approve` before each wave after the first')
    .option('--dry-run', "show each target's values and whether the chart renders; install nothing")
    .option('--wait', WAIT_HELP, true)
    .option('--no-wait', NO_WAIT_HELP)
    .action(async (group: string, chart: string, opts, command: Command) => {
      const { api, format } = contextOf(command);
      const body = {
        chart,
        ...(opts.release ? { releaseName: opts.release } : {}),
        ...(opts.version ? { version: opts.version } : {}),
        ...(opts.namespace ? { namespace: opts.namespace } : {}),
        values: mergedValues(opts.values, opts),
        valueOverridesBySelector: opts.selectorSet ?? [],
        valueOverrides: overrides(opts.clusterValues, opts.clusterSet),
        autoSync: opts.autoSync === true,
        installOnJoin: opts.installOnJoin !== false,
        ...(opts.wave ? { rollout: rolloutOf(opts) } : {}),
        dryRun: opts.dryRun === true,
      };
      const answer = await api.inOrg('POST', `/clustergroups/${seg(group)}/deployments`, body);
      if (body.dryRun) {
        const targets = answer.targets as { clusterName: string; values: Values; error?: string }[];
        print(format, answer, () =>
          table(targets, [
            { header: 'CLUSTER', value: (t) => t.clusterName },
            { header: 'RENDERS', value: (t) => (t.error ? 'no' : 'yes') },
            { header: 'VALUES', value: (t) => t.values },
            { header: 'ERROR', value: (t) => t.error },
          ]),
        );
        if (answer.errors.length) throw operationFailed(`the chart does not render on ${answer.errors.length} target(s)`);
        return;
      }
      await acceptedOperation(format, api, answer, opts.wait, () => printDeployment(api, format, group, answer.releaseName));
    });

  deploy
    .command('list')
    .description("a group's deployments (desired state)")
    .argument('<group>')
    .action(async (group: string, _opts, command: Command) => {
      const { api, format } = contextOf(command);
      const items = await api.listAll<DeploymentView>(`/clustergroups/${seg(group)}/deployments`);
      print(format, items, () =>
        table(items, [
          { header: 'RELEASE', value: (d) => d.releaseName },
          { header: 'CHART', value: (d) => d.chart },
          { header: 'NAMESPACE', value: (d) => d.namespace },
          { header: 'STATUS', value: (d) => d.status },
          { header: 'TARGETS', value: (d) => d.targets.join(',') },
        ]),
      );
    });

  deploy
    .command('get')
    .description('show a deployment with each target read live')
    .argument('<group>')
    .argument('<release>')
    .action(async (group: string, release: string, _opts, command: Command) => {
      const { api, format } = contextOf(command);
      await printDeployment(api, format, group, release);
    });

  deploy
    .command('sync')
    .description('install where missing, upgrade where stale, uninstall where a cluster left; follow it')
    .argument('<group>')
    .argument('<release>')
    .option('--wait', WAIT_HELP, true)
    .option('--no-wait', NO_WAIT_HELP)
    .action(async (group: string, release: string, opts: { wait: boolean }, command: Command) => {
      const { api, format } = contextOf(command);
      const accepted = await api.inOrg('PUT', `/clustergroups/${seg(group)}/deployments/${seg(release)}/sync`);
      await acceptedOperation(format, api, accepted, opts.wait, () => printDeployment(api, format, group, release));
    });

  deploy
    .command('rollout')
    .addHelpText('after', examples('flotilla deploy rollout approve gold web', 'flotilla deploy rollout pause gold web && flotilla deploy rollout resume gold web'))
    .description('pause, resume, abort or approve the running rollout of a deployment')
    .argument('<action>', 'pause | resume | abort | approve')
    .argument('<group>')
    .argument('<release>')
    .action(async (action: string, group: string, release: string, _opts, command: Command) => {
      const { api, format } = contextOf(command);
      const op = await api.inOrg<OperationView>('POST', `/clustergroups/${seg(group)}/deployments/${seg(release)}/rollout/${seg(action)}`);
      print(format, op, () => `${op.id}: ${progressLine(op)}\n`);
    });

  deploy
    .command('delete')
    .description('uninstall a release everywhere and follow it')
    .argument('<group>')
    .argument('<release>')
    .option('--force', 'finish even when targets are unreachable, listing them as skipped')
    .option('--wait', WAIT_HELP, true)
    .option('--no-wait', NO_WAIT_HELP)
    .action(async (group: string, release: string, opts: { force?: boolean; wait: boolean }, command: Command) => {
      const { api, format } = contextOf(command);
      const accepted = await api.inOrg('DELETE', `/clustergroups/${seg(group)}/deployments/${seg(release)}${opts.force ? '?force=true' : ''}`);
      await acceptedOperation(format, api, accepted, opts.wait);
    });
}

