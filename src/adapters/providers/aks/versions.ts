import type { KubernetesVersionListResult } from '@azure/arm-containerservice';
import { parseKubernetesVersion, type OfferedVersion } from '../../../domain/kubernetes-versions.js';

/**
 * The minors AKS offers in a location (`az aks get-versions`), oldest first, its default marked.
 * Preview minors are left out: AKS takes them only on subscriptions registered for the preview.
 */
export function aksOfferedVersions(result: KubernetesVersionListResult): OfferedVersion[] {
  return (result.values ?? [])
    .filter((v) => !v.isPreview && v.version !== undefined && parseKubernetesVersion(v.version) !== undefined)
    .map((v) => ({ version: v.version!, ...(v.isDefault ? { default: true } : {}) }))
    .sort((a, b) => parseKubernetesVersion(a.version)!.minor - parseKubernetesVersion(b.version)!.minor);
}
