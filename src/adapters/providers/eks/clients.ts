import { EC2Client } from '@aws-sdk/client-ec2';
import { EKSClient } from '@aws-sdk/client-eks';
import { IAMClient } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
type AwsCredentialIdentity = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
import type { ClusterRef } from '../../../domain/cluster.js';
import type { CredentialResolver } from '../../secrets/credentials.js';

export interface AwsClients {
  eks: EKSClient;
  ec2: EC2Client;
  iam: IAMClient;
}

export interface AwsClientOptions {
  credentials: CredentialResolver;
  /** An AWS API endpoint for every service (moto in tests); otherwise AWS_ENDPOINT_URL or AWS itself. */
  endpoint?: string;
}

/**
 * SDK clients for a region, with the credentials the secret `secretId` names
 * holds (assuming `roleArn` when given, in a session named `sessionName`) or
 * the SDK's default chain. The SDK retries throttling and 5xx itself before
 * Temporal's retry policy takes over.
 */
export async function awsClients(account: Pick<ClusterRef, 'org' | 'secretId' | 'region'>, sessionName: string, options: AwsClientOptions): Promise<AwsClients> {
  const secret = await options.credentials(account, 'aws');
  let credentials: AwsCredentialIdentity | undefined = secret && {
    accessKeyId: secret.accessKeyId,
    secretAccessKey: secret.secretAccessKey,
    ...(secret.sessionToken ? { sessionToken: secret.sessionToken } : {}),
  };
  const common = { region: account.region, maxAttempts: 5, ...(options.endpoint ? { endpoint: options.endpoint } : {}) };
  if (secret?.roleArn) {
    const sts = new STSClient({ ...common, ...(credentials ? { credentials } : {}) });
    const assumed = await sts.send(new AssumeRoleCommand({ RoleArn: secret.roleArn, RoleSessionName: sessionName.slice(0, 64) }));
    const c = assumed.Credentials!;
    credentials = { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
  }
  const config = { ...common, ...(credentials ? { credentials } : {}) };
  return { eks: new EKSClient(config), ec2: new EC2Client(config), iam: new IAMClient(config) };
}
