import type { ProviderName } from '../cluster.js';
import type { Cloud } from './data-format.js';

// Apart from catalogue.ts, so that naming the clouds (the CLI does) does not load the catalogue's data.

/** The cloud whose catalogue each cloud provider validates and prices against. */
export const PROVIDER_CLOUDS = { eks: 'aws', gke: 'gcp', aks: 'azure' } as const satisfies Partial<Record<ProviderName, Cloud>>;
export type CloudProvider = keyof typeof PROVIDER_CLOUDS;

export function cloudOfProvider(provider: string): Cloud | undefined {
  return Object.prototype.hasOwnProperty.call(PROVIDER_CLOUDS, provider) ? PROVIDER_CLOUDS[provider as CloudProvider] : undefined;
}

export function providerOfCloud(cloud: Cloud): CloudProvider {
  return (Object.keys(PROVIDER_CLOUDS) as CloudProvider[]).find((provider) => PROVIDER_CLOUDS[provider] === cloud)!;
}
