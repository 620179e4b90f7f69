import { join } from 'node:path';
import YAML from 'yaml';
import { Helm } from '../../src/adapters/helm/helm.js';
import { CLUSTER_AUTOSCALER_CHART } from '../../src/adapters/helm/project-charts.js';
import { clusterAutoscalerRelease } from '../../src/adapters/providers/eks/cluster-autoscaler.js';
import type { ClusterRef } from '../../src/domain/cluster.js';
import { toolPaths } from '../../src/toolchain.js';
import { testAccess } from '../helpers/egress.js';
import { FIXTURE_CHARTS } from '../helpers/stack.js';

// The copied kubernetes/autoscaler chart (deploy/charts/cluster-autoscaler), rendered by the real
// helm through the helm adapter with the values Flotilla installs it with on an EKS cluster.
const ref: ClusterRef = { org: 'acme', name: 'prod', provider: 'eks', region: 'eu-west-1', kubernetesVersion: '1.35' };
// Chart roots that do not hold the project's charts, as a production worker's (FLOTILLA_CHART_ROOTS) do not.
const helm = () => new Helm(toolPaths().helm, join(process.env.FLOTILLA_TEST_DIR!, 'helm'), testAccess().egress, [FIXTURE_CHARTS]);
const byKind = (yaml: string) => {
  const docs = YAML.parseAllDocuments(yaml).map((d) => d.toJS()).filter(Boolean) as any[];
  return (kind: string) => docs.filter((d) => d.kind === kind);
};

describe('the cluster-autoscaler chart on EKS', () => {
  it('renders a Deployment that discovers the cluster’s tagged Auto Scaling groups in its region', async () => {
    const release = clusterAutoscalerRelease(ref);
    expect([release.chart, release.name, release.namespace]).toEqual([CLUSTER_AUTOSCALER_CHART, 'cluster-autoscaler', 'kube-system']);
    const of = byKind(await helm().template(release));

    const [deployment, ...others] = of('Deployment');
    expect(others).toEqual([]);
    expect(deployment.metadata.namespace).toBe('kube-system');
    const pod = deployment.spec.template.spec;
    expect(pod.serviceAccountName).toBe('cluster-autoscaler');
    const [container] = pod.containers;
    expect(container.image).toMatch(/^registry\.k8s\.io\/autoscaling\/cluster-autoscaler:v\d+\.\d+\.\d+$/);
    expect(container.command).toEqual(
      expect.arrayContaining([
        '--cloud-provider=aws',
        '--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/acme-prod',
      ]),
    );
    expect(container.env).toEqual(expect.arrayContaining([{ name: 'AWS_REGION', value: 'eu-west-1' }]));

    expect(of('ServiceAccount').map((s) => [s.metadata.name, s.metadata.namespace])).toEqual([['cluster-autoscaler', 'kube-system']]);
    // It reads pods and nodes cluster-wide and writes its status ConfigMap and lease in kube-system.
    const [clusterRole] = of('ClusterRole');
    expect(clusterRole.rules).toEqual(expect.arrayContaining([expect.objectContaining({ resources: expect.arrayContaining(['nodes']), verbs: expect.arrayContaining(['watch', 'list']) })]));
    expect(of('ClusterRoleBinding')[0].subjects).toEqual([{ kind: 'ServiceAccount', name: 'cluster-autoscaler', namespace: 'kube-system' }]);
  });

  it('still refuses a local chart outside the chart roots', async () => {
    const release = { ...clusterAutoscalerRelease(ref), chart: join(CLUSTER_AUTOSCALER_CHART, '..', '..', 'helm', 'flotilla') };
    await expect(helm().template(release)).rejects.toThrow(/a local chart must lie under/);
  });
});
