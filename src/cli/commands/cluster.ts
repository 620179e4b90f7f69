import type { Command } from 'commander';
import type { Api } from '../api.js';
import { contextOf, seg } from '../context.js';
import { kubeconfigTarget, mergeKubeconfig } from '../kubeconfig-merge.js';
import { usageError } from '../errors.js';
import { details, dollars, print, table, type Format } from '../output.js';
import { acceptedOperation, NO_WAIT_HELP, WAIT_HELP } from '../progress.js';
import { collect, labelChange, nodePoolFlag, pairFlag, readMapFile } from '../specs.js';
import { examples } from '../examples.js';

interface Pool {
  name: string;
  kubernetesVersion?: string;
  instanceType: string;
  desiredCount?: number;
  currentCount?: number | null;
  count?: number;
  minCount?: number;
  maxCount?: number;
  autoscaling?: boolean;
  spot?: boolean;
  labels?: Record<string, string>;
  taints?: { key: string; value?: string; effect: string }[];
}

interface Cost {
  hourly: number;
  monthly: number;
  currency: string;
  priceDate: string | null;
  old: boolean;
  unpriced: string[];
  spotAtOnDemand: string[];
  region?: string;
  note?: string;
}

interface ClusterView {
  name: string;
  provider: string;
  flavor?: string;
  region: string;
  cost?: Cost;
  kubernetesVersion: string;
  status: string;
  message?: string;
  group?: string;
  labels?: Record<string, string>;
  network?: { privateEndpoint?: boolean; httpProxy?: { httpProxy?: string; httpsProxy?: string; noProxy?: string[] } };
  nodePools: Pool[];
  operation?: { id: string; type: string; currentStep?: string };
  queuedOperations: number;
  createdAt: string;
  links?: { run?: string };
}

const labelList = (labels: Record<string, string> | undefined) => Object.entries(labels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');

const networkSummary = (n: ClusterView['network']) =>
  n ? [n.privateEndpoint ? 'private endpoint' : undefined, n.httpProxy ? `proxy ${n.httpProxy.httpsProxy ?? n.httpProxy.httpProxy}` : undefined].filter(Boolean).join(', ') || undefined : undefined;

/** A price only where one is known: a cluster no cloud prices shows none, not $0. */
const priced = (c: ClusterView, amount: string | undefined) => (c.cost?.priceDate ? amount : undefined);

const nodes = (pools: Pool[]) => `${pools.reduce((n, p) => n + (p.currentCount ?? 0), 0)}/${pools.reduce((n, p) => n + (p.desiredCount ?? 0), 0)}`;

export function poolsTable(pools: Pool[]): string {
  return table(pools, [
    { header: 'POOL', value: (p) => p.name },
    { header: 'TYPE', value: (p) => p.instanceType },
    { header: 'VERSION', value: (p) => p.kubernetesVersion },
    { header: 'NODES', value: (p) => (p.desiredCount === undefined ? p.count : `${p.currentCount ?? '?'}/${p.desiredCount}`) },
    { header: 'MIN-MAX', value: (p) => (p.minCount !== undefined ? `${p.minCount}-${p.maxCount}` : undefined) },
    { header: 'AUTOSCALING', value: (p) => p.autoscaling },
    { header: 'SPOT', value: (p) => p.spot },
    { header: 'LABELS', value: (p) => Object.entries(p.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(',') },
    { header: 'TAINTS', value: (p) => (p.taints ?? []).map((t) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`).join(',') },
  ]);
}

function clusterDetails(c: ClusterView): string {
  return (
    details([
      ['Name', c.name],
      ['Provider', c.provider],
      ['Region', c.region],
      ['Kubernetes', c.kubernetesVersion],
      ['Status', c.status],
      ['Message', c.message],
      ['Group', c.group],
      ['Labels', labelList(c.labels)],
      ['Network', networkSummary(c.network)],
      ['Operation', c.operation ? `${c.operation.id} ${c.operation.type}${c.operation.currentStep ? `: ${c.operation.currentStep}` : ''}` : undefined],
      ['Queued', c.queuedOperations],
      ['Created', c.createdAt],
      ['Web UI', c.links?.run],
    ]) + `\n${poolsTable(c.nodePools)}`
  );
}

/** Prints a cluster as it is now. */
export async function printCluster(api: Api, format: Format, name: string): Promise<void> {
  const view = await api.inOrg<ClusterView>('GET', `/clusters/${seg(name)}`);
  print(format, view, () => clusterDetails(view));
}

interface Network {
  privateEndpoint?: boolean;
  httpProxy?: Record<string, unknown>;
}

/** `network` of a create: the file's, with the flags over it. */
export function networkFlags(
  file: Network | undefined,
  opts: { privateEndpoint?: boolean; httpProxy?: string; httpsProxy?: string; proxyExclude?: string[][]; proxyCa?: string; proxyCredentials?: string },
): { network?: Network } {
  const proxy = {
    ...(opts.httpProxy ? { httpProxy: opts.httpProxy } : {}),
    ...(opts.httpsProxy ? { httpsProxy: opts.httpsProxy } : {}),
    ...(opts.proxyExclude ? { noProxy: opts.proxyExclude.flat() } : {}),
    ...(opts.proxyCa ? { trustedCaSecretId: opts.proxyCa } : {}),
    ...(opts.proxyCredentials ? { credentialsSecretId: opts.proxyCredentials } : {}),
  };
  const network: Network = {
    ...file,
    ...(opts.privateEndpoint ? { privateEndpoint: true } : {}),
    ...(Object.keys(proxy).length ? { httpProxy: { ...file?.httpProxy, ...proxy } } : {}),
  };
  return Object.keys(network).length ? { network } : {};
}

export function clusterCommands(program: Command): void {
  const cluster = program.command('cluster').description('Kubernetes clusters');

  cluster
    .command('create')
    .addHelpText(
      'after',
      examples(
        'flotilla cluster create demo --provider kwok --nodepool general=standard-2:2 --label tier=gold',
        'flotilla cluster create edge --provider eks --region eu-west-1 --secret aws-prod --nodepool web=m5.large:3:1-6 --no-wait',
        'flotilla cluster create vault --provider aks --private-endpoint --http-proxy http://proxy.corp:3128 --proxy-exclude 10.0.0.0/8,.corp --nodepool web=Standard_D2s_v3:2',
      ),
    )
    .description('create a cluster and follow its provisioning')
    .argument('[name]', 'the cluster name (or name in --file)')
    .option('-f, --file <file>', 'the cluster spec as the API takes it (POST /clusters), in YAML or JSON; flags override it')
    .option('--provider <provider>', 'kwok, sim, eks, gke, aks or imported')
    .option('--region <region>', "the provider's region (default: the provider's)")
    .option('--flavor <cloud>', "kwok and sim: take this cloud's instance types and prices (aws, gcp or azure)")
    .option('--kubernetes-version <version>', 'e.g. 1.35')
    .option('--secret <id>', 'the secret holding the provider credentials (flotilla secret list)')
    .option('--nodepool <POOL=TYPE:COUNT[:MIN-MAX]>', 'a node pool; repeat for more', collect(nodePoolFlag))
    .option('--label <KEY=VALUE>', 'a label of the cluster, for selectors; repeat for more', collect(pairFlag))
    .option('--private-endpoint', "the API server only on the cluster's private network")
    .option('--http-proxy <url>', 'the proxy for http:// traffic of nodes and (through profiles) workloads')
    .option('--https-proxy <url>', 'the proxy for https:// traffic')
    .option('--proxy-exclude <hosts>', 'hosts, domains (.example.com) and CIDRs that bypass the proxy, comma-separated; repeat for more', collect((v: string) => v.split(',')))
    .option('--proxy-ca <secret-id>', "a proxy-ca secret holding the proxy's CA (flotilla secret create --type proxy-ca)")
    .option('--proxy-credentials <secret-id>', "a proxy-credentials secret holding the proxy's username and password (flotilla secret create --type proxy-credentials)")
    .option('--wait', WAIT_HELP, true)
    .option('--no-wait', NO_WAIT_HELP)
    .action(async (name: string | undefined, opts, command: Command) => {
      const { api, format } = contextOf(command);
      const spec = opts.file ? readMapFile(opts.file) : {};
      const body = {
        ...spec,
        ...(name ? { name } : {}),
        ...(opts.provider ? { provider: opts.provider } : {}),
        ...(opts.region ? { region: opts.region } : {}),
        ...(opts.flavor ? { flavor: opts.flavor } : {}),
        ...(opts.kubernetesVersion ? { kubernetesVersion: opts.kubernetesVersion } : {}),
        ...(opts.secret ? { secretId: opts.secret } : {}),
        ...(opts.nodepool ? { nodePools: [...((spec.nodePools as unknown[] | undefined) ?? []), ...opts.nodepool] } : {}),
        ...(opts.label ? { labels: { ...(spec.labels as Record<string, string> | undefined), ...Object.fromEntries(opts.label as [string, string][]) } } : {}),
        ...networkFlags(spec.network as Network | undefined, opts),
      };
      if (typeof body.name !== 'string') throw usageError('give the cluster a name: flotilla cluster create NAME, or name: in --file');
      const accepted = await api.inOrg('POST', '/clusters', body);
      await acceptedOperation(format, api, accepted, opts.wait, () => printCluster(api, format, body.name as string));
    });

  cluster
    .command('list')
    .addHelpText('after', examples('flotilla cluster list -o wide', 'flotilla cluster list -l \'env in (prod,stage),!canary\' -o name'))
    .description('list clusters')
    .option('--provider <provider>', 'only this provider')
    .option('--status <status>', 'only this status (DELETED lists deleted clusters)')
    .option('-l, --selector <selector>', "only clusters whose labels match, e.g. 'tier=gold,env in (prod,stage),!canary'")
    .action(async (opts: { provider?: string; status?: string; selector?: string }, command: Command) => {
      const { api, format } = contextOf(command);
      const query = new URLSearchParams({
        ...(opts.provider ? { provider: opts.provider } : {}),
        ...(opts.status ? { status: opts.status } : {}),
        ...(opts.selector ? { selector: opts.selector } : {}),
      }).toString();
      const items = await api.listAll<ClusterView>(`/clusters${query ? `?${query}` : ''}`);
      print(format, items, (wide) =>
        table(items, [
          { header: 'NAME', value: (c) => c.name },
          { header: 'PROVIDER', value: (c) => c.provider },
          { header: 'REGION', value: (c) => c.region },
          { header: 'STATUS', value: (c) => c.status },
          { header: 'POOLS', value: (c) => c.nodePools.length },
          { header: 'NODES', value: (c) => nodes(c.nodePools) },
          ...(wide
            ? [
                { header: 'LABELS', value: (c: ClusterView) => labelList(c.labels) },
                { header: '$/HOUR', value: (c: ClusterView) => priced(c, dollars(c.cost?.hourly, 4)) },
                { header: '$/MONTH', value: (c: ClusterView) => priced(c, dollars(c.cost?.monthly, 2)) },
                { header: 'UNPRICED', value: (c: ClusterView) => c.cost?.unpriced.join(',') },
              ]
            : []),
          { header: 'OPERATION', value: (c) => (c.operation ? `${c.operation.type}${c.operation.currentStep ? `: ${c.operation.currentStep}` : ''}` : undefined) },
        ]),
      );
    });

  cluster
    .command('cost')
    .addHelpText('after', examples('flotilla cluster cost demo -o json'))
    .description("a cluster's cost now, at list prices (docs/economics.md)")
    .argument('<name>')
    .action(async (name: string, _opts, command: Command) => {
      const { api, format } = contextOf(command);
      const view = await api.inOrg<ClusterView>('GET', `/clusters/${seg(name)}`);
      const cost = view.cost!;
      print(format, cost, () =>
        details([
          ['Cluster', view.name],
          ['Priced as', view.flavor ? `${view.flavor} ${cost.region}` : cost.region],
          ['Hourly', priced(view, dollars(cost.hourly, 4))],
          ['Monthly', priced(view, dollars(cost.monthly, 2))],
          ['Currency', cost.currency],
          ['Prices as of', cost.priceDate ? `${cost.priceDate}${cost.old ? ' (old)' : ''}` : undefined],
          ['Unpriced pools', cost.unpriced.join(', ')],
          ['Spot at on-demand', cost.spotAtOnDemand.join(', ')],
          ['Note', cost.note],
        ]),
      );
    });

  cluster
    .command('get')
    .description('show a cluster: status, pools, running operation')
    .argument('<name>')
    .action(async (name: string, _opts, command: Command) => {
      const { api, format } = contextOf(command);
      await printCluster(api, format, name);
    });

  cluster
    .command('label')
    .addHelpText('after', examples('flotilla cluster label demo tier=gold zone=us-east', 'flotilla cluster label demo canary-          # removes the label'))
    .description("set (KEY=VALUE) or remove (KEY-) a cluster's labels, as kubectl label does")
    .argument('<name>')
    .argument('<changes...>', 'KEY=VALUE to set, KEY- to remove')
    .action(async (name: string, changes: string[], _opts, command: Command) => {
      const { api, format } = contextOf(command);
      let labels;
      try {
        labels = Object.fromEntries(changes.map(labelChange));
      } catch (err) {
        throw usageError(`${(err as Error).message} (or KEY- to remove a label)`);
      }
      const view = await api.inOrg<ClusterView>('PATCH', `/clusters/${seg(name)}`, { labels });
      print(format, view, () => clusterDetails(view));
    });

  cluster
    .command('upgrade')
    .addHelpText('after', examples('flotilla cluster upgrade demo --version 1.37', 'flotilla cluster upgrade edge --version 1.36 --no-wait'))
    .description('upgrade the Kubernetes version, one minor at a time: the control plane, then each node pool (surge and drain), and follow it')
    .argument('<name>')
    .requiredOption('--version <version>', 'the Kubernetes version, e.g. 1.37 or 1.37.2')
    .option('--wait', WAIT_HELP, true)
    .option('--no-wait', NO_WAIT_HELP)
    .action(async (name: string, opts: { version: string; wait: boolean }, command: Command) => {
      const { api, format } = contextOf(command);
      const accepted = await api.inOrg('PATCH', `/clusters/${seg(name)}`, { kubernetesVersion: opts.version });
      await acceptedOperation(format, api, accepted, opts.wait, () => printCluster(api, format, name));
    });

  cluster
    .command('delete')
    .description('delete a cluster and follow the deletion')
    .argument('<name>')
    .option('--force', 'cancel a running operation and the queue, delete what can be deleted and report the rest')
    .option('--wait', WAIT_HELP, true)
    .option('--no-wait', NO_WAIT_HELP)
    .action(async (name: string, opts: { force?: boolean; wait: boolean }, command: Command) => {
      const { api, format } = contextOf(command);
      const accepted = await api.inOrg('DELETE', `/clusters/${seg(name)}${opts.force ? '?force=true' : ''}`);
      await acceptedOperation(format, api, accepted, opts.wait);
    });

  cluster
    .command('kubeconfig')
    .description("print a running cluster's kubeconfig (YAML), or merge it into $KUBECONFIG")
    .argument('<name>')
    .option('--merge', "write it into the first file of $KUBECONFIG (else ~/.kube/config), replacing entries of the same names, and make its context current")
    .addHelpText('after', examples('flotilla cluster kubeconfig demo > demo.yaml', 'flotilla cluster kubeconfig demo --merge && kubectl get nodes'))
    .action(async (name: string, opts: { merge?: boolean }, command: Command) => {
      const { api } = contextOf(command);
      const kubeconfig = await api.inOrg<string>('GET', `/clusters/${seg(name)}/kubeconfig`);
      if (!opts.merge) return void process.stdout.write(kubeconfig);
      const path = kubeconfigTarget();
      const { context } = mergeKubeconfig(path, kubeconfig);
      process.stdout.write(`Merged cluster ${name} into ${path}${context ? `; current context: ${context}` : ''}\n`);
    });
}
