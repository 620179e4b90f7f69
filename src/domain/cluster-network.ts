import type { Problem } from './problems.js';

/**
 * How a cluster's API server is reached and which proxy its nodes and workloads use
 * (`network` on POST /clusters). Fixed at create. The proxy URLs are the tenant's data:
 * Flotilla hands them to the cloud and to workloads, and never connects to them.
 */
export interface ClusterNetwork {
  /** The API server only on the cluster's private network (EKS endpoint access, GKE private cluster, AKS private cluster). */
  privateEndpoint?: boolean;
  httpProxy?: HttpProxySettings;
}

export interface HttpProxySettings {
  httpProxy?: string;
  httpsProxy?: string;
  /** Hosts, domains (`.example.com`) and CIDRs that bypass the proxy. */
  noProxy?: string[];
  /**
   * A `proxy-ca` secret of the org holding the proxy's CA: only this reference is in the spec and in
   * workflow histories; the certificate is read inside the activity that sends it to the cloud.
   */
  trustedCaSecretId?: string;
  /** A `proxy-credentials` secret of the org: the proxy's user, kept out of the spec and histories like the CA. */
  credentialsSecretId?: string;
}

/** Labels Flotilla sets from the network settings, so selectors (provider profiles' proxy rules among them) can pick such clusters. */
export const PRIVATE_ENDPOINT_LABEL = 'flotilla.io/private-endpoint';
export const HTTP_PROXY_LABEL = 'flotilla.io/http-proxy';

export function networkLabels(network: ClusterNetwork | undefined): Record<string, string> {
  return {
    ...(network?.privateEndpoint ? { [PRIVATE_ENDPOINT_LABEL]: 'true' } : {}),
    ...(network?.httpProxy ? { [HTTP_PROXY_LABEL]: 'true' } : {}),
  };
}

/** Rules beyond the shape: a proxy names at least one URL, and an imported cluster's network is its own. */
export function networkProblems(network: ClusterNetwork, provider: string): Problem[] {
  const problems: Problem[] = [];
  if (provider === 'imported') problems.push({ path: ['network'], message: 'an imported cluster keeps the network it has: Flotilla does not configure it' });
  const proxy = network.httpProxy;
  if (proxy && !proxy.httpProxy && !proxy.httpsProxy) {
    problems.push({ path: ['network', 'httpProxy'], message: 'give httpProxy, httpsProxy or both' });
    if (proxy.credentialsSecretId) problems.push({ path: ['network', 'httpProxy', 'credentialsSecretId'], message: 'credentials for no proxy: give httpProxy or httpsProxy' });
  }
  return problems;
}
