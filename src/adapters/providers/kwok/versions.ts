import { PROVIDERS } from '../../../domain/cluster.js';
import { isOffered, sameVersion, type OfferedVersion } from '../../../domain/kubernetes-versions.js';
import type { Problem } from '../../../domain/problems.js';
import { KWOK_KUBERNETES_VERSIONS } from '../../../toolchain.js';

/** The versions KWOK clusters run: the releases built for them, the default marked. */
export function kwokVersions(built: readonly string[] = KWOK_KUBERNETES_VERSIONS): OfferedVersion[] {
  return built.map((version) => ({ version, ...(sameVersion(version, PROVIDERS.kwok.defaultKubernetesVersion) ? { default: true } : {}) }));
}

/** A create or upgrade of a KWOK cluster at a version no release is built for: the tenant's to fix, told before any work starts. */
export function kwokVersionProblem(version: string): Problem | undefined {
  if (isOffered(kwokVersions(), version)) return undefined;
  return { path: ['kubernetesVersion'], message: `KWOK clusters run Kubernetes ${KWOK_KUBERNETES_VERSIONS.join(' or ')}, not ${version} (GET /kubernetes-versions?provider=kwok)` };
}
