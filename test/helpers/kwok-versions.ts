import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KwokProvider } from '../../src/adapters/providers/kwok/index.js';
import type { SimCloud } from '../../src/adapters/providers/sim/index.js';
import { toolPaths } from '../../src/toolchain.js';

/**
 * A kwok provider for stacks that make no KWOK cluster: the sim's activities, with the KWOK
 * adapter's own version list, so that GET /kubernetes-versions?provider=kwok has a worker to
 * answer it (without one the request waits out its timeout).
 */
export function kwokListingVersions(sim: SimCloud) {
  const kwok = new KwokProvider(toolPaths(), mkdtempSync(join(process.env.FLOTILLA_TEST_DIR ?? tmpdir(), 'kwok-versions-')));
  return { ...sim.activities(), kubernetesVersions: kwok.activities().kubernetesVersions };
}
