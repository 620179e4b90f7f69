import type { protos } from '@google-cloud/container';
import { minorOf, parseKubernetesVersion, type OfferedVersion } from '../../../domain/kubernetes-versions.js';

type ServerConfig = protos.google.container.v1.IServerConfig;

/** `1.35` of GKE's `1.35.2-gke.1200`: GKE clusters are asked for by minor, and GKE picks the patch. */
function gkeMinor(version: string): string | undefined {
  return minorOf(version.split('-')[0]!);
}

/** The minors GKE offers for control planes in a location, oldest first, the one it gives a create that names none marked. */
export function gkeOfferedVersions(config: ServerConfig): OfferedVersion[] {
  const minors = new Set((config.validMasterVersions ?? []).map(gkeMinor).filter((m): m is string => m !== undefined));
  const fallback = config.defaultClusterVersion ? gkeMinor(config.defaultClusterVersion) : undefined;
  return [...minors]
    .sort((a, b) => parseKubernetesVersion(a)!.minor - parseKubernetesVersion(b)!.minor)
    .map((version) => ({ version, ...(version === fallback ? { default: true } : {}) }));
}
