import { TOKENS } from './stack.js';

/**
 * Values planted in the suite's test secrets and kubeconfigs. None may show
 * in an API answer or, in clear, in a Temporal history (test/zz-history).
 * Each has a '-', which base64 never does: no ciphertext can spell one by chance.
 */
export const SECRET_MARKERS = {
  awsSecretAccessKey: 'flotilla-test-secret-value-0001',
  awsSessionToken: 'flotilla-marker-aws-session-token',
  azureClientSecret: 'flotilla-marker-azure-client-secret',
  gcpPrivateKey: 'flotilla-marker-gcp-private-key',
  kubeconfigClientKey: 'flotilla-marker-kubeconfig-client-key',
  kubeconfigToken: 'flotilla-marker-kubeconfig-token',
  proxyCa: 'flotilla-marker-proxy-ca',
  proxyPassword: 'flotilla-marker-proxy-password',
  /** Short enough to survive whole in a YAML parser's quote of the line around an error. */
  shortToken: 'fl-mk-9',
};

/** What credentials look like, whoever made them: kubeconfigs, private keys. */
const CREDENTIAL_PATTERNS: [string, RegExp][] = [
  // Its lines as they are, or inside a JSON string (newlines escaped).
  ['a kubeconfig', /apiVersion:\s*v1(?:\s|\\n)+kind:\s*Config|kind:\s*Config(?:\s|\\n)+apiVersion:\s*v1|"kind":\s*"Config"/],
  ['client-key-data', /client-key-data/],
  ['a private key', /BEGIN [A-Z ]*PRIVATE KEY/],
];

/** The names of the secrets, test tokens and credential patterns found in `text`. */
export function secretsIn(text: string, extra: Record<string, string> = {}): string[] {
  const values = { ...SECRET_MARKERS, ...Object.fromEntries(Object.entries(TOKENS).map(([org, token]) => [`${org} API token`, token])), ...extra };
  return [
    ...Object.entries(values)
      .filter(([, value]) => value && text.includes(value))
      .map(([name]) => name),
    ...CREDENTIAL_PATTERNS.filter(([, pattern]) => pattern.test(text)).map(([name]) => name),
  ];
}

/** Secrets of each type, made of the markers, as POST /secrets takes them. */
export const MARKED_SECRETS = {
  aws: { accessKeyId: 'AKIAFLOTILLAMARKER01', secretAccessKey: SECRET_MARKERS.awsSecretAccessKey, sessionToken: SECRET_MARKERS.awsSessionToken },
  azure: { tenantId: 'tenant', clientId: 'client', clientSecret: SECRET_MARKERS.azureClientSecret, subscriptionId: '00000000-0000-0000-0000-000000000000' },
  gcp: {
    serviceAccountKey: {
      type: 'service_account',
      project_id: 'flotilla-markers',
      client_email: 'markers@flotilla-markers.iam.gserviceaccount.com',
      private_key: `-----BEGIN PRIVATE KEY-----\n${SECRET_MARKERS.gcpPrivateKey}\n-----END PRIVATE KEY-----\n`,
    },
  },
  'proxy-ca': { trustedCa: `-----BEGIN CERTIFICATE-----\n${SECRET_MARKERS.proxyCa}\n-----END CERTIFICATE-----\n` },
  'proxy-credentials': { username: 'flotilla-proxy-user', password: SECRET_MARKERS.proxyPassword },
};

/** A kubeconfig holding the kubeconfig markers, for a server nobody listens on. */
export function markedKubeconfig(server = 'https://127.0.0.1:1'): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: marked\n  cluster:\n    server: ${server}\n    insecure-skip-tls-verify: true`,
    'users:',
    `- name: marked\n  user:\n    token: ${SECRET_MARKERS.kubeconfigToken}\n    client-key-data: ${Buffer.from(SECRET_MARKERS.kubeconfigClientKey).toString('base64')}`,
    'contexts:',
    '- name: marked\n  context:\n    cluster: marked\n    user: marked',
    'current-context: marked',
    '',
  ].join('\n');
}
