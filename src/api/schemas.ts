import { isIP } from 'node:net';
import { z } from 'zod';
import { CLUSTER_STATUSES, PROVIDER_NAMES, TAINT_EFFECTS, type ClusterRequest } from '../domain/cluster.js';
import { tenantLabelProblems } from '../domain/cluster-labels.js';
import { parseSelector, selectorRequirements, type LabelSelector } from '../domain/label-selector.js';
import { DNS_LABEL, dnsLabelProblem } from '../domain/names.js';
import type { Problem } from '../domain/problems.js';
import { PROVIDER_CLOUDS, type CloudProvider } from '../domain/catalogue/catalogue.js';
import { ARCHES } from '../domain/catalogue/data-format.js';
import { FLAVORS, instanceTypeProblems } from '../domain/catalogue/provider-types.js';
import { recommendationProblems } from '../domain/recommend/recommend.js';
import { clusterRequestProblems, MAX_NODE_POOLS } from '../domain/validation.js';
import { valuesProblems } from '../domain/values.js';
import { templateProblems } from '../domain/value-templates.js';
import { DEFAULT_HEALTH_TIMEOUT_SECONDS, MAX_HEALTH_TIMEOUT_SECONDS } from '../domain/rollout.js';
import { pageFields } from './pagination.js';

// Shapes here; the rules a schema cannot express live in src/domain/validation.ts
// and run inside the schema, so one 400 lists every problem.

function addProblems(ctx: z.RefinementCtx, problems: Problem[]): void {
  for (const p of problems) ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
}

/**
 * A DNS label as the document shows it. The rule itself is dnsLabelProblem's, run by the
 * schemas below and by the domain checks; this only states it in JSON Schema's words.
 */
const dnsLabelShape = { minLength: 1, maxLength: 63, pattern: DNS_LABEL.source };

export const dnsLabel = z
  .string()
  .superRefine((value, ctx) => {
    const problem = dnsLabelProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .meta(dnsLabelShape);

const kubernetesVersion = z.string().regex(/^1\.\d{1,2}(\.\d{1,3})?$/, 'a Kubernetes version like 1.35 or 1.35.2');

export const secretId = z.string().regex(/^sec-[0-9a-f]{16}$/, 'a secret ID like sec-0123456789abcdef');

const count = z.number().int().min(0);

export const Taint = z.strictObject({
  key: z.string().min(1).max(317),
  value: z.string().max(63).optional(),
  effect: z.enum(TAINT_EFFECTS),
});

const labels = z.record(z.string().max(317), z.string().max(63));

export const NodePool = z.strictObject({
  name: z.string().max(63).meta(dnsLabelShape),
  instanceType: z.string().min(1).max(64),
  count,
  minCount: count.optional(),
  maxCount: count.optional(),
  autoscaling: z.boolean().optional(),
  spot: z.boolean().optional(),
  labels: labels.optional(),
  taints: z.array(Taint).max(50).optional(),
});

/** A proxy URL is the tenant's data, handed to the cloud and to workloads and never dialled here: only its form is checked. */
const proxyUrl = z
  .string()
  .max(2048)
  .superRefine((text, ctx) => {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return void ctx.addIssue({ code: 'custom', message: 'an http:// or https:// URL with a host, e.g. http://proxy.internal:3128' });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') ctx.addIssue({ code: 'custom', message: `an http:// or https:// URL, not ${url.protocol}` });
    else if (!url.hostname) ctx.addIssue({ code: 'custom', message: 'the URL names no host' });
    // Whatever is in the spec is in workflow histories and in the cluster's view.
    if (url.username || url.password) ctx.addIssue({ code: 'custom', message: 'no credentials in the URL: the spec is stored and shown as it is; name a proxy-credentials secret in credentialsSecretId' });
  })
  .meta({ format: 'uri', description: 'http(s) URL of the proxy; not contacted by Flotilla' });

const DOMAIN = /^(\*?\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/i;

/** A host, a domain (a leading `.` covers its subdomains) or an IP range in CIDR notation. */
function noProxyEntryProblem(entry: string): string | undefined {
  const [address, prefix, extra] = entry.split('/');
  if (prefix !== undefined) {
    const version = isIP(address!);
    const bits = version === 4 ? 32 : version === 6 ? 128 : 0;
    if (!bits || extra !== undefined || !/^\d{1,3}$/.test(prefix) || Number(prefix) > bits) return 'a CIDR like 10.0.0.0/8 or fd00::/8';
    return undefined;
  }
  if (isIP(entry) || DOMAIN.test(entry)) return undefined;
  return 'a host name, a domain like .example.com, an IP address or a CIDR like 10.0.0.0/8';
}

export const ClusterNetwork = z.strictObject({
  privateEndpoint: z.boolean().optional().meta({ description: 'the API server reachable only from the cluster\'s private network' }),
  httpProxy: z
    .strictObject({
      httpProxy: proxyUrl.optional(),
      httpsProxy: proxyUrl.optional(),
      noProxy: z
        .array(
          z
            .string()
            .min(1)
            .max(253)
            .superRefine((entry, ctx) => {
              const problem = noProxyEntryProblem(entry);
              if (problem) ctx.addIssue({ code: 'custom', message: problem });
            }),
        )
        .max(100)
        .optional()
        .meta({ description: 'hosts, domains (.example.com) and CIDRs that bypass the proxy' }),
      trustedCaSecretId: secretId.optional().meta({ description: "a proxy-ca secret of the org: the proxy's CA, read only by the activity that sends it to the cloud" }),
      credentialsSecretId: secretId
        .optional()
        .meta({ description: "a proxy-credentials secret of the org: the proxy's username and password, read only by the activity that puts them in the proxy URLs it sends to the cloud" }),
    })
    .optional()
    .meta({ description: 'the proxy the nodes (AKS) and, through provider profiles, the workloads use' }),
});

export const ClusterCreate = z
  .strictObject({
    name: z.string().max(63).meta(dnsLabelShape),
    provider: z.enum(PROVIDER_NAMES),
    region: z.string().min(1).max(64).regex(/^[a-z0-9-]+$/, 'lower-case letters, digits and -').optional(),
    kubernetesVersion: kubernetesVersion.optional(),
    secretId: secretId.optional(),
    eks: z
      .strictObject({
        subnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/, 'a subnet ID like subnet-0123abcd')).max(16).optional(),
        clusterRoleArn: z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, 'an IAM role ARN').optional(),
        nodeRoleArn: z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, 'an IAM role ARN').optional(),
      })
      .optional(),
    flavor: z.enum(FLAVORS).optional().meta({ description: "kwok and sim: take this cloud's instance types, at their real capacity, and its prices" }),
    labels: labels.optional().meta({ description: 'the tenant\'s labels, for selectors; keys under flotilla.io/ are set by Flotilla' }),
    network: ClusterNetwork.optional().meta({ description: 'private API server and HTTP proxy; fixed at create' }),
    nodePools: z.array(NodePool).max(MAX_NODE_POOLS).default([]),
  })
  .superRefine((request, ctx) => {
    addProblems(ctx, clusterRequestProblems(request as ClusterRequest));
    request.nodePools.forEach((pool, i) => addProblems(ctx, instanceTypeProblems(request, pool, ['nodePools', i])));
  });

export const NodePoolUpdate = z
  .strictObject({
    count: count.optional(),
    minCount: count.optional(),
    maxCount: count.optional(),
    autoscaling: z.boolean().optional(),
    labels: labels.optional(),
    taints: z.array(Taint).max(50).optional(),
  })
  .refine((changes) => Object.keys(changes).length > 0, { message: 'nothing to change: give count, minCount, maxCount, autoscaling, labels or taints' })
  .meta({ minProperties: 1 });

/** PATCH /clusters/{name}: labels merged into the cluster's (null removes one), or an upgrade. */
export const ClusterPatch = z
  .strictObject({
    labels: z
      .record(z.string().max(317), z.string().max(63).nullable())
      .superRefine((changes, ctx) => addProblems(ctx, tenantLabelProblems(changes, [])))
      .meta({ description: 'merged into the labels; a null value removes the label' })
      .optional(),
    kubernetesVersion: kubernetesVersion.optional().meta({
      description: 'upgrade the control plane, then each node pool (surge and drain), to this version: one minor up at most, never down',
    }),
    // Named so its 400 says why rather than "unrecognized key".
    network: z
      .unknown()
      .optional()
      .superRefine((value, ctx) => {
        if (value !== undefined) ctx.addIssue({ code: 'custom', message: 'network is fixed at create: no provider changes a private endpoint or proxy of a running cluster through Flotilla' });
      })
      .meta({ description: 'refused: the network settings are fixed at create' }),
  })
  .superRefine((patch, ctx) => {
    if (patch.labels === undefined && patch.kubernetesVersion === undefined && patch.network === undefined) {
      ctx.addIssue({ code: 'custom', message: 'nothing to change: give labels or kubernetesVersion' });
    }
    // Labels apply at once, an upgrade is queued: two answers of different kinds, so two requests.
    if (patch.labels !== undefined && patch.kubernetesVersion !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['kubernetesVersion'], message: 'change labels and the version in separate requests' });
    }
  })
  .meta({ minProperties: 1, maxProperties: 1 });

/** A label selector in `kubectl -l` syntax, read into its requirements. */
export const selectorQuery = z
  .string()
  .max(1024)
  .transform((text, ctx) => {
    const parsed = parseSelector(text);
    if ('problem' in parsed) {
      ctx.addIssue({ code: 'custom', message: parsed.problem });
      return z.NEVER;
    }
    return parsed.requirements;
  })
  .meta({ description: "Kubernetes label-selector syntax: `tier=gold`, `env in (prod,stage)`, `!canary`, comma-separated (all must match)" });

export const ClusterListQuery = z.strictObject({
  provider: z.enum(PROVIDER_NAMES).optional(),
  status: z.enum(CLUSTER_STATUSES).optional(),
  selector: selectorQuery.optional(),
  ...pageFields,
});

export const ForceQuery = z.strictObject({
  force: z.enum(['true', 'false']).optional(),
});

const secretName = z.string().min(1).max(128).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "letters, digits, '.', '_' and '-'");
const nonEmpty = z.string().min(1).max(4096);

const serviceAccountKey = z.preprocess(
  (value) => {
    if (typeof value !== 'string') return value;
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  },
  z.looseObject({
    type: z.literal('service_account'),
    project_id: nonEmpty,
    private_key: z.string().min(1).max(16384),
    client_email: nonEmpty,
  }),
);

const proxyCredential = z.string().min(1).max(1024).regex(/^[^\p{Cc}]+$/u, 'no control characters');

/** Secret values by type: the shapes each cloud's SDK needs. */
export const SecretCreate = z.discriminatedUnion('type', [
  z.strictObject({
    name: secretName,
    type: z.literal('aws'),
    values: z.strictObject({ accessKeyId: nonEmpty, secretAccessKey: nonEmpty, sessionToken: nonEmpty.optional(), roleArn: nonEmpty.optional() }),
  }),
  z.strictObject({ name: secretName, type: z.literal('gcp'), values: z.strictObject({ serviceAccountKey }) }),
  z.strictObject({
    name: secretName,
    type: z.literal('azure'),
    values: z.strictObject({ tenantId: nonEmpty, clientId: nonEmpty, clientSecret: nonEmpty, subscriptionId: nonEmpty }),
  }),
  z.strictObject({ name: secretName, type: z.literal('kubeconfig'), values: z.strictObject({ kubeconfig: z.string().min(1).max(256 * 1024) }) }),
  z.strictObject({
    name: secretName,
    type: z.literal('proxy-ca'),
    values: z.strictObject({ trustedCa: z.string().max(64 * 1024).regex(/-----BEGIN CERTIFICATE-----/, 'PEM: one or more -----BEGIN CERTIFICATE----- blocks') }),
  }),
  z.strictObject({
    name: secretName,
    type: z.literal('proxy-credentials'),
    // Percent-encoded into the proxy URLs by the activity; a control character is no one's password.
    values: z.strictObject({ username: proxyCredential, password: proxyCredential }),
  }),
]);


/** The fields of a Kubernetes label selector object, for schemas that select by more than labels (a Service's type). */
export const labelSelectorFields = {
  matchLabels: z.record(z.string().max(317), z.string().max(63)).optional(),
  matchExpressions: z
    .array(z.strictObject({ key: z.string().max(317), operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']), values: z.array(z.string().max(63)).max(100).default([]) }))
    .max(20)
    .optional(),
};

/** Refines a selector schema with the domain's rules on keys and values. */
export function selectorRules(selector: LabelSelector, ctx: z.RefinementCtx): void {
  const parsed = selectorRequirements(selector);
  if ('problems' in parsed) addProblems(ctx, parsed.problems);
}

/** A Kubernetes label selector object: every requirement must match (an empty one matches every cluster); the rules on keys and values are the domain's. */
export const labelSelector = z.strictObject(labelSelectorFields).superRefine(selectorRules);

export const GroupCreate = z
  .strictObject({
    name: dnsLabel,
    members: z.array(dnsLabel).max(100).optional().meta({ description: 'the clusters, by name; or give a selector' }),
    selector: labelSelector.optional().meta({ description: 'members are the clusters whose labels match, now and later; a cluster may be in several selector groups' }),
  })
  .superRefine((group, ctx) => {
    if (group.members && group.selector) ctx.addIssue({ code: 'custom', path: ['selector'], message: 'give members or a selector, not both' });
    if (!group.members && !group.selector) ctx.addIssue({ code: 'custom', path: ['members'], message: 'give members, or a selector' });
  });

export const GroupUpdate = z.strictObject({ members: z.array(dnsLabel).max(100) });

// Sizes first: a document past its limits is not walked again for placeholders.
const values = z.record(z.string().max(253), z.unknown()).superRefine((doc, ctx) => {
  const size = valuesProblems(doc, []);
  addProblems(ctx, size.length ? size : templateProblems(doc, []));
});

/** Waves of a progressive rollout (src/domain/rollout.ts); each wave one of three forms. */
export const Rollout = z.strictObject({
  waves: z
    .array(
      z.union([
        z.strictObject({ clusters: z.array(dnsLabel).min(1).max(100) }),
        z.strictObject({ selector: labelSelector }),
        z.strictObject({ percent: z.number().gt(0).max(100) }),
      ]),
    )
    .min(1)
    .max(20),
  maxParallel: z.number().int().min(1).max(100).optional(),
  healthTimeoutSeconds: z.number().int().min(1).max(MAX_HEALTH_TIMEOUT_SECONDS).default(DEFAULT_HEALTH_TIMEOUT_SECONDS),
  onFailure: z.enum(['rollback', 'halt']).default('rollback'),
  pauseBetweenWavesSeconds: z.number().int().min(0).max(86_400).optional(),
  approval: z.literal('manual').optional(),
});

export const RolloutActionParams = z.strictObject({ action: z.enum(['pause', 'resume', 'abort', 'approve']) });

const deploymentFields = {
  chart: z.string().min(1).max(512),
  // A version or a constraint (`1.2.3`, `^1.2`, `>=1.0 <2`); never starting with '-', which helm would read as a flag.
  version: z.string().min(1).max(64).regex(/^[A-Za-z0-9^~<>=*.][A-Za-z0-9^~<>=*.+, |-]*$/, 'a chart version or version constraint').optional(),
  namespace: dnsLabel.default('default'),
  values: values.default({}),
  valueOverridesBySelector: z
    .array(z.strictObject({ selector: labelSelector, values }))
    .max(20)
    .default([])
    .meta({ description: "applied in order after values and before valueOverrides, on the clusters whose labels the selector matches" }),
  valueOverrides: z.record(dnsLabel, values).default({}).meta({ description: 'per cluster name, applied last; may name a cluster that is not a member yet' }),
  autoSync: z.boolean().default(false),
  installOnJoin: z.boolean().default(true).meta({ description: 'false: a cluster that joins the group waits for a sync (or an autoSync repair) before the release is installed there' }),
  rollout: Rollout.optional(),
};

export const DeploymentCreate = z.strictObject({
  // Helm release names are at most 53 characters.
  releaseName: dnsLabel
    .refine((v) => v.length <= 53, 'at most 53 characters')
    .meta({ maxLength: 53 })
    .optional(),
  ...deploymentFields,
  dryRun: z.boolean().default(false),
});

export const DeploymentEdit = z.strictObject({ ...deploymentFields, reuseValues: z.boolean().default(false) });

const CLOUD_PROVIDER_NAMES = Object.keys(PROVIDER_CLOUDS) as CloudProvider[];
const cloudProvider = z.enum(CLOUD_PROVIDER_NAMES as [CloudProvider, ...CloudProvider[]]);
const regionName = z.string().min(1).max(64).regex(/^[a-z0-9-]+$/, 'lower-case letters, digits and -');
/** A number in a query string, as a pattern the document shows. */
const queryNumber = z
  .string()
  .regex(/^\d{1,6}(\.\d{1,3})?$/, 'a number, 0 or more')
  .transform(Number);

export const InstanceTypeQuery = z.strictObject({
  provider: cloudProvider,
  region: regionName.optional().meta({ description: "default: the provider's default region" }),
  minCpu: queryNumber.optional(),
  minMemoryGiB: queryNumber.optional(),
  gpu: z.string().regex(/^\d{1,4}$/, 'a whole number of GPUs').transform(Number).optional().meta({ description: 'at least this many GPUs; 0: types without GPUs' }),
  gpuModel: z.string().min(1).max(64).optional(),
  arch: z.enum(ARCHES).optional(),
});

/** The providers whose adapters list their versions (ProviderActivities.kubernetesVersions): all but imported clusters'. */
export const VERSION_LISTING_PROVIDERS = ['eks', 'gke', 'aks', 'kwok', 'sim'] as const;

export const KubernetesVersionsQuery = z.strictObject({
  provider: z.enum(VERSION_LISTING_PROVIDERS).meta({ description: 'eks, gke, aks, kwok or sim' }),
  region: regionName.optional().meta({ description: "default: the provider's default region" }),
  secretId: secretId.optional().meta({ description: "eks, gke, aks: the org's secret of the provider's type (aws, gcp, azure) to read the list with (its account's, project's or subscription's list); default: the worker's default credentials" }),
});

const amount = (max: number) => z.number().min(0).max(max);
const nodeCount = z.number().int().min(0).max(10_000);

export const RecommendationCreate = z
  .strictObject({
    providers: z.array(cloudProvider).min(1).max(CLOUD_PROVIDER_NAMES.length).optional(),
    regions: z.array(regionName).min(1).max(200).optional(),
    cpu: amount(100_000).optional().meta({ description: 'required unless `chart` or `deployment` is given' }),
    memoryGiB: amount(1_000_000).optional().meta({ description: 'required unless `chart` or `deployment` is given' }),
    chart: deploymentFields.chart.optional().meta({ description: "size for this chart's pods: <repo>/<chart> of a registered repository, or a local chart under the chart roots" }),
    version: deploymentFields.version,
    values: values.optional().meta({ description: "the chart's values; with `deployment`, merged over the deployment's" }),
    deployment: z.strictObject({ group: dnsLabel, release: dnsLabel }).optional().meta({ description: "size for an existing deployment's chart and values" }),
    gpu: z.number().int().min(0).max(10_000).optional(),
    gpuModel: z.string().min(1).max(64).optional(),
    minNodes: nodeCount.optional(),
    maxNodes: nodeCount.optional(),
    spotShare: z.number().min(0).max(1).optional(),
    sameSize: z.boolean().optional(),
    arch: z.enum(ARCHES).optional(),
    burstable: z.boolean().optional(),
    limit: z.number().int().min(1).max(50).optional(),
  })
  // Only a request of the right shape: its numbers' ranges are the schema's to name, once.
  .check((ctx) => {
    if (ctx.issues.length > 0) return;
    const problems = requirementSourceProblems(ctx.value);
    const sized = ctx.value.chart !== undefined || ctx.value.deployment !== undefined;
    // A chart's requirement is known once it is rendered: at least one node, its cpu and memory from the chart.
    if (problems.length === 0) {
      const { cpu = 0, memoryGiB = 0, minNodes } = ctx.value;
      problems.push(...recommendationProblems(sized ? { ...ctx.value, cpu: 0, memoryGiB: 0, minNodes: Math.max(1, minNodes ?? 0) } : { ...ctx.value, cpu, memoryGiB }));
    }
    for (const p of problems) ctx.issues.push({ code: 'custom', path: p.path, message: p.message, input: ctx.value });
  });

/** A requirement comes from numbers, a chart or a deployment: exactly one of them. */
function requirementSourceProblems(body: { cpu?: number; memoryGiB?: number; gpu?: number; chart?: string; version?: string; values?: object; deployment?: object }): Problem[] {
  const fromChart = 'comes from the chart: give cpu and memoryGiB, or a chart or deployment, not both';
  if (body.chart !== undefined && body.deployment !== undefined) return [{ path: ['deployment'], message: 'give a chart or a deployment, not both' }];
  if (body.chart !== undefined || body.deployment !== undefined) {
    const numbers = (['cpu', 'memoryGiB', 'gpu'] as const).filter((field) => body[field] !== undefined);
    const version = body.deployment !== undefined && body.version !== undefined ? [{ path: ['version'], message: "a deployment's chart is at its own version" }] : [];
    return [...numbers.map((field) => ({ path: [field], message: fromChart })), ...version];
  }
  return [
    ...(['cpu', 'memoryGiB'] as const).filter((field) => body[field] === undefined).map((field) => ({ path: [field], message: 'required, unless a chart or deployment is given' })),
    ...(['version', 'values'] as const).filter((field) => body[field] !== undefined).map((field) => ({ path: [field], message: 'only with a chart or deployment' })),
  ];
}
