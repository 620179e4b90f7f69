import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';

/** Where Temporal is and how to reach it: options that Connection.connect and NativeConnection.connect both take. */
export interface TemporalTarget {
  connection: Pick<NativeConnectionOptions, 'address' | 'tls' | 'apiKey' | 'metadata'>;
  namespace: string;
}

/**
 * Temporal's own client configuration (@temporalio/envconfig), as its CLI and
 * SDKs read it: a profile of a TOML file (TEMPORAL_CONFIG_FILE,
 * TEMPORAL_PROFILE) and the TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
 * TEMPORAL_API_KEY, TEMPORAL_TLS_* and TEMPORAL_GRPC_META_* variables over it.
 * So Flotilla runs against Temporal Cloud (API key) or a TLS/mTLS cluster as
 * those tools do. The file is read only when named (TEMPORAL_CONFIG_FILE or
 * TEMPORAL_PROFILE), so a developer's own CLI profile does not silently
 * replace `npm start`'s dev server. Undefined when nothing names an address:
 * `npm start` then runs its own dev server.
 */
export function temporalTarget(env: NodeJS.ProcessEnv = process.env): TemporalTarget | undefined {
  const defined = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
  const { connectionOptions: options, namespace } = loadClientConnectConfig({
    overrideEnvVars: defined,
    disableFile: !defined.TEMPORAL_CONFIG_FILE && !defined.TEMPORAL_PROFILE,
  });
  if (!options.address) return undefined;
  return {
    connection: {
      address: options.address,
      ...(options.tls !== undefined ? { tls: options.tls } : {}),
      ...(options.apiKey !== undefined ? { apiKey: options.apiKey } : {}),
      ...(options.metadata !== undefined ? { metadata: options.metadata } : {}),
    },
    namespace: namespace ?? 'default',
  };
}
