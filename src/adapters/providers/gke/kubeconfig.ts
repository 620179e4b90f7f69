import { stringify } from 'yaml';

export interface GkeEndpoint {
  /** Context, cluster and user name in the kubeconfig. */
  name: string;
  /** The control plane's address, as GKE reports it (an IP address). */
  endpoint: string;
  /** Base64 PEM of the cluster's CA, as GKE reports it. */
  caCertificate: string;
}

/**
 * A kubeconfig that authenticates with `gke-gcloud-auth-plugin` (what
 * `gcloud container clusters get-credentials` writes): whoever uses it gets a
 * short-lived token for their own Google identity. No key or token is embedded.
 */
export function gkeKubeconfig({ name, endpoint, caCertificate }: GkeEndpoint): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: `https://${endpoint}`, 'certificate-authority-data': caCertificate } }],
    users: [
      {
        name,
        user: {
          exec: {
            apiVersion: 'client.authentication.k8s.io/v1beta1',
            command: 'gke-gcloud-auth-plugin',
            installHint:
              'Install gke-gcloud-auth-plugin for use with kubectl by following https://cloud.google.com/kubernetes-engine/docs/how-to/cluster-access-for-kubectl#install_plugin',
            provideClusterInfo: true,
            interactiveMode: 'Never',
          },
        },
      },
    ],
    contexts: [{ name, context: { cluster: name, user: name } }],
    'current-context': name,
  });
}
