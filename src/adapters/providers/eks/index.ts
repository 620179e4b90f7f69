import {
  type ClusterVersionInformation,
  CreateClusterCommand,
  CreateNodegroupCommand,
  DeleteClusterCommand,
  DeleteNodegroupCommand,
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  DescribeUpdateCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateClusterVersionCommand,
  UpdateNodegroupConfigCommand,
  UpdateNodegroupVersionCommand,
  type Cluster,
  type Nodegroup,
} from '@aws-sdk/client-eks';
import { ApplicationFailure } from '@temporalio/activity';
import { stringify } from 'yaml';
import type { ClusterRef, NodePoolSpec } from '../../../domain/cluster.js';
import { sameVersion, type OfferedVersion } from '../../../domain/kubernetes-versions.js';
import { FailureType } from '../../../domain/problems.js';
import { cloudStep, type CloudStep } from '../cloud-step.js';
import type { NetworkRefs, ProviderActivities, VersionsQuery } from '../provider.js';
import { requestToken } from '../request-token.js';
import { awsClients, type AwsClientOptions, type AwsClients } from './clients.js';
import { awsFailure, deleted, isNotFound } from './errors.js';
import { deleteNetwork, ensureNetwork } from './network.js';
import { autoscalerTagChanges, labelAndTaintChanges, sameScaling, scalingConfig, eksTaints } from './nodegroups.js';
import { deleteRole, ensureRole } from './roles.js';
import { autoscalerTags, CLUSTER_TAG, clusterTag, eksName } from './tags.js';
import { clusterVersionRequest, nodegroupVersionRequest } from './upgrades.js';
import { clusterVersionsRequest, eksOfferedVersions } from './versions.js';

/** What an EKS step records while it waits: informational, for the Web UI's heartbeat details. */
interface Waiting {
  waitingFor: string;
  state: string;
}

/** The cluster's subnets: public ones for its load balancers, private ones for its nodes. */
function subnetsOf(network: NetworkRefs): string[] {
  return [...network.publicSubnetIds, ...network.privateSubnetIds];
}

/**
 * A private endpoint: the API server only inside the VPC (EKS's default is public only). EKS has no
 * proxy setting of its own; a cluster's proxy is recorded for profiles, not put in the nodes.
 */
function endpointAccess(ref: ClusterRef): { endpointPrivateAccess?: boolean; endpointPublicAccess?: boolean } {
  return ref.network?.privateEndpoint ? { endpointPrivateAccess: true, endpointPublicAccess: false } : {};
}

export interface EksOptions extends AwsClientOptions {
  /** How often to poll a cluster or node group that is changing (AWS takes minutes; tests want less). */
  pollMs?: number;
}

/**
 * AWS EKS: a tagged VPC with public and private subnets, IAM roles for the
 * control plane and the nodes, the cluster, and one managed node group per
 * pool. Everything is found before it is made, so a retried activity adopts
 * what an earlier attempt created.
 */
export class EksProvider {
  constructor(private readonly options: EksOptions) {}

  /** An exec-based kubeconfig: `aws eks get-token` mints a short-lived token; no keys are embedded. */
  async kubeconfig(ref: ClusterRef): Promise<string> {
    const { eks } = await this.clients(ref);
    const cluster = (await eks.send(new DescribeClusterCommand({ name: eksName(ref) }))).cluster!;
    const name = `flotilla-${ref.org}-${ref.name}`;
    return stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name, cluster: { server: cluster.endpoint, 'certificate-authority-data': cluster.certificateAuthority?.data } }],
      users: [
        {
          name,
          user: {
            exec: {
              apiVersion: 'client.authentication.k8s.io/v1beta1',
              command: 'aws',
              args: ['eks', 'get-token', '--cluster-name', eksName(ref), '--region', ref.region],
              interactiveMode: 'Never',
            },
          },
        },
      ],
      contexts: [{ name, context: { cluster: name, user: name } }],
      'current-context': name,
    });
  }

  activities(): ProviderActivities {
    return {
      // The user's network (subnetIds given): nothing to make, nothing to pass on.
      ensureNetwork: (ref) => this.step(ref, async (_step, { ec2 }) => (ref.eks?.subnetIds ? undefined : ensureNetwork(ec2, ref))),

      createControlPlane: (ref, network) =>
        this.step(ref, async (_step, clients) => {
          if (await this.describeCluster(clients, ref)) return;
          const subnetIds = ref.eks?.subnetIds ?? subnetsOf(network ?? (await ensureNetwork(clients.ec2, ref)));
          const roleArn = ref.eks?.clusterRoleArn ?? (await ensureRole(clients.iam, ref, 'cluster'));
          if (!ref.eks?.nodeRoleArn) await ensureRole(clients.iam, ref, 'node');
          await clients.eks.send(
            new CreateClusterCommand({
              name: eksName(ref),
              version: ref.kubernetesVersion,
              roleArn,
              resourcesVpcConfig: { subnetIds, ...endpointAccess(ref) },
              tags: { [CLUSTER_TAG]: clusterTag(ref) },
              clientRequestToken: requestToken('cluster'),
            }),
          );
        }),

      awaitControlPlane: (ref) =>
        this.step(ref, (step, clients) =>
          this.waitFor(step, 'cluster', async () => {
            const cluster = await this.describeCluster(clients, ref);
            if (!cluster) throw ApplicationFailure.retryable(`cluster ${eksName(ref)} not found`, FailureType.cloudResourceMissing);
            if (cluster.status === 'FAILED') throw ApplicationFailure.nonRetryable(`cluster ${eksName(ref)} failed to create`, FailureType.nonRetryableCloud);
            return cluster.status === 'ACTIVE' ? true : (cluster.status ?? 'unknown');
          }),
        ),

      createNodePool: (ref, pool, network) =>
        this.step(ref, async (step, clients) => {
          if (!(await this.describeNodegroup(clients, ref, pool.name))) {
            // A pool made with the cluster gets the network step's subnets; one added later finds them again.
            const subnets = ref.eks?.subnetIds ?? (network ?? (await ensureNetwork(clients.ec2, ref))).privateSubnetIds;
            const nodeRole = ref.eks?.nodeRoleArn ?? (await ensureRole(clients.iam, ref, 'node'));
            await clients.eks.send(
              new CreateNodegroupCommand({
                clusterName: eksName(ref),
                nodegroupName: pool.name,
                nodeRole,
                subnets,
                instanceTypes: [pool.instanceType],
                capacityType: pool.spot ? 'SPOT' : 'ON_DEMAND',
                scalingConfig: scalingConfig(pool),
                labels: pool.labels ?? {},
                taints: eksTaints(pool),
                tags: { [CLUSTER_TAG]: clusterTag(ref), ...(pool.autoscaling ? autoscalerTags(ref) : {}) },
                clientRequestToken: requestToken(`nodegroup/${pool.name}`),
              }),
            );
          }
          return this.applyPool(step, clients, ref, pool);
        }),

      updateNodePool: (ref, pool) => this.step(ref, (step, clients) => this.applyPool(step, clients, ref, pool)),

      deleteNodePool: (ref, poolName) =>
        this.step(ref, async (step, clients) => {
          const nodegroup = await this.describeNodegroup(clients, ref, poolName);
          if (!nodegroup) return;
          if (nodegroup.status !== 'DELETING') {
            await deleted(() => clients.eks.send(new DeleteNodegroupCommand({ clusterName: eksName(ref), nodegroupName: poolName })));
          }
          await this.waitFor(step, `node group ${poolName} deletion`, async () => ((await this.describeNodegroup(clients, ref, poolName)) ? 'DELETING' : true));
        }),

      deleteControlPlane: (ref) =>
        this.step(ref, async (step, clients) => {
          const cluster = await this.describeCluster(clients, ref);
          if (cluster && cluster.status !== 'DELETING') {
            // ResourceInUseException while node groups remain: retried until they are gone.
            await deleted(() => clients.eks.send(new DeleteClusterCommand({ name: eksName(ref) })));
          }
          await this.waitFor(step, 'cluster deletion', async () => ((await this.describeCluster(clients, ref)) ? 'DELETING' : true));
        }),

      upgradeControlPlane: (ref, version) =>
        this.step(ref, async (step, clients) => {
          const cluster = await this.describeCluster(clients, ref);
          if (!cluster) throw ApplicationFailure.retryable(`cluster ${eksName(ref)} not found`, FailureType.cloudResourceMissing);
          if (sameVersion(cluster.version ?? '', version)) return;
          const { update } = await clients.eks.send(new UpdateClusterVersionCommand(clusterVersionRequest(ref, version)));
          await this.waitForUpdate(step, clients, ref, update?.id, `cluster upgrade to ${version}`);
        }),

      upgradeNodePool: (ref, pool, version) =>
        this.step(ref, async (step, clients) => {
          await this.waitForNodegroup(step, clients, ref, pool.name);
          const nodegroup = (await this.describeNodegroup(clients, ref, pool.name))!;
          if (!sameVersion(nodegroup.version ?? '', version)) {
            const { update } = await clients.eks.send(new UpdateNodegroupVersionCommand(nodegroupVersionRequest(ref, pool.name, version)));
            await this.waitForUpdate(step, clients, ref, update?.id, `node group ${pool.name} upgrade to ${version}`, pool.name);
          }
          return (await this.describeNodegroup(clients, ref, pool.name))!.scalingConfig?.desiredSize ?? 0;
        }),

      // Only what Flotilla made: its own roles (by name) and tagged network; given ones stay.
      deleteNetwork: (ref) =>
        this.step(ref, async (_step, clients) => {
          if (!ref.eks?.nodeRoleArn) await deleteRole(clients.iam, ref, 'node');
          if (!ref.eks?.clusterRoleArn) await deleteRole(clients.iam, ref, 'cluster');
          await deleteNetwork(clients.ec2, ref);
        }),

      kubernetesVersions: (query) => this.offeredVersions(query).catch((err: unknown) => Promise.reject(awsFailure(err))),
    };
  }

  /**
   * One activity attempt (cloud-step.ts): it heartbeats throughout — else, on a loaded worker, Temporal starts a
   * second attempt beside the first, and CreateVpc has no client token to tell them apart — and AWS's client
   * errors fail it for good.
   */
  private step<T>(ref: ClusterRef, body: (step: CloudStep<Waiting>, clients: AwsClients) => Promise<T>): Promise<T> {
    return cloudStep<Waiting, T>(awsFailure, async (step) => body(step, await this.clients(ref)));
  }

  /** Brings a node group's scaling, labels, taints and autoscaler tags to the pool's, waits until it is ACTIVE, returns its size. */
  private async applyPool(step: CloudStep<Waiting>, clients: AwsClients, ref: ClusterRef, pool: NodePoolSpec): Promise<number> {
    await this.waitForNodegroup(step, clients, ref, pool.name);
    const current = (await this.describeNodegroup(clients, ref, pool.name))!;
    // Tagging is idempotent, so a retried attempt tags again harmlessly.
    const tags = autoscalerTagChanges(current, pool, autoscalerTags(ref));
    if (tags.add) await clients.eks.send(new TagResourceCommand({ resourceArn: current.nodegroupArn, tags: tags.add }));
    if (tags.remove) await clients.eks.send(new UntagResourceCommand({ resourceArn: current.nodegroupArn, tagKeys: tags.remove }));
    const scaling = scalingConfig(pool, current.scalingConfig);
    const changes = labelAndTaintChanges(current, pool);
    if (!sameScaling(current.scalingConfig, scaling) || changes.labels || changes.taints) {
      await clients.eks.send(
        new UpdateNodegroupConfigCommand({
          clusterName: eksName(ref),
          nodegroupName: pool.name,
          ...(sameScaling(current.scalingConfig, scaling) ? {} : { scalingConfig: scaling }),
          ...changes,
          clientRequestToken: requestToken(`nodegroup/${pool.name}/${JSON.stringify(scaling)}/${JSON.stringify(changes)}`),
        }),
      );
      await this.waitForNodegroup(step, clients, ref, pool.name);
    }
    return (await this.describeNodegroup(clients, ref, pool.name))!.scalingConfig?.desiredSize ?? 0;
  }

  /** Waits for an EKS update (DescribeUpdate) to succeed; a failed or cancelled one fails the step with EKS's errors. */
  private waitForUpdate(step: CloudStep<Waiting>, clients: AwsClients, ref: ClusterRef, updateId: string | undefined, what: string, nodegroupName?: string): Promise<void> {
    if (!updateId) throw ApplicationFailure.retryable(`EKS started no update for the ${what}`, FailureType.cloudResourceMissing);
    return this.waitFor(step, what, async () => {
      const { update } = await clients.eks.send(new DescribeUpdateCommand({ name: eksName(ref), updateId, ...(nodegroupName ? { nodegroupName } : {}) }));
      if (update?.status === 'Failed' || update?.status === 'Cancelled') {
        const errors = update.errors?.map((e) => `${e.errorCode}: ${e.errorMessage}`).join('; ');
        throw ApplicationFailure.nonRetryable(`the ${what} ${update.status.toLowerCase()}${errors ? `: ${errors}` : ''}`, FailureType.nonRetryableCloud);
      }
      return update?.status === 'Successful' ? true : (update?.status ?? 'unknown');
    });
  }

  private waitForNodegroup(step: CloudStep<Waiting>, clients: AwsClients, ref: ClusterRef, name: string): Promise<void> {
    return this.waitFor(step, `node group ${name}`, async () => {
      const nodegroup = await this.describeNodegroup(clients, ref, name);
      if (!nodegroup) throw ApplicationFailure.retryable(`node group ${name} not found`, FailureType.cloudResourceMissing);
      if (nodegroup.status === 'CREATE_FAILED' || nodegroup.status === 'DEGRADED') {
        const issues = nodegroup.health?.issues?.map((i) => `${i.code}: ${i.message}`).join('; ');
        throw ApplicationFailure.nonRetryable(`node group ${name} is ${nodegroup.status}${issues ? `: ${issues}` : ''}`, FailureType.nonRetryableCloud);
      }
      return nodegroup.status === 'ACTIVE' ? true : (nodegroup.status ?? 'unknown');
    });
  }

  /** Polls until `check` returns true, recording the last state it reported (seen in the heartbeat details). */
  private async waitFor(step: CloudStep<Waiting>, what: string, check: () => Promise<true | string>): Promise<void> {
    const answered = async () => {
      const result = await check();
      if (result !== true) step.record({ waitingFor: what, state: result });
      return result;
    };
    await step.until(answered, (result) => result === true, this.options.pollMs ?? 15_000);
  }

  private async describeCluster({ eks }: AwsClients, ref: ClusterRef): Promise<Cluster | undefined> {
    try {
      return (await eks.send(new DescribeClusterCommand({ name: eksName(ref) }))).cluster;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private async describeNodegroup({ eks }: AwsClients, ref: ClusterRef, name: string): Promise<Nodegroup | undefined> {
    try {
      return (await eks.send(new DescribeNodegroupCommand({ clusterName: eksName(ref), nodegroupName: name }))).nodegroup;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private clients(ref: ClusterRef): Promise<AwsClients> {
    return awsClients(ref, `flotilla-${ref.org}-${ref.name}`, this.options);
  }

  /** EKS's versions for new clusters in the region, every page. */
  private async offeredVersions(query: VersionsQuery): Promise<OfferedVersion[]> {
    const { eks } = await awsClients(query, `flotilla-${query.org}-versions`, this.options);
    const listed: ClusterVersionInformation[] = [];
    let nextToken: string | undefined;
    do {
      const page = await eks.send(clusterVersionsRequest(nextToken));
      listed.push(...(page.clusterVersions ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    return eksOfferedVersions(listed);
  }
}
