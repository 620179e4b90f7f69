import type { SecretType } from './cluster.js';

/** What each secret type holds. Values are only ever decrypted inside activities and the API's secret check. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  roleArn?: string;
}

export interface GcpCredentials {
  /** A service-account JSON key, parsed. */
  serviceAccountKey: { type: 'service_account'; project_id: string; private_key: string; client_email: string; [k: string]: unknown };
}

export interface AzureCredentials {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  subscriptionId: string;
}

export interface KubeconfigCredentials {
  kubeconfig: string;
}

/** The CA a cluster's HTTP proxy presents, in PEM. */
export interface ProxyCaValues {
  trustedCa: string;
}

/** The user a cluster's HTTP proxy asks for (Basic authentication in the proxy URL). */
export interface ProxyCredentials {
  username: string;
  password: string;
}

export interface SecretValuesByType {
  aws: AwsCredentials;
  gcp: GcpCredentials;
  azure: AzureCredentials;
  kubeconfig: KubeconfigCredentials;
  'proxy-ca': ProxyCaValues;
  'proxy-credentials': ProxyCredentials;
}

/** A secret as the API shows it: never its values. */
export interface SecretInfo {
  id: string;
  name: string;
  type: SecretType;
  createdAt: string;
}
