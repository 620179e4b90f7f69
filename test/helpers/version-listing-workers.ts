import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KwokProvider } from '../../src/adapters/providers/kwok/index.js';
import type { SimCloud } from '../../src/adapters/providers/sim/index.js';
import { toolPaths } from '../../src/toolchain.js';

/**
 * Workers for every provider GET /kubernetes-versions lists, for stacks that make no KWOK
 * cluster and reach no cloud (without a worker the request waits out its timeout): kwok gets
 * the sim's activities with the KWOK adapter's own version list; eks, gke and aks get the sim's activities,
 * whose list stands in for theirs (the gke and aks stack tests and eks-upgrade-contract read those).
 */
export function versionListingWorkers(sim: SimCloud) {
  const kwok = new KwokProvider(toolPaths(), mkdtempSync(join(process.env.FLOTILLA_TEST_DIR ?? tmpdir(), 'kwok-versions-')));
  return { kwok: { ...sim.activities(), kubernetesVersions: kwok.activities().kubernetesVersions }, eks: sim.activities(), gke: sim.activities(), aks: sim.activities() };
}
